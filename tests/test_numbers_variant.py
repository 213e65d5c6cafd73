"""The variant of df for numbers (grad_f_numbers) and the shape analysis that drops unbroadcast,
fuzzed with random scalar programs and checked against central finite differences in float64.

A function that computes a number from numbers by elementwise operations gets a second gradient,
compiled on the assumption that every argument is a number, which the generic df dispatches to
when the arguments are Python floats or ints or NumPy float64 scalars. Each random program here is
differentiated three ways: (a) at Python floats, where the variant must run; (b) with `a` an array
and `b`, `c` floats, where the generic df runs with broadcasting (`s = 0.0` becomes an array in a
loop); (c) at NumPy float64 scalars (the variant again) and 0-d arrays (the generic df), which
must give what (a) gave, with gradients of the arguments' types. The targeted tests at the end
pin down shape cases one by one, literals and NumPy constants, value_and_grad, keyword-only
parameters and generated modules.

Set TL_RANDOM_SCALAR_PROGRAMS to run more random programs than the default 60.
"""
import contextlib
import importlib
import os
import random
import sys
import typing

import numpy as np
import pytest
from codegen_support import run_without_tangent_lite
from helpers import check_grad, load_program, numeric_grad

import tangent_lite
from tangent_lite import compiled, pipeline

PARAMS = ("a", "b", "c")
STATE = ("s", "t", "u")
RTOL, ATOL = 1e-5, 1e-7          # what check_grad uses: float64 against central differences
SAME = dict(rtol=1e-12, atol=1e-14)  # one gradient computed two ways: rounding apart at most


# -- running and watching generated code --------------------------------------------------------

def numbers_variants(f, wrt):
    """The compiled variants for numbers among the callees of the gradient wrt `wrt`."""
    compiled = tangent_lite.grad(f, wrt=tuple(wrt)).__tangent_lite__
    return [d for d in compiled.deps if d.df.__name__.endswith("_numbers")]


@contextlib.contextmanager
def calls():
    """The code objects of the Python functions called inside the block."""
    codes = set()
    previous = sys.getprofile()

    def profile(frame, event, arg):
        if event == "call":
            codes.add(frame.f_code)

    sys.setprofile(profile)
    try:
        yield codes
    finally:
        sys.setprofile(previous)


def grad_taking(f, args, wrt, variant):
    """df(*args), asserting that the variant for numbers ran (variant=True) or did not."""
    df = tangent_lite.grad(f, wrt=wrt)
    with calls() as called:
        got = df(*args)
    ran = any(v.df.__code__ in called for v in numbers_variants(f, wrt))
    assert ran == variant, f"numbers variant {'not ' if variant else ''}taken for " \
                           f"{[type(x).__name__ for x in args]}"
    return got


def assert_matches_fd(f, args, got, wrt=(0, 1, 2)):
    """Each gradient in `got` has its argument's shape and agrees with central differences."""
    for i, g in zip(wrt, got):
        assert np.shape(g) == np.shape(args[i]), (i, np.shape(g), np.shape(args[i]))
        np.testing.assert_allclose(np.asarray(g, dtype=np.float64),
                                   numeric_grad(f, args, i), rtol=RTOL,
                                   atol=ATOL, err_msg=f"gradient wrt argument {i}")


# -- random scalar programs -----------------------------------------------------------------------

PRELUDE = '''\
import math

import numpy as np

MARGINS = []


def _mk(u, v):
    """u unchanged; records how far u is from v (a branch flip or a kink of abs/maximum)."""
    MARGINS.append(float(np.min(np.abs(np.asarray(u, dtype=np.float64) - v))))
    return u


def soft(u, scale=1.0):
    # a helper computing elementwise (its gradient is a vjp the variant calls)
    return scale * u / np.sqrt(1.0 + u * u)


def wave(u, v):
    # a helper with a loop
    w = np.sin(u) * v
    for k in range(2):
        w = w * 0.5 + np.cos(w + k)
    return w
'''


class Expr(typing.NamedTuple):
    plain: str      # as f spells it
    traced: str     # as f_traced spells it: conditions and kinks go through _mk
    dirty: bool     # may be an array when `a` is one
    const: bool     # no name in it: literals (and calls of NumPy on them) only


def _form(plain, traced, *parts):
    """Fill `{0}`, `{1}`... of the two spellings with the parts' spellings."""
    return Expr(plain.format(*(p.plain for p in parts)),
                traced.format(*(p.traced for p in parts)), any(p.dirty for p in parts),
                all(p.const for p in parts))


