"""Random programs with the array idioms the optimize passes rewrite, inside the random control
flow of test_control_flow.py: products of two slices summed (optimize/slices.py), a
concatenation of a slice product (the ODE's right-hand side), the max-shifted log-sum-exp and
softmax (optimize/shift.py), buffers swapped in a loop (analysis/distinct.py), namedtuples and
dataclasses built inside f, parameter dicts updated by comprehensions and writes at computed
keys (frontend/dict_writes.py), lists grown by concatenation, starred unpacking and calls,
squared distances of a broadcast summed after a min (the fused chains of optimize/fused.py)
and a batched einsum (its gradient's contraction path); and the same programs with complex
data, and with a model argument whose methods f calls. Each
rewrite is proved on the program's shape; here it meets loops, branches, reassigned names and
the other statements of f, and each program is checked against central finite differences at
a point where no branch is about to flip."""
import dataclasses
import os
import re
import textwrap

import numpy as np
import pytest
from test_control_flow import N, PRELUDE, ProgramGenerator, check_random_program

# Records built inside f (frontend/unpack.py record_call): a namedtuple, a step function
# returning one, and a dataclass built then called.
RECORDS = textwrap.dedent("""
    import collections
    import dataclasses

    Pair = collections.namedtuple("Pair", ["a", "b"])


    @dataclasses.dataclass
    class Affine:
        w: np.ndarray
        c: float = 0.5

        def __call__(self, v):
            return np.tanh(self.w * v + self.c)


    def advance(pair, v):
        # a step function returning a namedtuple
        return Pair(a=pair.b * 0.5 + np.sin(v), b=pair.a * v)
    """)

import tangent_lite
from helpers import load_program, numeric_grad


