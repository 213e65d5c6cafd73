"""Complex data through every entry point: grad, value_and_grad (also checkpointed and with
has_aux), vjp (each pullback called twice), jvp, hvp, hessian, jacobian in both modes,
grad of grad, the differentiate decorator and a module generated ahead of time.

A complex data argument (not differentiated) makes the adjoints of real values complex; a
real array refuses a complex `+=`, so every compiled sweep that may meet one adds out of place
(optimize/inplace.py). A real argument's gradient is the real part of its adjoint (JAX's
convention, runtime/core.py), checked here against central finite differences in float64. A
complex argument that is differentiated is refused with InputError by the reverse entry points;
jvp takes a complex tangent for it and gives the real directional derivative. A pullback's
complex weights ct give Re(sum(ct * dy/dx)) for a real x.
"""
import dataclasses

import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite.errors import InputError
from helpers import load_module

rng = np.random.default_rng(20261204)


def cvec(*shape):
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


# -- programs, written the ways users write them ------------------------------------------------
def elementwise(x, c):
    r = x * c
    a = np.sum(x ** 2)
    return np.sum(np.abs(r) ** 2) + a


def matrices(x, C):
    y = C @ x
    z = np.dot(C, x * x)
    return np.sum(np.real(y) * np.imag(z)) + np.sum(np.abs(np.conj(y)) ** 2)


def mean_of_phases(x, c):
    z = np.exp(1j * x) * c
    s = np.mean(np.real(z * np.conj(c)))
    return s + np.sum(np.imag(z) ** 2) / x.shape[0]


def looped(x, c):
    h = x
    total = 0.0
    for t in range(3):
        z = h * c
        total = total + np.sum(np.abs(z) ** 2) / 3
        h = np.sin(h) + 0.1 * x
    return total


def list_of_complex(x, cs):
    total = 0.0
    for c in cs:
        total += np.sum(np.real(c * x) ** 2)
    total = total + np.sum(x * x)
    return total


def dict_params(params, c):
    r = params["w"] * c + params["b"]
    return np.sum(np.abs(r) ** 2) + np.sum(params["w"] ** 2)


def tuple_params(wb, C):
    w, b = wb
    y = C @ w + b
    return np.sum(np.abs(y) ** 2)


@dataclasses.dataclass
class Filter:
    taps: np.ndarray   # complex: an attribute the gradient reads as data
    gain: float = 0.5

    def response(self, x):
        y = np.real(self.taps @ x)
        return np.sum(y ** 2) + self.gain * np.sum(x ** 2)

    def mixed(self, x, c):
        z = self.gain * x * c
        return np.sum(np.abs(z) ** 2) + self.response(x)


class Spectrum:
    """A plain class whose complex attribute is read after a real contribution to dx."""

    def __init__(self, basis):
        self.basis = basis

    def loss(self, x):
        y = np.real(self.basis @ x)
        a = np.sum(np.sin(x) * x)
        return a + np.sum(y ** 2)


FILTER = Filter(cvec(2, 3))
SPECTRUM = Spectrum(cvec(2, 3))


def elementwise_aux(x, c):
    return elementwise(x, c), np.abs(c)


# (name, function, arguments: the first is differentiated and real)
CASES = [
    ("elementwise", elementwise, lambda: (rng.normal(size=3), cvec(3))),
    ("matrices", matrices, lambda: (rng.normal(size=3), cvec(3, 3))),
    ("mean_of_phases", mean_of_phases, lambda: (rng.normal(size=4), cvec(4))),
    ("looped", looped, lambda: (rng.normal(size=3), cvec(3))),
    ("list_of_complex", list_of_complex, lambda: (rng.normal(size=3), [cvec(3), cvec(3)])),
    ("method", FILTER.response, lambda: (rng.normal(size=3),)),
    ("method_attribute", SPECTRUM.loss, lambda: (rng.normal(size=3),)),
    ("method_with_data", FILTER.mixed, lambda: (rng.normal(size=3), cvec(3))),
]
IDS = [c[0] for c in CASES]


