"""Control flow against central finite differences, and exact analytic values where known.

CASES gives each module-level function (tangent_lite reads its source) its wrt and the argument
tuples it is checked at, away from branch flips: each case first checks that finite differences
at two step sizes agree. The last part generates random programs from the same constructs,
writes each to a file, imports it and checks it the same way.
"""
import inspect
import os
import random
import textwrap

import numpy as np
import pytest

import tangent_lite
from helpers import check_grad, load_program, numeric_grad, spell_conditions

rng = np.random.default_rng(20240611)


# -- the walkthrough ---------------------------------------------------------------------------
def walkthrough(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    c = b if np.sum(b) > 0 else 100 * b
    return c

def total(x):
    return x.sum()


# -- branches ----------------------------------------------------------------------------------
def nested_ifs(x, y):
    if np.sum(x) > 0:
        if y > 0:
            z = x * y
        else:
            z = np.tanh(x) - y
    elif np.max(x) > 1.0:
        z = x ** 2 * y
    else:
        z = np.exp(x)
    return z

def bool_ops(x, y):
    if x > 0 and y > 0:
        z = x * y
    elif x > 0 or not y > -1:
        z = x - y * y
    else:
        z = np.exp(x) * y
    return z if (z > 0.5 or x < -1) and not y > 2 else -z * x

def array_conditions(x):
    y = x
    if np.all(x > -2.0) and np.any(x > 0.5):
        y = np.sin(x) * x
    if x.max() > 1.0:
        y = y + x.mean()
    a = x * x if x[0] > 0 else -x
    b = np.exp(a) if np.sum(a) < 2.0 else a * 3.0
    return (b if b[1] > a[1] else a) * y


# -- for loops: ranges, sequences, enumerate, zip ---------------------------------------------
def logsumexp(a):
    largest = a[0]
    for i in range(1, len(a)):
        if a[i] > largest:
            largest = a[i]
    result = 0.0
    for i in range(len(a)):
        result += np.exp(a[i] - largest)
    return np.log(result) + largest

def upper_triangle(A):
    rows, cols = A.shape
    total = 0.0
    for i in range(rows):
        for j in range(i, cols):
            total += A[i, j]
    return total

def recurrence(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = x[i] * y[i - 1] + np.sin(y[i - 1])
    return y

def enum_zip(x, y):
    s = 0.0
    for i, v in enumerate(x):
        s = s + (i + 1) * v * v
    for a, b in zip(x, y):
        s = s + a * np.sin(b)
    for i in range(len(x) - 3):  # no iteration when len(x) == 3
        s = s * x[i + 1]
    return s

def after_loop(x):
    for i, v in enumerate(x):
        w = v * i
        if v > 1.0:
            break
    return w * v + i

def rnn(W, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h * h)


# -- while -------------------------------------------------------------------------------------
def while_grow(x):
    s = x
    while s < 10.0:
        s = s * 1.5 + x
    return s

def while_vector(x):
    y = x
    n = 0
    while np.sum(y * y) < 50.0 and n < 20:
        y = np.tanh(y) + y * 1.3
        n += 1
    return y / n

def while_index(x):
    s, i = 0.0, 0
    while i < len(x) and x[i] > 0:
        s = s + np.log(x[i]) * s + x[i]
        if s > 4.0:
            break
        i += 1
    return s * x[0]

def while_in_for(x):
    total = 0.0
    for i in range(len(x)):
        v = x[i]
        while v < 5.0:
            v = v * 2.0 + 0.1
        total = total + v * x[i]
    return total


# -- break, continue ---------------------------------------------------------------------------
def break_nested_if(x):
    s = 1.0
    for v in x:
        if v > 0:
            if s > 2.0:
                break
            s = s * v + 1.0
        else:
            s = s - v
    return s

def constant_then_break(x):
    # s1 becomes a constant in the loop, whose body ends early: its tangent is zero after
    s0 = x[0] * 1.0
    s1 = np.sin(x[1])
    for i in range(2):
        s1 = np.tanh(0.71)
        if x[2] > 0.0:
            break
        s1 = s1 * x[3]
    return s0 * s1

def jumps_inner(A):
    total = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if A[i, j] < -0.5:
                break
            if A[i, j] > 0.5:
                continue
            total += np.sin(A[i, j]) * A[j, i] * (i + 1)
        total = total * 0.9
    return total

def continue_loop(x):
    s = 0.0
    for i, v in enumerate(x):
        if v < 0:
            continue
        s = s + v
        if i % 2 == 1:
            continue
        s = s * np.cos(v)
    return s

def continue_outer(A):
    total = 0.0
    for row in A:
        t = 0.0
        for v in row:
            t = t + v * v
        if t > 2.0:
            continue
        total = total + np.sqrt(t)
    return total

def break_and_continue(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        if s > 5.0:
            break
        s = s + np.exp(x[i])
        s = s * 1.01
    return s


# -- early and multiple returns ----------------------------------------------------------------
def early_elif(x):
    if x[0] > 1.0:
        return x[1] * x[0]
    elif x[0] > 0.0:
        y = np.sin(x)
        return y.sum()
    elif x[1] > 0.0:
        return x[1] ** 3
    return np.exp(x).sum()

def early_then_more(x):
    y = x * 2.0
    if np.sum(y) < -1.0:
        return y * y
    y = np.sin(y)
    if y[0] > 0.5:
        return y * x
    z = y + x
    return z * z

def early_in_loop(x, s):
    for i in range(len(x)):
        if x[i] > 2:
            return x[i] * s
        s = s * np.cos(x[i])
    return s + x[0]

def early_nested_loops(A):
    acc = 0.0
    for row in A:
        k = 0
        while k < 3:
            acc = acc * row[1] + row[2]
            if acc > 2.0:
                return acc * row[0]
            k += 1
    return np.sum(A) * acc


# -- subscript writes, augmented assignment ----------------------------------------------------
def aug_array(x):
    y = x * 1.0
    y += x
    y *= x
    y -= np.sin(x)
    y /= 2.0 + x * x
    return y

def aug_subscript(x):
    y = np.ones_like(x)
    acc = x[0]
    for i in range(len(x) - 1, -1, -1):
        acc = acc * np.cos(x[i]) + i
        y[i] *= x[i] * acc
        y[i] += x[i] ** 2
        y[i] -= 0.5 * x[0]
        y[i] /= 1.5 + x[-1] ** 2
    return y

def aug_slice(x):
    y = np.zeros(5)
    y[1:3] += x[:2]
    y[2:5] += x[2:] * y[1:4]
    y[:2] = y[:2] - x[3:]
    return y * x

def slice_in_loop(x):
    y = np.empty(6)
    for i in range(3):
        y[2 * i:2 * i + 2] = x[i] * x[i + 1:i + 3]
    return y * y

def same_slot(x):
    y = np.zeros(3)
    for i in range(len(x)):
        y[0] = y[0] * x[i] + 1.0
        y[1] += y[0] * x[i]
    y[2] = y[0] * y[1]
    s = 0.0
    for i in range(len(x)):
        y[i % 3] = np.sin(x[i]) * s + x[i]
        s = s + np.sum(y * y)
    return s

def matrix_writes(A, v):
    n = v.shape[0]
    B = np.zeros((n, n))
    for i in range(n):
        B[i, :] = A[i] * v
        for j in range(i):
            B[j, i] = v[i] * np.cos(v[j])
        B[i, i] += v[i] * A[i, i]
    s = 0.0
    for row in A:
        s = s + np.tanh(row @ v)
    return B.T @ v + s


# -- counters, masks, unpacking, array methods, nesting, overwriting ----------------------------
def mean_positive(x):
    s = 0.0
    count = 0
    for v in x:
        if v > 0:
            s += v * v
            count += 1
    return s / count

def masks(x):
    m = x > 0.5
    k = np.argmax(x)
    return np.sum(x[x > 0] ** 2) + x[x < 0].sum() + np.sum(x * m * x) + x[k] * k

def swap(x):
    a, b = x[0] * 1.0, np.sin(x[1])
    a, b = b, a
    return a * b * b

def scalar_alias_update(x):
    a = x[0] * 1.0
    s = a
    s *= x[1]
    t = s
    return t * a

def unpack_methods(X, w):
    a, b = w[0], w[1]
    a, b = b, a * b
    c = X - X.mean(axis=0)
    r = c.T.dot(w).reshape(3, 1) * X.T
    y = r.copy().astype(np.float64)
    return y.sum() / y.size + X.max() * X.ndim + y.shape[0] + a * np.sin(b)

def nested_if_loop(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            if x[i] > 1:
                s = s + x[i] ** 2
            else:
                s = s - np.sin(x[i])
        elif i % 2 == 0:
            s = s * x[i]
    return s

def loop_in_if(x):
    if np.sum(x) > 0:
        y = x
        for i in range(3):
            y = np.sin(y) * x
    else:
        y = x * 2.0
        for i in range(len(x)):
            y = y + x[i]
    return y

def overwrite(x):
    x = x * x
    x = x * x
    x = np.sin(x * x) + 1.0
    x = x * x
    for i in range(10):
        x = np.sin(x)
        x = x * 1.5 + 0.1
    return x


def a(*values):
    return np.array(values, dtype=np.float64)

def u(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape)


X5 = a(0.8, -0.4, 1.3, 0.2, -1.1)
CASES = [  # (function, wrt, [argument tuples])
    (nested_ifs, (0, 1), [(a(0.5, 0.2), 0.7), (a(0.5, 0.2), -0.7), (a(-2.5, 1.4), 0.7),
                          (a(-0.5, 0.2), 0.7)]),
    (bool_ops, (0, 1), [(0.8, 0.9), (0.3, 0.4), (0.6, -0.7), (-0.4, -2.0), (-0.3, 0.6),
                        (-1.5, 0.5), (0.5, 2.5)]),
    (array_conditions, 0, [(a(0.2, 0.9, 1.4),), (a(-2.2, 0.9, 1.4),), (a(0.5, 0.6, -0.2),),
                           (a(-0.5, 1.6, -0.2),)]),
    (logsumexp, 0, [(u(7, lo=-3, hi=3),)]),
    (upper_triangle, 0, [(u(3, 5),), (u(4, 2),)]),
    (recurrence, 0, [(u(6),)]),
    (constant_then_break, 0, [(a(0.3, -0.5, 0.7, 1.1),), (a(0.3, -0.5, -0.7, 1.1),)]),
    (enum_zip, (0, 1), [(u(4), u(4)), (u(5), u(5))]),
    (enum_zip, ("x", "y"), [(u(3), u(5))]),
    (after_loop, 0, [(a(0.5, -0.3, 1.5, 0.2),), (a(0.5, -0.3, 0.2),)]),
    (rnn, (0, 1, 2), [(0.3 * rng.standard_normal((4, 4)), u(4), u(50, 4))]),
    (while_grow, 0, [(0.3,), (2.1,), (12.0,)]),
    (while_vector, 0, [(a(0.3, -0.2, 0.5),)]),
    (while_index, 0, [(a(1.2, 0.7, 1.5, -0.3, 2.0),), (a(1.2, 2.7, 0.5),), (a(0.9, 0.5),)]),
    (while_in_for, 0, [(a(0.3, 1.7, 6.0, 0.05),)]),
    (break_nested_if, 0, [(a(0.5, -0.3, 1.2, 0.9, 2.0),)]),
    (continue_loop, 0, [(X5,)]),
    (jumps_inner, 0, [(a([0.3, -0.7, 0.8, 0.2], [0.6, 0.1, -0.4, 0.9], [-0.2, 0.7, 0.4, 0.35],
                         [0.9, 0.15, -0.6, 0.25]),), (u(3, 3, lo=-0.45, hi=0.45),)]),
    (continue_outer, 0, [(a([0.5, 0.3, 0.2], [1.5, 0.9, 0.7], [0.3, -0.6, 0.1]),)]),
    (break_and_continue, 0, [(a(0.5, -0.2, 0.9, 1.1, -0.4, 0.7, 0.2),), (a(0.1, -0.2, 0.3),)]),
    (early_elif, 0, [(a(1.5, 0.3),), (a(0.5, -0.3),), (a(-0.5, 0.7),), (a(-0.5, -0.7),)]),
    (early_then_more, 0, [(a(-0.5, -0.7),), (a(0.2, 0.1),), (a(-0.2, 0.4),)]),
    (early_in_loop, (0, 1), [(a(0.5, 2.5, 0.3), 1.5), (a(0.5, 1.5, 0.3), 1.5)]),
    (early_nested_loops, 0, [(a([0.5, 0.9, 0.3], [1.2, 1.1, 0.6]),),
                             (a([0.5, 0.2, 0.3], [0.4, 0.1, 0.6]),)]),
    (aug_array, 0, [(u(4),)]), (aug_subscript, 0, [(u(4),)]), (aug_slice, 0, [(u(5),)]),
    (slice_in_loop, 0, [(u(5),)]), (same_slot, 0, [(u(4),)]),
    (matrix_writes, (0, 1), [(u(3, 3), u(3)), (u(5, 3), u(3))]),
    (mean_positive, 0, [(X5,)]),
    (masks, 0, [(a(0.8, -0.4, 0.3, 1.2, -1.5),)]),
    (swap, 0, [(u(2),)]), (scalar_alias_update, 0, [(u(2),)]),
    (unpack_methods, (0, 1), [(u(5, 3), u(5))]),
    (nested_if_loop, 0, [(a(0.5, 1.5, -0.3, -0.8, 0.2, -0.6),)]),
    (loop_in_if, 0, [(a(0.5, 0.6, -0.2),), (a(-0.5, 0.6, -0.2),)]),
    (overwrite, 0, [(u(3, lo=0.3, hi=0.9),)]),
]


@pytest.mark.parametrize("f, wrt, args", [
    pytest.param(f, wrt, args, id=f"{f.__name__}-{k}-{wrt}")
    for f, wrt, table in CASES for k, args in enumerate(table)])
def test_matches_finite_differences(f, wrt, args):
    params = list(inspect.signature(f).parameters)
    where = [w if isinstance(w, int) else params.index(w) for w in np.atleast_1d(wrt).tolist()]
    for i in where:  # the inputs are away from branch flips: two step sizes agree
        np.testing.assert_allclose(numeric_grad(f, args, i, eps=1e-4),
                                   numeric_grad(f, args, i, eps=1e-6), rtol=1e-4, atol=1e-6,
                                   err_msg="test inputs too close to a branch flip")
    got = check_grad(f, *args, wrt=wrt)
    for i, g in zip(where, got if isinstance(wrt, tuple) else (got,)):
        assert type(g) is type(args[i])  # Python floats give floats, arrays give arrays


# -- exact values ------------------------------------------------------------------------------

@pytest.mark.parametrize("x", [3.0, -3.0, 0.7, -0.01, 999.0, np.array(2.5), np.array(-700.0),
                               a(1.0, -2.0, 3.0), a(-1.0, -2.0, 0.5)])
def test_walkthrough_gradient_is_f_over_a(x):
    g = tangent_lite.grad(walkthrough)(x)
    k = next(k for k in range(1, 30) if np.linalg.norm(x * 2.0 ** k) >= 1000)  # doublings
    assert type(g) is (float if isinstance(x, float) else np.ndarray)
    assert np.shape(g) == np.shape(x)
    np.testing.assert_array_equal(g, np.full(np.shape(x), 2.0 ** k * (1 if np.sum(x) > 0 else 100)))
    np.testing.assert_allclose(g, walkthrough(x) / x, rtol=1e-15)


EXACT = [  # (function, argument, its exact gradient)
    (total, u(5), lambda x: np.ones(5)),
    (logsumexp, u(6, lo=-3, hi=3), lambda x: np.exp(x) / np.exp(x).sum()),  # softmax
    (upper_triangle, u(4, 6), lambda A: np.triu(np.ones((4, 6)))),
    (mean_positive, a(0.4, -1.0, 2.0), lambda x: a(0.4, 0.0, 2.0)),  # counter divides
    (masks, a(0.4, -1.0, 2.0), lambda x: a(0.8, 1.0, 10.0)),  # masks select, argmax indexes
]


@pytest.mark.parametrize("f, x, expected", EXACT, ids=[c[0].__name__ for c in EXACT])
def test_exact_gradient(f, x, expected):
    np.testing.assert_allclose(tangent_lite.grad(f)(x), expected(x), rtol=1e-12, atol=0)


# -- random programs ---------------------------------------------------------------------------

N = 4
try:
    import scipy.special  # noqa: F401  (the programs may call it: see ProgramGenerator.library)
    HAS_SCIPY = True
except ImportError:
    HAS_SCIPY = False

PRELUDE = "import math\nimport tangent_lite as tl\n" + ("import scipy.special as sp\n" if HAS_SCIPY else "") + \
          "import numpy as np\nMARGINS = []\n\n\ndef _m(v):\n    MARGINS.append(abs(float(v)))\n" \
          "    return v\n" + textwrap.dedent("""


    def squash(u, v):
        # a helper with a branch and an early return
        if u > 0.0:
            return np.tanh(u) * v
        return u * v + 0.5


    def wave(u, k=2):
        # a helper with its own loop, called with and without its default
        total = 0.0
        for j in range(k):
            total = total + np.sin(u * (j + 1)) / (j + 1)
        return total
    """)


class ProgramGenerator:
    """A random function of a vector x of length N, with scalars s0, s1, an array y =
    np.zeros(N), an int counter cnt, and calls of the helpers `squash` and `wave`. Conditions are kept as @k@ tokens: f spells them
    `e > c`, f_traced spells them `_m(e - c) > 0` to record how far each is from flipping."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        # Which library spells a function (np.sin, math.sin, ...) is drawn from a stream of its
        # own, so the programs of a seed keep the shape they had before math was added.
        self.lib = random.Random(f"library {seed}")
        # Which loops are checkpointed (tl.checkpointed, issue 15) is drawn from a third.
        self.ckpt = random.Random(f"checkpoint {seed}")
        self.conds, self.leaves, self.loops = [], ["s0", "s1"], []

    def checkpointed(self, iterated):
        """`iterated`, or about a quarter of the time (never inside a checkpointed loop: that
        is refused) `tl.checkpointed(iterated, snapshots=s)` with 1 to 3 snapshots."""
        if any("tl.checkpointed" in h for h in self.loops) or self.ckpt.random() > 0.25:
            return iterated
        return f"tl.checkpointed({iterated}, snapshots={self.ckpt.randint(1, 3)})"

    def library(self, name, e):
        """`np.<name>(e)`, or the same function of a number from math or scipy.special (every
        expression is a number: an element, a scalar or a constant), or a smooth relative."""
        k = self.lib.random()
        if k < 0.5:
            return f"np.{name}({e})"
        if k < 0.8:
            return f"math.{name}({e})"
        if name == "tanh" and HAS_SCIPY and k < 0.9:
            return self.lib.choice([f"(2.0 * sp.expit(2.0 * {e}) - 1.0)", f"sp.erf({e})"])
        return self.lib.choice({
            "sin": [f"math.sin({e}) * math.exp(-0.1 * {e} * {e})", f"math.atan({e})"],
            "cos": [f"math.cos({e}) + math.log1p({e} * {e})", f"math.hypot({e}, 0.5)"],
            "tanh": [f"math.erf({e})", f"math.tanh({e}) * math.sqrt(1.0 + {e} * {e})",
                     f"math.atan2({e}, 1.5)"]}[name])

    def leaf(self):
        k = self.r.randrange(N)
        return self.r.choice(self.leaves + [f"x[{k}]", f"y[{k}]", f"{self.r.uniform(-1, 1):.2f}"])

    def expr(self, depth=2):
        r, k = self.r, self.r.random()
        if depth == 0 or k < 0.3:
            return self.leaf()
        e = self.expr(depth - 1)
        if k < 0.5:
            return self.library(r.choice(['sin', 'cos', 'tanh']), e)
        if k < 0.6:
            return f"np.exp({self.library('tanh', e)})" if self.lib.random() < 0.6 else \
                f"math.exp({self.library('tanh', e)})"
        if k < 0.8:
            return f"({e} {r.choice('*+-')} {self.expr(depth - 1)})"
        if k < 0.85:
            return f"squash({e}, {self.expr(depth - 1)})"
        if k < 0.875:
            return r.choice([f"wave({e})", f"wave({e}, k=3)"])
        if k < 0.9:    # a product written with `@`, beside the conditions' `@k@` tokens
            a, b = r.randrange(N - 1), r.randrange(N - 1)
            return f"(x[{a}:{a + 2}] @ np.tanh(y[{b}:{b + 2}] * {e}))"
        return f"({e} if {self.cond()} else {self.expr(depth - 1)})"

    def cond(self):
        self.conds.append((self.expr(1), f"{self.r.uniform(-0.5, 0.5):.2f}"))
        c, k = f"@{len(self.conds) - 1}@", self.r.random()
        return c if k < 0.7 else f"not {c}" if k < 0.8 else \
            f"{c} {self.r.choice(['and', 'or'])} {self.cond()}"

    def block(self, depth, pad):
        return [line for _ in range(self.r.randint(1, 3)) for line in self.stmt(depth, pad)]

    def loop(self, head, leaves, depth, pad, first=()):
        outer, self.leaves = self.leaves, self.leaves + leaves
        self.loops.append(head)
        body = [*first, *self.block(depth - 1, pad + 1)]
        self.loops.pop()
        self.leaves = outer
        return [head, *body]

    def stmt(self, depth, pad):
        r, k, p = self.r, self.r.random(), "    " * pad
        if depth and k < 0.15:
            lines = [f"{p}if {self.cond()}:", *self.block(depth - 1, pad + 1)]
            return lines + ([f"{p}else:", *self.block(depth - 1, pad + 1)] if r.random() < .5
                            else [])
        if depth and k < 0.3:
            i = f"i{pad}"
            head = r.choice([f"{i} in range({N})", f"{i} in range({r.randrange(N)}, len(x))",
                             f"{i} in range(x.shape[0] - 1, -1, -1)", f"{i}, v{i} in enumerate(x)"])
            target, iterated = head.split(" in ", 1)
            head = f"{target} in {self.checkpointed(iterated)}"
            leaves = [f"x[{i}]", f"y[{i}]", f"y[{i} - 1]"] + ([f"v{i}"] if "enum" in head else [])
            return self.loop(f"{p}for {head}:", leaves, depth, pad, [f"{p}    cnt += 1"])
        if depth and k < 0.4:
            n = f"k{pad}"
            test = self.checkpointed(f"{n} < {r.randint(2, 4)} and ({self.cond()})")
            return [f"{p}{n} = 0"] + self.loop(f"{p}while {test}:", [], depth, pad,
                                               [f"{p}    {n} += 1"])
        if self.loops and k < 0.5:
            jump = r.choice(["break", "continue", f"return s0 * {self.expr(1)}"])
            return [f"{p}if {self.cond()}:", f"{p}    {jump}"]
        if k < 0.6:  # slice writes, swaps, a new array
            s, e = r.randrange(N - 1), self.expr(1)
            return [p + r.choice([f"y[{s}:{s + 2}] = x[{s}:{s + 2}] * {e}",
                                  f"y[{s}:{s + 2}] += x[{s}:{s + 2}] * {e}",
                                  f"y = np.sin(y) * {e}", "s0, s1 = s1, s0", "s0 = s1"])]
        i = r.choice([h.split()[1].rstrip(",") for h in self.loops if " for " in h]
                     + [str(r.randrange(N))])
        v, e = r.choice(["s0", "s1", f"y[{i}]"]), self.expr()
        return [p + r.choice([f"{v} = np.tanh({e})", f"{v} = 0.5 * {v} + np.sin({e})",
                              f"{v} += 0.3 * np.tanh({e})", f"{v} *= np.tanh({e})",
                              f"{v} -= 0.2 * np.sin({e})", f"{v} /= 2.0 + np.tanh({e})"])]

    def source(self):
        text = "\n".join(["    s0 = x[0] * 1.0", "    s1 = np.sin(x[1])", f"    y = np.zeros({N})",
                          "    cnt = 0", *self.block(3, 1),
                          "    return s0 * s1 + np.sum(y * x) / (cnt + 1)"])
        out = PRELUDE
        for name, spelling in (("f", "({} > {})"), ("f_traced", "(_m({} - {}) > 0)")):
            code = spell_conditions(text, self.conds, spelling)
            out += f"\n\ndef {name}(x):\n{code}\n"
        return out


def smooth_at(module, x):
    """No condition is within 1e-3 of flipping at x, and finite differences agree."""
    module.MARGINS.clear()
    value = module.f_traced(x)
    if (module.MARGINS and min(module.MARGINS) < 1e-3) or not np.isfinite(value):
        return False
    assert value == module.f(x)
    return np.allclose(numeric_grad(module.f, (x,), 0, eps=1e-4),
                       numeric_grad(module.f, (x,), 0, eps=1e-6), rtol=1e-4, atol=1e-6)


def check_random_program(program, seed, path):
    """The first of up to 10 programs `program(attempt).source()` with a smooth sample point,
    checked against finite differences; files are written as path/<seed>_<attempt>.py."""
    points = np.random.default_rng(seed)
    for attempt in range(10):
        text = program(attempt).source()
        module = load_program(path / f"prog_{seed}_{attempt}.py", text)
        for _ in range(5):
            x = points.uniform(-1.5, 1.5, size=N)
            if smooth_at(module, x):
                check_grad(module.f, x)
                return
    pytest.fail(f"no smooth sample point found for seed {seed}")


@pytest.mark.parametrize("seed", range(int(os.environ.get("TL_RANDOM_PROGRAMS", 100))))
def test_random_program(seed, tmp_path):
    """One random program per seed (the first of up to 10 with a smooth sample point)."""
    check_random_program(lambda attempt: ProgramGenerator(1000 * seed + attempt), seed,
                         tmp_path)