def _literal(text):
    return Expr(text, text, False, True)


class ScalarProgramGenerator:
    """A random `def f(a, b, c)` over the numbers s, t, u, from loops over ranges (the index in
    the arithmetic), a while with a bounded counter, if/elif/else on comparisons, early returns,
    break and continue, augmented assignments, and elementwise NumPy. Updates squash (tanh, sin,
    convex combinations), so values stay bounded and the program smooth between branch flips.

    `a` may be an array: the state variables in `self.dirty` may take its shape, the others are
    computed from numbers only, and conditions on dirty values reduce them (np.sum, np.mean,
    np.max) so that `if` sees one truth value. `f_traced` is f with every comparison and kink
    reporting its distance from flipping to MARGINS."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        # math or NumPy for a function of a number: a stream of its own, so that each seed
        # keeps the program it had before math was added
        self.lib = random.Random(f"library {seed}")
        self.dirty = {"a"} | {v for v in STATE if self.r.random() < 0.6}
        self.indices = []       # loop indices in scope
        self.loops = 0
        self.counter = 0

    # expressions
    def leaf(self, dirty_ok):
        r, k = self.r, self.r.random()
        if self.indices and k < 0.2:
            i = r.choice(self.indices)
            text = r.choice([i, f"({i} + 1)", f"(0.5 * {i})"])
            return Expr(text, text, False, False)
        if k < 0.3:
            text = f"{r.uniform(0.05, 1.0):.2f}"
            if r.random() < 0.1:
                text = "-" + text
            return _literal(text)
        name = r.choice([n for n in PARAMS + STATE if dirty_ok or n not in self.dirty])
        return Expr(name, name, name in self.dirty, False)

    def expr(self, depth, dirty_ok):
        r, k = self.r, self.r.random()
        if depth == 0 or k < 0.2:
            return self.leaf(dirty_ok)
        e = self.expr(depth - 1, dirty_ok)

        def sub():
            return self.expr(depth - 1, dirty_ok)
        if k < 0.34:
            name = r.choice(['sin', 'cos', 'tanh'])
            lib = "math" if not e.dirty and self.lib.random() < 0.5 else "np"   # numbers only
            form = f"{lib}.{name}({{0}})"
            return _form(form, form, e)
        if k < 0.40:
            form = r.choice(["np.exp(np.tanh({0}))", "np.exp(0.5 * np.sin({0}))"])
            return _form(form, form, e)
        if k < 0.45:
            return _form("np.sqrt(1.0 + {0} * {0})", "np.sqrt(1.0 + {0} * {0})", e)
        if k < 0.60:
            op, other = r.choice("+-*"), sub()
            return _form(f"({{0}} {op} {{1}})", f"({{0}} {op} {{1}})", e, other)
        if k < 0.65:
            return _form("(-{0})", "(-{0})", e)
        if k < 0.72:
            form = r.choice(["({0} ** 2)", "({0} ** 3)", "((1.5 + np.tanh({0})) ** np.tanh({1}))",
                             "((1.0 + {0} * {0}) ** 0.5)", "((1.2 + np.sin({0})) ** 1.5)"])
            return _form(form, form, e, sub())
        if k < 0.77:
            return _form("abs({0})", "abs(_mk({0}, 0.0))", e)
        if k < 0.83:
            fn = r.choice(["maximum", "minimum"])
            return _form(f"np.{fn}({{0}}, {{1}})", f"np.{fn}(_mk({{0}}, {{1}}), {{1}})", e, sub())
        if k < 0.86:
            form = r.choice(["soft({0})", "soft({0}, scale=0.5)", "wave({0}, {1})"])
            return _form(form, form, e, sub())
        if k < 0.90:
            return _form("np.where({0} > {1}, {2}, {3})",
                         "np.where(_mk({0}, {1}) > {1}, {2}, {3})", e, sub(), sub(), sub())
        form, other = r.choice(["{0} / (1.5 + np.sin({1}))", "{0} / (1.0 + {1} * {1})"]), sub()
        return _form(form, form, e, other)

    def cond(self, nested=True):
        r = self.r
        lhs = self.expr(1, True)
        rhs = self.leaf(True) if r.random() < 0.6 else _literal(f"{r.uniform(-0.5, 0.5):.2f}")
        if lhs.dirty or rhs.dirty:   # `if` needs one truth value: reduce what may be an array
            red = r.choice(["np.sum", "np.mean", "np.max"])
            lhs = _form(f"{red}({{0}})", f"{red}({{0}})", lhs)
            if rhs.dirty:
                rhs = _form(f"{red}({{0}})", f"{red}({{0}})", rhs)
        op = r.choice([">", "<"])
        out = _form(f"{{0}} {op} {{1}}", f"_mk({{0}}, {{1}}) {op} {{1}}", lhs, rhs)
        k = r.random()
        if nested and k < 0.15:
            return _form("not {0}", "not {0}", out)
        if nested and k < 0.3:
            join = r.choice(["and", "or"])
            return _form(f"({{0}} {join} {{1}})", f"({{0}} {join} {{1}})", out, self.cond(False))
        return out

    # statements: lists of (plain line, traced line)
    def block(self, depth, pad, least=1, most=2):
        return [pair for _ in range(self.r.randint(least, most))
                for pair in self.stmt(depth, pad)]

    def stmt(self, depth, pad):
        r, k, p = self.r, self.r.random(), "    " * pad
        if depth and k < 0.17:
            c = self.cond()
            lines = [(f"{p}if {c.plain}:", f"{p}if {c.traced}:"), *self.block(depth - 1, pad + 1)]
            if r.random() < 0.25:
                c = self.cond()
                lines += [(f"{p}elif {c.plain}:", f"{p}elif {c.traced}:"),
                          *self.block(depth - 1, pad + 1)]
            if r.random() < 0.5:
                lines += [(f"{p}else:",) * 2, *self.block(depth - 1, pad + 1)]
            return lines
        if depth and k < 0.34:
            i = f"i{self.counter}"
            self.counter += 1
            head = f"{p}for {i} in " + r.choice(["range(3)", "range(2)", "range(1, 4)",
                                                  "range(3, 0, -1)"]) + ":"
            self.indices.append(i)
            self.loops += 1
            body = self.block(depth - 1, pad + 1)
            self.loops -= 1
            self.indices.pop()
            return [(head, head), *body]
        if depth and k < 0.42:
            n = f"k{self.counter}"
            self.counter += 1
            limit = r.randint(1, 3)
            c = self.cond() if r.random() < 0.5 else None
            test = (f"{n} < {limit}" + (f" and ({c.plain})" if c else ""),
                    f"{n} < {limit}" + (f" and ({c.traced})" if c else ""))
            self.loops += 1
            body = self.block(depth - 1, pad + 1)
            self.loops -= 1
            return [(f"{p}{n} = 0",) * 2, (f"{p}while {test[0]}:", f"{p}while {test[1]}:"),
                    (f"{p}    {n} += 1",) * 2, *body]
        if k < 0.50 and (self.loops or r.random() < 0.5):
            c = self.cond()
            jump = r.choice(["break", "continue", "return"] if self.loops else ["return"])
            if jump == "return":
                e = self.result_expr()
                jump = (f"return {e.plain}", f"return {e.traced}")
            else:
                jump = (jump, jump)
            return [(f"{p}if {c.plain}:", f"{p}if {c.traced}:"),
                    (f"{p}    {jump[0]}", f"{p}    {jump[1]}")]
        return [tuple(p + line for line in self.assign())]

    def assign(self):
        r = self.r
        v = r.choice(STATE)
        ok = v in self.dirty
        e, w = self.expr(2, ok), self.leaf(ok)
        q = r.choice([n for n in PARAMS if ok or n not in self.dirty])
        q = Expr(q, q, q in self.dirty, False)
        forms = [f"{v} = np.tanh({{0}})", f"{v} = 0.5 * {v} + np.sin({{0}})",
                 f"{v} += 0.3 * np.tanh({{0}})", f"{v} *= 0.5 + 0.4 * np.cos({{0}})",
                 f"{v} -= 0.2 * np.sin({{0}})", f"{v} /= 2.0 + np.tanh({{0}})",
                 f"{v} = {v} * 0.9 + {{1}} / (1.0 + {{1}} * {{1}})",
                 f"{v} = np.tanh({v} * {{2}}) + {{1}}", f"{v} = np.tanh({{0}}) - 0.8 * {v}"]
        if self.indices:
            i = r.choice(self.indices)
            forms += [f"{v} = {v} + np.sin({{1}} * {i}) * {{2}}"] * 3
        form = r.choice(forms)
        out = _form(form, form, e, w, q)
        return out.plain, out.traced

    def result_expr(self):
        r = self.r
        form = r.choice(["s * t + u", "s + np.tanh(t) * u", "np.sin(s) * t - u * u",
                         "s * 0.5 + t * u + a", "(s - t) * u", "-s + b * t * u"])
        return Expr(form, form, True, False)

    def source(self):
        r = self.r
        head = [("    s = 0.0",) * 2,
                (f"    t = {r.choice(['1.0 * c', 'np.tanh(c + b)', '0.5 * c', '1.0'])}",) * 2,
                (f"    u = {r.choice(['b + 0.0', 'np.sin(b) + 0.5', 'b * c', '0.3'])}",) * 2]
        body = head + self.block(3, 1, least=2, most=4)
        e = self.result_expr()
        body.append((f"    return {e.plain}", f"    return {e.traced}"))
        out = PRELUDE
        for name, k in (("f", 0), ("f_traced", 1)):
            out += f"\n\ndef {name}(a, b, c):\n" + "\n".join(pair[k] for pair in body) + "\n"
        return out


def smooth_at(module, args):
    """No comparison or kink is within 1e-3 of flipping at args, the value is finite, and
    finite differences at two step sizes agree (so they can judge a gradient here)."""
    module.MARGINS.clear()
    value = module.f_traced(*args)
    if (module.MARGINS and min(module.MARGINS) < 1e-3) or not np.all(np.isfinite(value)):
        return False
    np.testing.assert_array_equal(value, module.f(*args))   # f_traced is f
    return all(np.allclose(numeric_grad(module.f, args, i, eps=1e-4),
                           numeric_grad(module.f, args, i, eps=1e-6), rtol=1e-4, atol=1e-6)
               for i in range(len(args)))


def find_point(module, draw, tries=6):
    for _ in range(tries):
        args = draw()
        if smooth_at(module, args):
            return args
    return None


MAX_LINES = 30


def random_scalar_program(seed, tmp_path):
    """(generator, module, source, point of floats, point with `a` an array): the first of up
    to 10 programs for this seed of at most MAX_LINES lines (compile time grows with them) with
    smooth points of both kinds."""
    points = np.random.default_rng(seed)

    def floats():
        return tuple(float(v) for v in points.uniform(-1.5, 1.5, size=3))

    def with_array():
        shape = [(3,), (2, 3), (1,)][points.integers(3)]
        return (points.uniform(-1.5, 1.5, size=shape),) + floats()[1:]

    for attempt in range(10):
        generator = ScalarProgramGenerator(1000 * seed + attempt)
        text = generator.source()
        if text.split("def f_traced")[0].count("\n") > PRELUDE.count("\n") + MAX_LINES:
            continue
        module = load_program(tmp_path / f"scalar_{seed}_{attempt}.py", text)
        scalar = find_point(module, floats)
        array = scalar and find_point(module, with_array)
        if array:
            return generator, module, text, scalar, array
    pytest.fail(f"no program with smooth sample points for seed {seed}")


@pytest.mark.parametrize("seed", range(int(os.environ.get("TL_RANDOM_SCALAR_PROGRAMS", 60))))
def test_random_scalar_program(seed, tmp_path):
    generator, module, text, scalar, array = random_scalar_program(seed, tmp_path)
    print(text)                      # shown when the test fails
    print("floats:", scalar, "\narray:", array)
    f = module.f
    pick = random.Random(seed)

    # (a) Python floats: the variant for numbers runs; gradients are floats, the right ones.
    variants = numbers_variants(f, (0, 1, 2))
    assert variants, "no variant for numbers for an elementwise program"
    for v in variants:   # lean: numbers need no summing down to shapes
        assert "unbroadcast(" not in v.source, v.source
    variant = bool(variants)
    got = grad_taking(f, scalar, (0, 1, 2), variant)
    assert all(type(g) is float for g in got), [type(g) for g in got]
    assert_matches_fd(f, scalar, got)

    # (b) `a` an array (3, 2x3 or 1 elements), b and c floats: the generic df, broadcasting
    # in loops.
    got_array = grad_taking(f, array, (0, 1, 2), False)
    assert type(got_array[0]) is np.ndarray and got_array[0].dtype == np.float64
    assert type(got_array[1]) is float and type(got_array[2]) is float
    assert_matches_fd(f, array, got_array)

    # (c) NumPy float64 numbers take the variant too; 0-d arrays and mixtures the generic df.
    as64 = tuple(np.float64(v) for v in scalar)
    got64 = grad_taking(f, as64, (0, 1, 2), variant)
    assert all(type(g) is np.float64 for g in got64), [type(g) for g in got64]
    np.testing.assert_allclose(got64, got, **SAME)
    as0d = tuple(np.array(v) for v in scalar)
    got0d = grad_taking(f, as0d, (0, 1, 2), False)
    assert all(type(g) is np.ndarray and g.shape == () for g in got0d), got0d
    np.testing.assert_allclose(got0d, got, **SAME)
    kinds = [float, np.float64, np.array]
    pick.shuffle(kinds)
    mixed = tuple(kind(v) for kind, v in zip(kinds, scalar))
    got_mixed = grad_taking(f, mixed, (0, 1, 2), False)
    for g, x in zip(got_mixed, mixed):
        assert type(g) is type(x) and np.shape(g) == np.shape(x), (type(g), type(x))
    np.testing.assert_allclose(got_mixed, got, **SAME)

    # One seed in three each (both compile again): fewer arguments in another order (other
    # variants, with dead code of their own), and value_and_grad (the variant keeps f's value).
    if seed % 3 == 2:
        return
    if seed % 3 == 0:
        order = tuple(pick.sample(range(3), pick.randint(1, 2)))
        some = grad_taking(f, scalar, order, variant)
        np.testing.assert_allclose(some, [got[i] for i in order], **SAME)
        some = grad_taking(f, array, order, False)
        for g, i in zip(some, order):
            np.testing.assert_allclose(g, got_array[i], **SAME)
        return
    for args, expected in ((scalar, got), (array, got_array)):
        value, again = tangent_lite.value_and_grad(f, wrt=(0, 1, 2))(*args)
        for g, e in zip(again, expected):
            np.testing.assert_allclose(g, e, **SAME)
        assert value is not None, "value_and_grad returned no value"
        np.testing.assert_allclose(value, f(*args), **SAME)


# -- targeted cases -------------------------------------------------------------------------------
# Module-level functions: tangent_lite reads their source from this file.

def loop_sum(x):
    s = 0.0
    for i in range(5):
        s = s + x * i
    return s


def dot_mixed(x, y):
    return np.sum(x * y)


def branch_shapes(x, y, p):
    if p > 0:
        z = x
    else:
        z = 2.0
    return np.sum(z * y)


def break_shapes(x, y, p):
    z = 1.0
    for i in range(3):
        if p < i:
            break
        z = z * x + 0.5
    return z * y


def while_shapes(x, y, n):
    z = y * 1.0
    k = 0
    while k < n:
        z = np.tanh(z * x) + y
        k += 1
    return z * y


def return_shapes(x, y, p):
    z = y * 2.0
    if p > 0:
        return z * y
    z = z * x
    return np.sin(z) * y


def index_reassigned(x, y):
    i = x * 1.0
    for i in range(0):
        pass
    return i * y


def elementwise_mix(a, b):
    t = np.sqrt(1.0 + a * a)
    s = np.maximum(t, b) + abs(a - b) ** 2
    u = np.exp(np.tanh(s)) / (1.0 + t * t)
    return -u * b + np.minimum(a, b) ** 3


def with_return_in_loop(a, b):
    s = a
    for i in range(3):
        if s > b:
            return s * b
        s = s + np.sin(a * i)
    return s


def keyword_only(a, *, b=2.0):
    return np.sin(a * b) * b


def positional_only(a, /, b=0.5):
    return np.tanh(a * b) + a * a * b


def counted(a, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(a * (i + 1))
    return s


def negative_literal(a):
    return -0.8 * a


def literal_arithmetic(a):
    return np.sin(a / (1.0 + 0.5 * 0.5))


def times_pi(a):
    return np.sin(2.0 * np.pi * a)


def where_of_comparison(a, b):
    return np.where(a > b, a * b, b)


SCALE = 0.7


def times_global(a):
    return np.sin(SCALE * a) * a


def matmul_by_ufunc(A, x):
    y = np.matmul(A, x)
    return np.sum(y * x)


def trace_times(x, y):
    t = np.trace(x)           # a number for a matrix, an array for more dimensions
    return np.sum(t * y)


X4 = np.array([0.3, -0.7, 1.1, 0.45])


def _variant_ran(df, *args, **kwargs):
    variants = [d.df.__code__ for d in df.__tangent_lite__.deps
                if d.df.__name__.endswith("_numbers")]
    with calls() as called:
        got = df(*args, **kwargs)
    return got, any(code in called for code in variants)


@pytest.mark.parametrize("x", [0.7, X4], ids=["float", "array"])
def test_loop_accumulating_from_a_number(x):
    """s starts as 0.0 and takes x's shape in the first iteration: unbroadcast must stay."""
    g, ran = _variant_ran(tangent_lite.grad(loop_sum), x)
    assert ran == isinstance(x, float)
    assert type(g) is type(x) and np.shape(g) == np.shape(x)
    np.testing.assert_array_equal(g, np.full(np.shape(x), 10.0))    # 0 + 1 + 2 + 3 + 4
    check_grad(loop_sum, x)