def numeric(f, args, eps=1e-6):
    """Central differences of f's (real) value along each entry of the real args[0]."""
    x = np.asarray(args[0], dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e, *args[1:]) - f(x - e, *args[1:])) / (2 * eps)
    return g


def numeric_hvp(f, args, v, eps=1e-5):
    """The Hessian times v as central differences of the (finite-difference checked)
    gradient along v."""
    grad = tl.grad(f)
    x = args[0]
    return (grad(x + eps * v, *args[1:]) - grad(x - eps * v, *args[1:])) / (2 * eps)


def close(got, want, rtol=1e-5, atol=1e-7):
    assert np.asarray(got).dtype.kind == "f"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,f,make", CASES, ids=IDS)
def test_reverse_entry_points(name, f, make):
    args = make()
    want = numeric(f, args)
    close(tl.grad(f)(*args), want)
    close(tl.grad(f)(*args), want)   # what the first call left compiled
    value, g = tl.value_and_grad(f)(*args)
    assert value == f(*args)
    close(g, want)
    close(tl.grad(f, checkpoint=2)(*args), want)
    close(tl.differentiate(f).grad(*args), want)
    close(tl.jacobian(f)(*args), want)


@pytest.mark.parametrize("name,f,make", CASES, ids=IDS)
def test_vjp_pullback_twice(name, f, make):
    args = make()
    want = numeric(f, args)
    value, pullback = tl.vjp(f, *args)
    assert value == f(*args)
    first = pullback(1.0)
    close(first, want)
    np.testing.assert_array_equal(pullback(1.0), first)   # the saved state is unchanged
    close(pullback(np.float64(2.5)), 2.5 * want)
    np.testing.assert_array_equal(pullback(1.0), first)


@pytest.mark.parametrize("name,f,make", CASES, ids=IDS)
def test_forward_and_second_order(name, f, make):
    args = make()
    want = numeric(f, args)
    v = rng.normal(size=np.shape(args[0]))
    value, dvalue = tl.jvp(f, args, (v,) + (None,) * (len(args) - 1))
    assert value == f(*args)
    np.testing.assert_allclose(dvalue, want @ v, rtol=1e-5, atol=1e-7)
    close(tl.jacobian(f, mode="forward")(*args), want)
    hv = numeric_hvp(f, args, v)
    close(tl.hvp(f)(*args, v), hv, rtol=1e-4, atol=1e-6)
    H = tl.hessian(f)(*args)
    close(H @ v, hv, rtol=1e-4, atol=1e-6)
    close(tl.grad(tl.grad(f))(*args), H.sum(axis=0), rtol=1e-8, atol=1e-10)


def test_has_aux_with_complex_data():
    x, c = rng.normal(size=3), cvec(3)
    want = numeric(elementwise, (x, c))
    g, aux = tl.grad(elementwise_aux, has_aux=True)(x, c)
    close(g, want)
    np.testing.assert_array_equal(aux, np.abs(c))
    (loss, aux), g = tl.value_and_grad(elementwise_aux, has_aux=True)(x, c)
    assert loss == elementwise(x, c)
    close(g, want)


def _numeric_tree(f, tree, c, eps=1e-6):
    """Central differences with respect to each leaf of a dict or tuple of real arrays."""
    keys = list(tree) if isinstance(tree, dict) else list(range(len(tree)))
    out = {}
    for k in keys:
        def along(leaf, k=k):
            moved = dict(tree) if isinstance(tree, dict) else list(tree)
            moved[k] = leaf
            return f(moved if isinstance(tree, dict) else tuple(moved), c)
        out[k] = numeric(along, (tree[k],), eps)
    return out


@pytest.mark.parametrize("f,tree,c", [
    (dict_params, {"w": rng.normal(size=3), "b": rng.normal(size=3)}, cvec(3)),
    (tuple_params, (rng.normal(size=3), rng.normal(size=2)), cvec(2, 3)),
], ids=["dict", "tuple"])
def test_structured_parameters(f, tree, c):
    want = _numeric_tree(f, tree, c)
    keys = list(want)
    for g in (tl.grad(f)(tree, c), tl.vjp(f, tree, c)[1](1.0),
              tl.value_and_grad(f)(tree, c)[1]):
        for k in keys:
            close(g[k], want[k])
    _, pullback = tl.vjp(f, tree, c)
    first = pullback(1.0)
    again = pullback(1.0)
    for k in keys:
        np.testing.assert_array_equal(first[k], again[k])
    v = {k: rng.normal(size=np.shape(tree[k])) for k in keys}
    tangent = v if isinstance(tree, dict) else tuple(v[k] for k in keys)
    _, dvalue = tl.jvp(f, (tree, c), (tangent, None))
    np.testing.assert_allclose(dvalue, sum(want[k] @ v[k] for k in keys), rtol=1e-5)