class PassIdiomProgramGenerator(ProgramGenerator):
    """ProgramGenerator with the passes' idioms mixed in, as expressions and as statements
    (the log-sum-exp and softmax need their names bound by statements to be recognised)."""

    def __init__(self, seed):
        super().__init__(seed)
        self.names = 0

    def fresh(self, stem):
        self.names += 1
        return f"{stem}{self.names}"

    def expr(self, depth=2):
        r, k = self.r, self.r.random()
        if depth == 0 or k > 0.3:
            return super().expr(depth)
        e = super().expr(depth - 1)
        if k < 0.03:
            return f"np.sum(x[1:] * x[:-1] * {e})"
        if k < 0.06:
            return f"({e}) * np.sum(x[1:] * x[:-1])"
        if k < 0.12:
            return (f"np.sum(np.concatenate([x[:1], x[1:] * np.tanh({e} * x[:-1])]) "
                    f"* x[::-1])")
        if k < 0.18:
            return (f"np.sum(np.min((x[:, None] - {e} * x[None, :{N // 2}]) ** 2, axis=1))")
        if k < 0.24:
            # Q: k x i x j = 2 x 2 x 2; xc: n x k x j = 3 x 2 x 2 (the GMM's product)
            return (f"np.sum(np.einsum('kij,nkj->nki', np.tanh(x[:2, None, None] * "
                    f"x[None, 1:3, None] * x[None, None, 2:] * {e}), x[:3, None, None] - "
                    f"x[None, :2, None] * x[None, None, 2:]))")
        if k < 0.27:
            return f"(x[:{N - 1}] @ np.cos(x[1:] * {e}))"
        return f"np.sum(x[:{N - 1}] * np.cos(x[1:] * {e}))"

    def stmt(self, depth, pad):
        r, k, p = self.r, self.r.random(), "    " * pad
        if k < 0.07:
            a, m = self.fresh("a"), self.fresh("m")
            target = r.choice(["s0", "s1"])
            return [f"{p}{a} = x * {self.expr(1)}",
                    f"{p}{m} = np.max({a})",
                    f"{p}{target} = {target} * 0.5 + np.log(np.sum(np.exp({a} - {m}))) + {m}"]
        if k < 0.12:
            a, m = self.fresh("a"), self.fresh("m")
            return [f"{p}{a} = np.outer(x, x[:2]) * {self.expr(1)}",
                    f"{p}{m} = np.max({a}, axis=1)",
                    f"{p}s1 = s1 + 0.3 * np.sum((np.log(np.sum(np.exp({a} - {m}[:, None]), "
                    f"axis=1)) + {m}) * x)"]
        if k < 0.16:
            a, m, e = self.fresh("a"), self.fresh("m"), self.fresh("e")
            return [f"{p}{a} = x * {self.expr(1)}",
                    f"{p}{m} = np.max({a}, axis=0, keepdims=True)",
                    f"{p}{e} = np.exp({a} - {m})",
                    f"{p}s0 = s0 + np.sum({e} / np.sum({e}, axis=0, keepdims=True) * x)"]
        if k < 0.21:
            return self.complex_after_loop(p)
        if k < 0.26:
            return self.entry_of_another_shape(p)
        if k < 0.30:
            return self.swapped_buffers(p)
        if k < 0.34:
            return self.records(p)
        if k < 0.38:
            return self.param_dicts(p)
        if k < 0.41:
            return self.starred(p)
        if k < 0.44:
            return self.zip_values(p)
        return super().stmt(depth, pad)

    def starred(self, p):
        """Starred unpacking of a tuple or of an array's rows (unpack.py), and a call that
        stars a list or a dict the function fixes (frontend/star_calls.py)."""
        r, k = self.r, self.r.random()
        a, rest, parts = self.fresh("a"), self.fresh("rest"), self.fresh("parts")
        if k < 0.5:
            value = r.choice([f"(x[0] * ({self.expr(1)}), np.sin(x[1]), x[2] ** 2)",
                              f"x[:3] * ({self.expr(1)})"])
            return [f"{p}{a}, *{rest} = {value}",
                    f"{p}s0 = s0 + 0.1 * {a} * sum({rest})"]
        opts = self.fresh("opts")
        return [f"{p}{parts} = [x[:2] * ({self.expr(1)}), np.cos(x[2:4])]",
                f"{p}{opts} = dict(axis=0)",
                f"{p}s1 = s1 + 0.1 * np.sum(np.sum(np.stack([np.multiply(*{parts}), "
                f"x[1:3]]), **{opts}))"]

    def source(self):
        return super().source().replace(PRELUDE, PRELUDE + RECORDS, 1)

    def records(self, p):
        """A namedtuple or dataclass built inside f: fields read by name and by index, a
        state advanced by a step function in a loop, a dataclass layer called."""
        r, k = self.r, self.r.random()
        if k < 0.35:
            pr = self.fresh("pair")
            return [f"{p}{pr} = Pair(x[:2] * ({self.expr(1)}), b=np.cos(x[2:4]))",
                    f"{p}s0 = s0 + 0.1 * np.sum({pr}.a * {pr}[1])"]
        if k < 0.7:
            pr, j = self.fresh("state"), self.fresh("j")
            return [f"{p}{pr} = Pair(x[:2] * 1.0, x[2:4] * ({self.expr(1)}))",
                    f"{p}for {j} in range({r.randint(1, 3)}):",
                    f"{p}    {pr} = advance({pr}, x[{j}:{j} + 2])",
                    f"{p}s1 = s1 + 0.1 * np.sum({pr}.a + {pr}.b ** 2)"]
        layer = self.fresh("layer")
        built = r.choice([f"Affine(x[:2] * ({self.expr(1)}))",
                          f"Affine(w=np.sin(x[1:3]), c={r.uniform(-0.5, 0.5):.2f})"])
        return [f"{p}{layer} = {built}", f"{p}s0 = s0 + 0.1 * np.sum({layer}(x[2:4]))"]

    def param_dicts(self, p):
        """A dict of parameters updated as optimizer code does: a dict comprehension over
        its keys or items (a loop and dict_of), writes at computed keys into a new dict
        (dict_set), `acc[k] += ...`, and `.get` with a default (a conditional read)."""
        r, k = self.r, self.r.random()
        P, key, v = self.fresh("params"), self.fresh("k"), self.fresh("v")
        lines = [f"{p}{P} = {{'w': x[:2] * ({self.expr(1)}), 'b': np.cos(x[2:4])}}"]
        if k < 0.3:
            g = self.fresh("g")
            lines += [f"{p}{g} = {{{key}: np.tanh({v} * x[1:3]) for {key}, {v} in "
                      f"{P}.items()}}",
                      f"{p}{P} = {{{key}: {P}[{key}] - 0.1 * {g}[{key}] for {key} in {P}}}"]
        elif k < 0.6:
            new = self.fresh("new")
            lines += [f"{p}{new} = {{}}", f"{p}for {key} in {P}:",
                      f"{p}    {new}[{key}] = {P}[{key}] * np.sin(x[{r.randint(0, 3)}])",
                      f"{p}{P} = {new}"]
        elif k < 0.8:
            acc, j = self.fresh("acc"), self.fresh("j")
            lines += [f"{p}{acc} = {{{key}: np.sum({v}) for {key}, {v} in {P}.items()}}",
                      f"{p}for {j} in range({r.randint(1, 3)}):",
                      f"{p}    for {key} in {acc}:",
                      f"{p}        {acc}[{key}] += np.sum({P}[{key}] * x[{j}:{j} + 2])",
                      f"{p}s1 = s1 + 0.1 * {acc}['w'] * {acc}['b']"]
        elif k < 0.9:
            lines += [f"{p}s1 = s1 + 0.1 * np.sum({P}.get('w') * {P}.get('c', 0.5))"]
        else:   # a list grown by concatenation (frontend/list_growth.py)
            out, j = self.fresh("out"), self.fresh("j")
            grow = r.choice([f"{out} = {out} + [{P}['w'] * x[{j}]]",
                             f"{out} += [{P}['b'] * x[{j}], np.tanh({P}['w'])]",
                             f"{out}.extend([{P}['b'] ** 2])"])
            lines += [f"{p}{out} = [{P}['b']]", f"{p}for {j} in range({r.randint(1, 3)}):",
                      f"{p}    {grow}", f"{p}s1 = s1 + 0.1 * np.sum(np.stack({out}) * x[:2])"]
        return lines + [f"{p}s0 = s0 + 0.1 * np.sum({P}['w'] * {P}['b'])"]

    def swapped_buffers(self, p):
        """Two buffers that trade arrays in a loop (a stencil: `new[1:-1] = ...` from `u`,
        then `u, new = new, u`, or through a temporary): analysis/distinct.py proves they
        never share memory, so the writes into `new` are differentiated in place. Inside a
        checkpointed loop, whose replays refuse them on purpose, a list idiom instead."""
        r = self.r
        if any("tl.checkpointed" in h for h in self.loops):
            return self.entry_of_another_shape(p)
        u, new, j = self.fresh("u"), self.fresh("new"), self.fresh("j")
        lines = [f"{p}{u} = np.tanh(x) * ({self.expr(1)})", f"{p}{new} = np.zeros_like({u})",
                 f"{p}for {j} in range({r.randint(2, 4)}):",
                 f"{p}    {new}[1:-1] = ({u}[:-2] + {u}[2:]) * np.tanh({u}[1:-1]) * 0.5",
                 f"{p}    {new}[0], {new}[-1] = {u}[0], {u}[-1] * 0.9"]
        if r.random() < 0.5:
            lines.append(f"{p}    {u}, {new} = {new}, {u}")
        else:
            t = self.fresh("t")
            lines += [f"{p}    {t} = {u}", f"{p}    {u} = {new}", f"{p}    {new} = {t}"]
        return lines + [f"{p}s0 = s0 + 0.1 * np.sum({u} * {new})"]

    def zip_values(self, p):
        """zip and enumerate used as values, consumed at once (runtime/zips.py): a list of
        pairs walked afterwards, an unzipping `a, b = zip(*pairs)`, a dict whose repeated key
        keeps its last value, a list of enumerate's pairs."""
        r, k = self.r, self.r.random()
        if k < 0.25:
            pairs = self.fresh("pairs")
            return [f"{p}{pairs} = list(zip(x[:3], np.tanh(x[3:] * ({self.expr(1)}))))",
                    f"{p}s0 = s0 + 0.2 * sum(u * v for u, v in {pairs})"]
        if k < 0.5:
            a, b = self.fresh("a"), self.fresh("b")
            return [f"{p}{a}, {b} = zip(*[(x[j], x[j + 1] * ({self.expr(1)})) "
                    f"for j in range({N - 1})])",
                    f"{p}s1 = s1 + 0.1 * np.dot(np.array({a}), np.array({b}))"]
        if k < 0.75:
            table = self.fresh("table")
            keys = r.choice(["['u', 'v', 'u']", "('u', 'v')", "['v', 'u', 'w', 'z']"])
            return [f"{p}{table} = dict(zip({keys}, [x[0] * ({self.expr(1)}), x[1], "
                    f"x[2] ** 2]))",
                    f"{p}s0 = s0 + {table}['u'] * {table}['v']"]
        items = self.fresh("items")
        start = r.choice(["", ", 1", ", start=2"])
        return [f"{p}{items} = {r.choice(['list', 'tuple'])}(enumerate(x[1:4] * "
                f"({self.expr(1)}){start}))",
                f"{p}s1 = s1 + 0.1 * sum(i * v for i, v in {items})"]

    def complex_after_loop(self, p):
        """A convolution of slices in a loop, then scaled by a complex number: the real
        gradients the loop adds in place meet complex adjoints (their real part counts)."""
        r = self.r
        c, j, z = self.fresh("conv"), self.fresh("j"), self.fresh("z")
        scale = r.choice(["(1 + 0.5j)", "np.exp(0.3j)", "np.exp(1j * x[:2])"])
        step = r.choice([f"{c} = {c} + x[{j}] * x[{j}:{j} + 2]",
                         f"{c} += np.tanh(x[{j} + 1]) * x[{j}:{j} + 2]"])
        return [f"{p}{c} = np.zeros(2)", f"{p}for {j} in range(3):", f"{p}    {step}",
                f"{p}{z} = ({c} - x[2:]) * {scale}",
                f"{p}s1 = s1 + 0.1 * np.sum(np.abs({z}) ** 2)"]

    def entry_of_another_shape(self, p):
        """A list entry replaced by a value of another shape (an outer product over a
        vector), written once or in a loop: its gradient entry takes the old value's shape."""
        r = self.r
        items, j = self.fresh("items"), self.fresh("j")
        lines = [f"{p}{items} = [x[:2] * 1.0, x[2:] * {self.expr(1)}]"]
        if r.random() < 0.5:
            lines.append(f"{p}{items}[0] = np.outer(x[:2], x[1:])")
        else:
            lines += [f"{p}for {j} in range(2):",
                      f"{p}    {items}[{j}] = np.outer({items}[{j}][:2], x[{j}:{j} + 2])"]
        return lines + [f"{p}s0 = s0 + 0.1 * np.sum({items}[0] * {items}[0]) + "
                        f"np.sum({items}[1]) * 0.1"]


