"""Every optimisation pass leaves every gradient unchanged (tangent_lite/optimize/).

The rule tables' cases and the control-flow programs (each checked against finite differences
by their own test modules) are differentiated with all passes on, then with each pass switched
off in turn: the gradients must agree to rounding. Each pass must also change the generated code
of some case, so a switch that did nothing would be noticed.
"""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize

import test_control_flow
import test_difference_sums
import test_fused_reductions
import test_loss_seed_chains
import test_rules
import test_rules_elementwise
import test_rules_fft
import test_rules_linalg
import test_row_slices
import test_rules_shapes
import test_release
import test_shift_invariance
import test_vjp_variants
from helpers import check_grad, load_program

# A sample of every rule table (the passes act on a rule's code the same way for each of its
# cases), every control-flow program, a few random ones.
RULE_CASES = (test_rules.CASES[::2] + test_rules_elementwise.CASES[::6]
              + test_rules_shapes.CASES[::4] + test_rules_linalg.CASES[::4]
              + test_rules_fft.CASES[::4])


def _programs(tmp_path_factory):
    out = [(c.f, c.wrt if len(c.wrt) != 1 else c.wrt[0], c.args) for c in RULE_CASES]
    for f, wrt, table in test_control_flow.CASES:
        out.extend((f, wrt, args) for args in table)
    # the programs of the issue 14 passes (fused reductions, scaled loss seeds, shifts)
    out.extend((f, wrt, args) for f, wrt, args in test_fused_reductions.PROGRAMS[:6])
    out.extend((f, 0, (test_loss_seed_chains.W, test_loss_seed_chains.X,
                       test_loss_seed_chains.Y)) for f in test_loss_seed_chains.CHAINS)
    out.extend((f, 0, (test_shift_invariance.A, test_shift_invariance.Y))
               for f in (test_shift_invariance.log_softmax_loss,
                         test_shift_invariance.log_softmax_method))
    out.extend((f, 0, (test_shift_invariance.A_TIES, test_shift_invariance.W5))
               for f in (test_shift_invariance.lse_rows_loss,
                         test_shift_invariance.cross_entropy))
    # arrays of 2**14 elements and more, whose specialised variants delete names (release)
    out.extend(test_release.PROGRAMS[:2])
    # a parameter's row sliced in a loop (the LSTM's gates: the rows pass)
    out.extend(test_row_slices.REWRITTEN[:3])
    # user functions called from differentiated code, whose vjps have variants
    out.extend(test_vjp_variants.PROGRAMS)
    # sums of products with a broadcast difference (k-means: the differences pass)
    out.extend((f, wrt, args) for f, wrt, args, _, _ in test_difference_sums.PROGRAMS[1:3])
    folder = tmp_path_factory.mktemp("passes")
    for seed in range(12):
        text = test_control_flow.ProgramGenerator(1000 * seed).source()
        module = load_program(folder / f"prog_{seed}.py", text)
        x = np.random.default_rng(seed).uniform(-1.5, 1.5, size=test_control_flow.N)
        out.append((module.f, 0, (x,)))
    return out


def _gradient(f, wrt, args):
    """(gradient, generated source), or None where the case is refused."""
    try:
        grads = tangent_lite.grad(f, wrt=wrt)(*args)
        source = tangent_lite.source(f, wrt=wrt)
    except tangent_lite.TangentLiteError:
        return None
    try:   # and the variant specialised for these arguments' shapes, where there is one
        source += tangent_lite.source(f, wrt=wrt, specialised_for=args)
    except tangent_lite.TangentLiteError:
        pass
    return grads, source + _callee_variants(f, wrt)