# -- complex weights for a pullback ---------------------------------------------------------------
def scaled(x, c):
    return x * c


def pair_out(x, c):
    return np.sum(x ** 2), np.sum(np.sin(x) * c)


def real_out(x, c):
    return np.sum(np.abs(x * c) ** 2)


def _numeric_vjp(f, x, c, ct, eps=1e-6):
    """Re(sum(ct * dy/dx_i)) for each i, by central differences (y and ct trees alike)."""
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        up, down = f(x + e, c), f(x - e, c)
        if not isinstance(up, tuple):
            up, down, ws = (up,), (down,), (ct,)
        else:
            ws = ct
        g[i] = sum(np.real(np.sum(w * (u - d) / (2 * eps))) for w, u, d in zip(ws, up, down))
    return g


@pytest.mark.parametrize("f,ct", [
    (scaled, cvec(3)),
    (scaled, rng.normal(size=3)),
    (pair_out, (1.0, 2.0 - 1.0j)),
    (pair_out, (0.5 + 1j, 1.0)),
    (real_out, 1.0 + 2.0j),
], ids=["complex-out", "complex-out-real-weights", "pair", "pair-first", "real-out"])
def test_complex_weights(f, ct):
    x, c = rng.normal(size=3), cvec(3)
    _, pullback = tl.vjp(f, x, c)
    got = pullback(ct)
    close(got, _numeric_vjp(f, x, c, ct))
    np.testing.assert_array_equal(pullback(ct), got)


# -- a complex argument that is differentiated ----------------------------------------------------
def on_complex(z, w):
    a = np.abs(z)
    r = a * z
    return np.real(np.sum(a * a + r)) + np.sum(w * a)


@pytest.mark.parametrize("entry", [
    lambda z, w: tl.grad(on_complex)(z, w),
    lambda z, w: tl.value_and_grad(on_complex)(z, w),
    lambda z, w: tl.grad(on_complex, wrt=(0, 1))(z, w),
    lambda z, w: tl.grad(on_complex, checkpoint=2)(z, w),
    lambda z, w: tl.vjp(on_complex, z, w)[1](1.0),
    lambda z, w: tl.hvp(on_complex)(z, w, z),
    lambda z, w: tl.hessian(on_complex)(z, w),
    lambda z, w: tl.jacobian(on_complex)(z, w),
    lambda z, w: tl.grad(tl.grad(on_complex))(z, w),
], ids=["grad", "value_and_grad", "tuple", "checkpoint", "vjp", "hvp", "hessian", "jacobian",
        "grad-of-grad"])
def test_differentiated_complex_argument_is_refused(entry):
    z, w = cvec(3), rng.normal(size=3)
    with pytest.raises(InputError, match="argument 'z': it is a complex value"):
        entry(z, w)


def test_differentiated_complex_argument_as_data():
    z, w = cvec(3), rng.normal(size=3)
    want = numeric(lambda w, z: on_complex(z, w), (w, z))
    close(tl.grad(on_complex, wrt=1)(z, w), want)
    close(tl.vjp(on_complex, z, w, wrt=1)[1](1.0), want)


def test_jvp_along_a_complex_tangent():
    """The real directional derivative: d/dt f(z + t v) at 0, v complex."""
    z, w, v = cvec(3), rng.normal(size=3), cvec(3)
    eps = 1e-6
    want = (on_complex(z + eps * v, w) - on_complex(z - eps * v, w)) / (2 * eps)
    value, dvalue = tl.jvp(on_complex, (z, w), (v, None))
    assert value == on_complex(z, w)
    np.testing.assert_allclose(dvalue, want, rtol=1e-6)
    x, c = rng.normal(size=3), cvec(3)
    dc = cvec(3)
    want = (elementwise(x, c + eps * dc) - elementwise(x, c - eps * dc)) / (2 * eps)
    np.testing.assert_allclose(tl.jvp(elementwise, (x, c), (None, dc))[1], want, rtol=1e-6)