@pytest.mark.parametrize("seed", range(int(os.environ.get("TL_RANDOM_PROGRAMS", 100)) // 2))
def test_random_pass_idiom_program(seed, tmp_path):
    """One random program per seed (the first of up to 10 with a smooth sample point)."""
    check_random_program(lambda attempt: PassIdiomProgramGenerator(104729 * seed + attempt),
                         seed, tmp_path)


class ComplexDataProgramGenerator(PassIdiomProgramGenerator):
    """The same programs with a complex data argument c of N values, f(x, c), not
    differentiated: the adjoints of the real values it meets are complex (their real part
    counts), also where the passes add them in place, in slices, loops and lists."""

    def stmt(self, depth, pad):
        if self.r.random() < 0.25:
            return self.complex_data("    " * pad)
        return super().stmt(depth, pad)

    def complex_data(self, p):
        r, k = self.r, self.r.random()
        if k < 0.15:
            return [f"{p}s1 = s1 + 0.1 * np.sum(np.abs(x * c) ** 2)"]
        if k < 0.3:
            return [f"{p}s0 = s0 + 0.2 * np.real(np.dot(c, x * {self.expr(1)}))"]
        if k < 0.45:
            u = self.fresh("u")
            return [f"{p}{u} = np.outer(c, np.conj(c)) @ x",
                    f"{p}s1 = s1 + 0.1 * np.sum(np.real({u}) * np.imag({u}))"]
        if k < 0.6:
            return [f"{p}y[:2] += np.imag(c[:2] * x[2:]) * 0.3"]
        if k < 0.75:
            j = self.fresh("j")
            return [f"{p}for {j} in range({N - 2}):",
                    f"{p}    s1 = s1 + 0.1 * np.real(np.sum(c[{j}:{j} + 2] * x[{j}:{j} + 2] "
                    f"* x[{j} + 1:{j} + 3]))"]
        if k < 0.88:
            parts = self.fresh("parts")
            return [f"{p}{parts} = [c * x, np.conj(c) * x[::-1]]",
                    f"{p}s0 = s0 + 0.05 * np.sum(np.abs({parts}[0] + {parts}[1]) ** 2)"]
        conv, j, z = self.fresh("conv"), self.fresh("j"), self.fresh("z")
        return [f"{p}{conv} = np.zeros(2)", f"{p}for {j} in range(3):",
                f"{p}    {conv} += x[{j}] * x[{j}:{j} + 2]",
                f"{p}{z} = ({conv} - x[2:]) * c[:2]",
                f"{p}s1 = s1 + 0.1 * np.sum(np.abs({z}) ** 2)"]

    def source(self):
        return re.sub(r"def (f|f_traced)\(x\):", r"def \1(x, c):", super().source())


def _smooth_with_data(module, x, c):
    """No condition within 1e-3 of flipping at x, and finite differences at two steps agree."""
    module.MARGINS.clear()
    value = module.f_traced(x, c)
    if (module.MARGINS and min(module.MARGINS) < 1e-3) or not np.isfinite(value):
        return False
    assert value == module.f(x, c)
    return np.allclose(numeric_grad(module.f, (x, c), 0, eps=1e-4),
                       numeric_grad(module.f, (x, c), 0, eps=1e-6), rtol=1e-4, atol=1e-6)


def _first_smooth(generator, data, seed, tmp_path, check):
    """check(module, x, data, points) on the first of up to 10 programs f(x, data) of
    `generator(attempt)` with a smooth sample point (data(module, points) draws the data)."""
    points = np.random.default_rng([seed, 13])
    for attempt in range(10):
        module = load_program(tmp_path / f"prog_{seed}_{attempt}.py",
                              generator(attempt).source())
        for _ in range(5):
            x = points.uniform(-1.5, 1.5, size=N)
            c = data(module, points)
            if _smooth_with_data(module, x, c):
                check(module, x, c, points)
                return
    pytest.fail(f"no smooth sample point found for seed {seed}")


@pytest.mark.parametrize("seed", range(int(os.environ.get("TL_RANDOM_PROGRAMS", 100)) // 4))
def test_random_program_with_complex_data(seed, tmp_path):
    """grad, vjp (its pullback twice) and jvp of one random program f(x, c) with complex c."""
    def data(module, points):
        return points.uniform(-1, 1, size=N) + 1j * points.uniform(-1, 1, size=N)

    def check(module, x, c, points):
        want = numeric_grad(module.f, (x, c), 0)
        np.testing.assert_allclose(tangent_lite.grad(module.f)(x, c), want, rtol=1e-5,
                                   atol=1e-7)
        value, pullback = tangent_lite.vjp(module.f, x, c)
        assert value == module.f(x, c)
        first = pullback(1.0)
        np.testing.assert_allclose(first, want, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(pullback(1.0), first)
        v = points.standard_normal(N)
        _, dvalue = tangent_lite.jvp(module.f, (x, c), (v, None))
        np.testing.assert_allclose(dvalue, want @ v, rtol=1e-5, atol=1e-7)

    _first_smooth(lambda attempt: ComplexDataProgramGenerator(f"complex:{seed}:{attempt}"),
                  data, seed, tmp_path, check)


# A model passed to f as a differentiated argument, its methods called inside (classes.py
# compiles df for the class passed): `model.forward(v)`, `model(v)`, a helper given the model.
MODELS = textwrap.dedent("""
    @dataclasses.dataclass
    class Gain:
        g: np.ndarray

        def __call__(self, v):
            return self.g * v


    @dataclasses.dataclass
    class Model:
        w: np.ndarray
        b: float
        gain: Gain
        taps: tuple

        def forward(self, v):
            return np.tanh(self.w * self.gain(v) + self.b)

        def __call__(self, v):
            out = self.forward(v) * self.w
            for tap in self.taps:
                out = out + 0.5 * tap(v)
            return out


    @dataclasses.dataclass
    class SineModel(Model):
        def forward(self, v):
            return np.sin(self.w * v) + self.b

        def __call__(self, v):
            out = self.forward(v) * self.w
            for i in range(len(self.taps)):
                out = out + 0.5 * self.taps[i](v)
            return out


    def shifted(model, v):
        return np.sum(model.forward(v + 0.1))
    """)


class ModelArgumentProgramGenerator(PassIdiomProgramGenerator):
    """The same programs as f(x, model), differentiated with respect to both: statements call
    the model's methods on the values of x."""

    def stmt(self, depth, pad):
        if self.r.random() < 0.25:
            return self.model_calls("    " * pad)
        return super().stmt(depth, pad)

    def model_calls(self, p):
        r, k = self.r, self.r.random()
        j = r.randint(0, N - 2)
        if k < 0.4:
            return [f"{p}s0 = s0 + 0.2 * np.sum(model.forward(x[{j}:{j} + 2] * "
                    f"({self.expr(1)})))"]
        if k < 0.7:
            return [f"{p}s1 = s1 + 0.1 * np.sum(model(x[{j}:{j} + 2]))"]
        if k < 0.85:
            return [f"{p}s0 = s0 + 0.1 * shifted(model, x[{j}:{j} + 2] * s1)"]
        # the layer the model holds, called directly (or found by getattr)
        gain = "model.gain" if j % 2 else 'getattr(model, "gain")'
        return [f"{p}s1 = s1 + 0.2 * np.sum({gain}(x[{j}:{j} + 2]) * s0)"]

    def source(self):
        text = super().source().replace(RECORDS, RECORDS + MODELS, 1)
        return re.sub(r"def (f|f_traced)\(x\):", r"def \1(x, model):", text)


def _model_arrays(model):
    """The model's array leaves, in a fixed order: w, gain.g, each tap's g."""
    return [model.w, model.gain.g] + [tap.g for tap in model.taps]


def _model_leaves_grad(f, x, model, eps=1e-6):
    """Central differences of f(x, model) in each element of each array leaf of the model
    (moved in place), and in model.b."""
    grads = []
    for leaf in _model_arrays(model):
        g = np.zeros(leaf.shape)
        for i in range(leaf.size):
            old = leaf[i]
            leaf[i] = old + eps
            up = f(x, model)
            leaf[i] = old - eps
            down = f(x, model)
            leaf[i] = old
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    db = (f(x, dataclasses.replace(model, b=model.b + eps))
          - f(x, dataclasses.replace(model, b=model.b - eps))) / (2 * eps)
    return grads, db


@pytest.mark.parametrize("seed", range(int(os.environ.get("TL_RANDOM_PROGRAMS", 100)) // 4))
def test_random_program_with_a_model_argument(seed, tmp_path):
    """grad with respect to x and to the model (of one of two classes), and jvp along both."""
    def data(module, points):
        cls = module.Model if points.random() < 0.5 else module.SineModel
        return cls(w=points.uniform(-1, 1, size=2), b=float(points.uniform(-0.5, 0.5)),
                   gain=module.Gain(g=points.uniform(0.5, 1.5, size=2)),
                   taps=tuple(module.Gain(g=points.uniform(-1, 1, size=2))
                              for _ in range(int(points.integers(1, 3)))))

    def check(module, x, model, points):
        cls = type(model)
        dx, dmodel = tangent_lite.grad(module.f, wrt=(0, 1))(x, model)
        assert type(dmodel) is cls
        np.testing.assert_allclose(dx, numeric_grad(module.f, (x, model), 0), rtol=1e-5,
                                   atol=1e-7)
        want, db = _model_leaves_grad(module.f, x, model)
        assert type(dmodel.gain) is module.Gain and len(dmodel.taps) == len(model.taps)
        for got, g in zip(_model_arrays(dmodel), want):
            np.testing.assert_allclose(got, g, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(dmodel.b, db, rtol=1e-5, atol=1e-7)
        v = points.standard_normal(N)
        vm = cls(w=points.standard_normal(2), b=0.3,
                 gain=module.Gain(g=points.standard_normal(2)),
                 taps=tuple(module.Gain(g=points.standard_normal(2)) for _ in model.taps))
        _, dvalue = tangent_lite.jvp(module.f, (x, model), (v, vm))
        np.testing.assert_allclose(dvalue, dx @ v + dmodel.b * 0.3 + sum(
            g @ t for g, t in zip(_model_arrays(dmodel), _model_arrays(vm))),
            rtol=1e-5, atol=1e-7)

    _first_smooth(lambda attempt: ModelArgumentProgramGenerator(f"model:{seed}:{attempt}"),
                  data, seed, tmp_path, check)