@pytest.mark.parametrize("x, y", [(X4, 0.6), (0.6, X4), (X4, X4[::-1].copy()), (0.6, -1.3),
                                  (X4[:, None], X4[None, :3]), (np.array(0.6), X4)],
                         ids=["array-float", "float-array", "arrays", "floats", "outer",
                              "0d-array"])
def test_array_and_number_arguments(x, y):
    got = check_grad(dot_mixed, x, y, wrt=(0, 1))
    for g, v in zip(got, (x, y)):
        assert type(g) is type(v)
    _, ran = _variant_ran(tangent_lite.grad(dot_mixed, wrt=(0, 1)), x, y)
    assert ran == (type(x) is float and type(y) is float)


def test_branches_that_give_a_name_different_shapes_keep_unbroadcast():
    source = tangent_lite.source(branch_shapes, wrt=(0, 1))
    backward = source.split("Backward sweep")[1]
    # z is x (an array) or 2.0: its gradient is still summed to z's shape, by unbroadcast or
    # by the fused sum_product (optimize/fused.py), which unbroadcasts the same way
    assert "dz = unbroadcast(" in backward or "dz = sum_product(" in backward, source
    for p in (1.0, -1.0):
        for y in (X4[::-1].copy(), 0.4):
            check_grad(branch_shapes, X4, y, p, wrt=(0, 1))
        check_grad(branch_shapes, 0.3, 0.4, p, wrt=(0, 1))