# -- ahead of time ----------------------------------------------------------------------------
MODULE_SOURCE = '''\
import numpy as np


def model(x, C):
    total = 0.0
    for k in range(2):
        y = C @ x
        total += np.sum(np.abs(y) ** 2) + np.sum(x * x)
        x = np.tanh(x)
    return total
'''


def test_generated_module_with_complex_data(tmp_path):
    user = tmp_path / "cplx_user.py"
    user.write_text(MODULE_SOURCE)
    module = load_module(user, "cplx_user")
    text = tl.aot.module_source([module.model])
    out = tmp_path / "cplx_grads.py"
    out.write_text(text)
    grads = load_module(out, "cplx_grads")
    x, C = rng.normal(size=3), cvec(2, 3)
    want = numeric(module.model, (x, C))
    close(grads.grad_model(x, C), want)
    close(grads.grad_model(x, C.real.copy()), numeric(module.model, (x, C.real.copy())))


def test_complex_tangent_of_a_real_argument_is_refused():
    x, c, v = rng.normal(size=3), cvec(3), cvec(3)
    with pytest.raises(InputError, match="complex tangent for the real argument 'x'"):
        tl.jvp(elementwise, (x, c), (v, None))
    with pytest.raises(InputError, match="complex tangent for the real argument 'x'"):
        tl.hvp(elementwise)(x, c, v)
    tree = {"w": rng.normal(size=3), "b": rng.normal(size=3)}
    with pytest.raises(InputError, match=r"real argument \"params\['b'\]\""):
        tl.jvp(dict_params, (tree, c), ({"w": rng.normal(size=3), "b": cvec(3)}, None))


def test_complex_weights_of_a_real_result():
    """Re(ct * J): the imaginary part of a weight moves no real result."""
    x, c = rng.normal(size=3), cvec(3)
    _, pullback = tl.vjp(real_out, x, c)
    np.testing.assert_array_equal(pullback(2.0j), np.zeros(3))
    close(pullback(1.5 - 2.0j), 1.5 * numeric(real_out, (x, c)))


# -- found by the complex-data fuzzer (tests/test_pass_idioms_fuzz.py), no complex value in it --
def checkpointed_in_a_loop_that_may_not_run(x):
    s = 0.0
    k = 0
    while k < 2 and x[0] > 10:
        k += 1
        for i in tl.checkpointed(range(3), snapshots=2):
            s = s + np.sin(x[i])
    return s + np.sum(x)


@pytest.mark.parametrize("x0", [1.0, 11.0], ids=["not-run", "run"])
def test_pullback_of_a_checkpointed_loop_never_run(x0):
    """The split backward sweep replayed the snapshots of a loop the forward sweep never
    reached (None): `checkpoints.replay()` only where they were bound."""
    f = checkpointed_in_a_loop_that_may_not_run
    x = np.array([x0, 2.0, 3.0])
    _, pullback = tl.vjp(f, x)
    close(pullback(1.0), numeric(f, (x,)))
    close(pullback(1.0), numeric(f, (x,)))


def restored_in_a_loop(x):
    y = np.zeros(4)
    for i in range(4):
        y = np.sin(y) * np.sum(x[1:] * x[:-1] * x[i])
        y[1] -= 0.2
    return np.sum(y * x)


def test_pullback_called_again_after_restores():
    """The backward sweep restored `y[1]` into the array it popped, the forward sweep's own:
    a pullback called again read the first call's restores (now popped as a copy)."""
    x = np.array([0.3, -0.7, 1.1, 0.5])
    _, pullback = tl.vjp(restored_in_a_loop, x)
    first = pullback(1.0)
    close(first, numeric(restored_in_a_loop, (x,)))
    np.testing.assert_array_equal(pullback(1.0), first)