def _callee_variants(f, wrt):
    """The sources of the variants of the vjps df and its variants call (compiled by now)."""
    compiled = tangent_lite.api._compiled(f, wrt)
    todo = list(compiled.deps)
    if compiled.specialiser is not None:
        todo += [dep for v in compiled.specialiser.variants if v.compiled is not None
                 for dep in v.compiled.deps]
    out = ""
    for dep in todo:
        if getattr(dep, "specialiser", None) is not None:
            out += "".join(v.compiled.source for v in dep.specialiser.variants
                           if v.compiled is not None)
    return out


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    programs = _programs(tmp_path_factory)
    return [(p, _gradient(*p)) for p in programs]


@pytest.mark.parametrize("name", sorted(optimize.PASSES))
def test_pass_leaves_every_gradient_unchanged(name, baseline):
    changed, wrong = 0, []
    with optimize.disabled(name):
        for (f, wrt, args), expected in baseline:
            if expected is None:
                continue
            got = _gradient(f, wrt, args)
            assert got is not None, f"{f.__name__} is refused with {name} off"
            grads, source = got
            for g, e in zip(grads if isinstance(wrt, tuple) else (grads,),
                            expected[0] if isinstance(wrt, tuple) else (expected[0],)):
                assert type(g) is type(e)
                if not np.allclose(np.asarray(g), np.asarray(e), rtol=1e-9, atol=1e-12,
                                   equal_nan=True):
                    wrong.append(f.__name__)
            changed += source != expected[1]
    assert not wrong, f"with {name} off these gradients change: {sorted(set(wrong))}"
    assert changed, f"switching {name} off changed no generated code"


def test_passes_are_switched_on_again_and_names_are_checked():
    with optimize.disabled("dead_code"):
        assert not optimize.enabled("dead_code")
    assert optimize.enabled("dead_code")
    with pytest.raises(ValueError, match="unknown passes"):
        with optimize.disabled("no_such_pass"):
            pass


def square_sum(d): return np.sum(d * d) / 32
def square_mean(d): return np.mean(d * d)
def square_times(d, w):
    t = d * d
    return np.sum(t) * w + np.sum(t * d)
def square_loop(x):
    s = 0.0
    for i in range(3):
        y = x * x
        s = s + np.sum(y) * (i + 1.0)
        x = np.sin(y)
    return s
def square_rows(x): return np.sum(np.sum(x * x, axis=1) ** 2)


@pytest.mark.parametrize("f, args", [
    (square_sum, (np.linspace(-1.0, 1.0, 12).reshape(3, 4),)),
    (square_mean, (np.linspace(-1.0, 1.0, 12).reshape(3, 4),)),
    (square_times, (np.linspace(-1.0, 1.0, 5), 0.7)),
    (square_loop, (np.linspace(-1.0, 1.0, 5),)),
    (square_rows, (np.linspace(-1.0, 1.0, 6).reshape(2, 3),)),
])
def test_a_square_is_one_doubled_product(f, args):
    """`x * x`: one contribution `2.0 * dy * x`, the scalar gradient of a full sum multiplied
    in directly where the sum is the square's only use; against finite differences, in
    float64 and float32."""
    wrt = tuple(range(len(args))) if len(args) > 1 else 0
    check_grad(f, *args, wrt=wrt)
    g32 = tangent_lite.grad(f, wrt=0)(*[np.float32(a) if isinstance(a, float) else
                                         a.astype(np.float32) for a in args])
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, tangent_lite.grad(f, wrt=0)(*args), rtol=1e-4, atol=1e-5)
    code = tangent_lite.source(f, wrt=wrt)
    assert "+= dt_mul * " not in code and "2.0 * " in code
    if f in (square_sum, square_mean):
        assert "unreduce" not in code


def test_squares_off_gives_two_products():
    with optimize.disabled("squares", "algebra"):
        code = tangent_lite.source(square_sum)
    assert "dd += dt_mul * d" in code and "unreduce" in code
    # the algebraic simplifier alone doubles the repeated product (exactly: `e + e`)
    with optimize.disabled("squares"):
        code = tangent_lite.source(square_sum)
    assert "dd = 2 * (dt_mul * d)" in code and "dd +=" not in code