@pytest.mark.parametrize("f, args", [
    (break_shapes, (X4, 0.6, -0.5)),      # break before z takes x's shape
    (break_shapes, (X4, 0.6, 0.5)),       # after one step
    (break_shapes, (X4, 0.6, 5.0)),       # no break
    (break_shapes, (0.8, X4, 0.5)),
    (while_shapes, (X4, 0.6, 0)),         # the loop does not run: z keeps y's shape
    (while_shapes, (X4, 0.6, 2)),
    (while_shapes, (0.6, X4, 2)),
    (return_shapes, (X4, 0.6, 1.0)),      # the early return is y's shape, the other x's
    (return_shapes, (X4, 0.6, -1.0)),
    (index_reassigned, (X4, 0.6)),        # a loop that never runs leaves i the array it was
    (elementwise_mix, (X4, 0.35)),
    (elementwise_mix, (0.35, X4)),
    (elementwise_mix, (0.4, 0.2)),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_shapes_that_change_along_the_way(f, args):
    check_grad(f, *args, wrt=(0, 1))
    if all(type(v) is float for v in args):
        _, ran = _variant_ran(tangent_lite.grad(f, wrt=(0, 1)), *args)
        assert ran


def test_value_and_grad_of_a_numbers_program():
    vg = tangent_lite.value_and_grad(elementwise_mix, wrt=(0, 1))
    (value, got), ran = _variant_ran(vg, 0.4, 0.2)
    assert ran
    assert type(value) in (float, np.float64) and value == elementwise_mix(0.4, 0.2)
    assert all(type(g) is float for g in got)
    np.testing.assert_allclose(got, tangent_lite.grad(elementwise_mix, wrt=(0, 1))(0.4, 0.2),
                               **SAME)
    assert_matches_fd(elementwise_mix, (0.4, 0.2), got, wrt=(0, 1))
    value, got = vg(X4, 0.2)                         # the generic df
    np.testing.assert_array_equal(value, elementwise_mix(X4, 0.2))
    assert_matches_fd(elementwise_mix, (X4, 0.2), got, wrt=(0, 1))


@pytest.mark.parametrize("a, b", [(0.5, 1.2), (1.7, 1.2), (0.5, 2.5), (np.array(0.5), 1.2)],
                         ids=["returns-in-3rd-step", "returns-in-1st-step", "no-early-return",
                              "0d-array"])
def test_value_and_grad_with_a_return_inside_a_loop(a, b):
    """The value is the one returned, not what `result` held before the forward sweep. The
    forward sweep pushes `result` before each assignment inside the loop and the backward
    sweep pops it back; df used to return what was left, None (the generic df too)."""
    (value, got), _ = _variant_ran(tangent_lite.value_and_grad(with_return_in_loop, wrt=(0, 1)),
                                   a, b)
    assert value is not None, "value_and_grad returned None for f's value"
    np.testing.assert_allclose(value, with_return_in_loop(a, b), **SAME)
    assert_matches_fd(with_return_in_loop, (a, b), got, wrt=(0, 1))


def test_keyword_only_parameters_dispatch():
    df = tangent_lite.grad(keyword_only, wrt=("a", "b"))
    for kwargs in ({}, {"b": 1.5}, {"b": np.float64(0.7)}):
        got, ran = _variant_ran(df, 0.3, **kwargs)
        assert ran and all(type(g) is type(v) for g, v in
                           zip(got, (0.3, kwargs.get("b", 2.0))))
        b = kwargs.get("b", 2.0)
        assert_matches_fd(lambda a, b: keyword_only(a, b=b), (0.3, b), got, wrt=(0, 1))
    for a, b in ((X4, 0.5), (0.3, X4), (np.array(0.3), 0.5)):
        got, ran = _variant_ran(df, a, b=b)
        assert not ran
        assert_matches_fd(lambda a, b: keyword_only(a, b=b), (a, b), got, wrt=(0, 1))
    # Only `a`: b is still an argument and must be a number for the variant.
    got, ran = _variant_ran(tangent_lite.grad(keyword_only, wrt="a"), 0.3, b=X4)
    assert not ran and np.shape(got) == ()
    np.testing.assert_allclose(got, numeric_grad(lambda a: keyword_only(a, b=X4), (0.3,), 0),
                               rtol=RTOL, atol=ATOL)


def test_positional_only_and_default_and_int_arguments_dispatch():
    df = tangent_lite.grad(positional_only, wrt=(0, 1))
    for args in ((0.3,), (0.3, 1.5), (np.float64(0.3), 1.5)):
        got, ran = _variant_ran(df, *args)
        assert ran
        assert_matches_fd(positional_only, args + (0.5,) * (2 - len(args)), got, wrt=(0, 1))
    got, ran = _variant_ran(tangent_lite.grad(positional_only), 0.3, 2)   # an int b: a number
    assert ran and type(got) is float
    assert_matches_fd(positional_only, (0.3, 2), (got,), wrt=(0,))
    with pytest.raises(tangent_lite.TangentLiteError, match="integer"):
        df(0.3, 2)                                   # but not one to differentiate
    got, ran = _variant_ran(df, X4, 1.5)
    assert not ran
    assert_matches_fd(positional_only, (X4, 1.5), got, wrt=(0, 1))
    got, ran = _variant_ran(tangent_lite.grad(counted), 0.3, 4)      # int, not differentiated
    assert ran and type(got) is float
    assert_matches_fd(counted, (0.3, 4), (got,), wrt=(0,))
    got, ran = _variant_ran(tangent_lite.grad(counted), X4, 4)
    assert not ran
    assert_matches_fd(counted, (X4, 4), (got,), wrt=(0,))


LITERALS = [negative_literal, literal_arithmetic, times_pi, where_of_comparison, times_global]


@pytest.mark.parametrize("f", LITERALS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [0.3, np.array([0.3, -0.6, 0.9])], ids=["float", "array"])
def test_elementwise_functions_of_literals(f, x):
    args = (x, 0.2)[:f.__code__.co_argcount]
    check_grad(f, *args, wrt=tuple(range(len(args))))


@pytest.mark.parametrize("f", LITERALS, ids=lambda f: f.__name__)
def test_elementwise_functions_of_literals_get_a_numbers_variant(f):
    """`-0.8`, `1.0 + 0.5 * 0.5`, `np.pi`, module-level numbers and comparisons are numbers."""
    args = (0.3, 0.2)[:f.__code__.co_argcount]
    _, ran = _variant_ran(tangent_lite.grad(f, wrt=tuple(range(len(args)))), *args)
    assert ran


def test_numbers_variant_pushes_no_shapes():
    """A `return` inside a loop overwrites result: numbers need neither its shape saved nor
    zeros_grad to make its adjoint."""
    source = tangent_lite.source(with_return_in_loop, wrt=(0, 1), numbers=True)
    assert "shaped(" not in source, source


@pytest.mark.parametrize("A, x", [
    (np.array([0.5, -0.2, 0.3]), np.array([0.1, 0.7, -0.4])),       # A @ x is a number
    (np.array([[0.5, -0.2, 0.3, 0.9]]), np.arange(12.0).reshape(4, 3) / 10),   # (1, 3)
], ids=["vectors", "row-times-matrix"])
def test_matmul_called_as_a_ufunc_is_not_elementwise(A, x):
    """np.matmul is an np.ufunc (a generalized one), but its result does not have the
    broadcast shape of its operands: `y * x` must sum y's gradient down to y's shape.
    (analysis.shapes.broadcasting takes every np.ufunc for elementwise; before the shape
    analysis, unbroadcast stayed and these gradients were right.)"""
    check_grad(matmul_by_ufunc, A, x, wrt=(0, 1))
    assert pipeline.reverse(matmul_by_ufunc, ("A", "x")).numbers is None


@pytest.mark.parametrize("y", [0.7, np.array([0.7]), np.array([[0.7], [-0.2], [0.4]])],
                         ids=["float", "1", "3x1"])
def test_trace_of_more_than_two_dimensions_is_not_a_number(y):
    """np.trace of a 2x2x3 array has shape (3,); analysis.shapes lists np.trace among the
    full reductions (a 0-d result), and `t * y` then drops the unbroadcast of y's gradient.
    (Right before the shape analysis.)"""
    check_grad(trace_times, np.arange(12.0).reshape(2, 2, 3) / 10, y, wrt=(0, 1))


def smooth_everywhere(f, args):
    """Finite differences at two step sizes agree at args (no branch flip nearby)."""
    return all(np.allclose(numeric_grad(f, args, i, eps=1e-4), numeric_grad(f, args, i, eps=1e-6),
                           rtol=1e-4, atol=1e-6) for i in range(len(args)))


# -- generated modules ----------------------------------------------------------------------------

USER_MODULE = "tl_numbers_user"
USER_SOURCE = '''\
import numpy as np


def f(a, b, c):
    s = 0.0
    t = np.tanh(c + b)
    for i in range(3):
        s = s + np.sin(a * i) * b
        t = np.tanh(t * c) + a
        if np.sum(s) > np.sum(t):
            s = s * 0.9 + t / (1.0 + t * t)
        else:
            s -= 0.2 * np.sqrt(1.0 + s * s)
    return s * t
'''


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / f"{USER_MODULE}.py").write_text(USER_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, USER_MODULE, raising=False)
    return importlib.import_module(USER_MODULE)


def test_generated_module_has_both_gradients_and_they_are_right(user_module, tmp_path):
    path = tangent_lite.generate_module(user_module.f, tmp_path / "grads.py", wrt=(0, 1, 2))
    text = path.read_text()
    assert "\ndef grad_f(a, b, c):" in text and "\ndef grad_f_numbers(a, b, c):" in text
    assert "return grad_f_numbers(a, b, c)" in text
    assert "\ndef all_numbers(" in text                     # the runtime helper is copied
    grads = load_program(tmp_path / "grads_copy.py", text)
    f = user_module.f
    points = [(0.3, -0.4, 0.8), (np.array([0.3, -0.9, 1.2]), -0.4, 0.8)]
    for args in points:
        assert smooth_everywhere(f, args)
        with calls() as called:
            got = grads.grad_f(*args)
        assert (grads.grad_f_numbers.__code__ in called) == (type(args[0]) is float)
        assert_matches_fd(f, args, got)
        for g, e in zip(got, tangent_lite.grad(f, wrt=(0, 1, 2))(*args)):
            assert type(g) is type(e)
            np.testing.assert_allclose(g, e, **SAME)
    # Standalone: the same numbers with tangent_lite not importable.
    proc = run_without_tangent_lite(tmp_path, """
        import json
        import numpy as np
        import grads
        g = grads.grad_f(0.3, -0.4, 0.8)
        h = grads.grad_f(np.array([0.3, -0.9, 1.2]), -0.4, 0.8)
        print(json.dumps([list(g), [h[0].tolist(), h[1], h[2]], [type(v).__name__ for v in g]]))
    """)
    floats, arrays, types = proc.result
    assert types == ["float"] * 3
    np.testing.assert_allclose(floats, tangent_lite.grad(f, wrt=(0, 1, 2))(*points[0]), **SAME)
    expected = tangent_lite.grad(f, wrt=(0, 1, 2))(*points[1])
    np.testing.assert_allclose(arrays[0], expected[0], **SAME)
    np.testing.assert_allclose(arrays[1:], expected[1:], **SAME)


def test_rebinding_a_global_number_to_an_array_recompiles(monkeypatch):
    """SCALE was taken for a number when the variant was compiled; made an array, the
    gradient is compiled afresh (the cache watches the globals a gradient used)."""
    x = np.array([0.3, -0.6, 0.9])
    before = tangent_lite.grad(times_global)(x)
    monkeypatch.setitem(globals(), "SCALE", np.array([0.7, 0.2, 1.5]))
    check_grad(times_global, x)
    check_grad(times_global, 0.3)
    assert not np.allclose(tangent_lite.grad(times_global)(x), before)
