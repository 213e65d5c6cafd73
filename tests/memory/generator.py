"""Random programs that write memory, in the style of test_control_flow.ProgramGenerator.

Each program is `f(x, W)` with x of N = 8 elements and W of shape 2 x 4 (both differentiated),
or `f(x, W, c)` with complex data c of 4 values (the `complex_data` family, from seed 16).
It keeps scalars s0, s1, a vector y = np.tanh(x), a matrix B (a copy of W, or W itself: then
writes to B change the argument), a list lst with an alias acc, a list of arrays hist and views
head = y[:4], col = B[:, 1] taken at the start, and mixes, inside loops and branches:

    writes through views (slices, rows, columns, .T, reshape, ravel, [...]) with += -= *= /=,
    slice and item assignment; helpers that write through their argument; out= on np.add,
    np.multiply, np.exp, np.sin, np.tanh, np.matmul, np.dot (and where=); np.copyto with and
    without where=; np.add/subtract/multiply/maximum/minimum.at with repeated indices; fancy
    writes with repeated indices; mask writes whose mask reads the array written; fill, sort,
    put, np.put, np.fill_diagonal, clip(out=); chained assignment; list aliasing with append;
    shift registers of 3 to 20 variables carried through loops; writes to the arguments;
    lists of recurrent states (list_states.py).

Every condition and kink is kept away from flipping: f_traced is f with each condition spelled
`_m(e - c) > 0`, and with `_m(...)`, `_ties(...)` calls before each mask, clip, sort and
maximum.at, which record how far the sample point is from a flip; a sample point is used when
every margin is at least 1e-3 and finite differences at two step sizes agree. Programs are
deterministic functions of their seed.
"""
import random
import textwrap
from pathlib import Path

import numpy as np

from tests.helpers import load_program, spell_conditions
from tests.memory.list_states import list_states
from tests.memory.products import products

N = 8
MARGIN = 1e-3

PRELUDE = "import numpy as np\n\nMARGINS = []\n" + textwrap.dedent('''

    def _m(v):
        # the sample point's distance from a condition's or a kink's flip
        MARGINS.append(float(np.min(np.abs(v), initial=np.inf)))
        return v


    def _ties(v):
        # the distance between the two closest values (a sort or a maximum swaps them there)
        s = np.sort(np.ravel(v))
        if s.size > 1:
            MARGINS.append(float(np.min(np.diff(s))))


    def _ties_rows(M):
        for r in M:
            _ties(r)


    def _ties_at(y, idx, v):
        # the values ufunc.at(maximum or minimum) compares for each slot, and what is there
        idx = np.asarray(idx)
        v = np.broadcast_to(v, idx.shape)
        for k in set(idx.tolist()):
            _ties(np.concatenate([[y[k]], v[idx == k]]))


    def _bump(v, d):
        # a helper that writes through its argument
        v += d


    def _scale_rows(M, s):
        for i in range(M.shape[0]):
            M[i] *= s


    def _push(stack, v):
        stack.append(v)


    def _put(items, i, v):
        # a helper that replaces an entry of a list
        items[i] = v


    def _bump_sum(v, d):
        # writes through its argument and returns a value that is used
        v *= 1.0 + 0.1 * d
        return np.sum(d) * 0.1
    ''')


FAMILIES = ["view_write", "out_write", "copyto", "at", "fancy", "mask", "method", "chained",
            "lists", "chain", "argument", "helper"]
# Families added later, with the first seed that draws them: the programs of earlier seeds stay
# the ones BASELINE.md and tests/test_memory_programs.py record (a longer list of families
# changes every random choice after it).
LATER_FAMILIES = {"tuples": 3, "complex_lists": 11, "buffers": 14, "list_states": 15,
                  "complex_data": 16, "products": 19}


def families_of(seed):
    """The families programs of `seed` (an int) are drawn from."""
    return FAMILIES + [name for name, first in LATER_FAMILIES.items() if seed >= first]


class ProgramGenerator:
    """One random program; `source()` gives the module text, `features` the constructs used."""

    def __init__(self, seed, families=FAMILIES):
        self.r = random.Random(seed)
        self.conds = []
        self.loops = []          # (kind, variable): "vec" over range(N), "row" over range(2)
        self.features = set()
        self.count = 0
        # one to three kinds of memory writes per program, so that one construct a tool refuses
        # does not hide what it does with the others
        self.families = self.r.sample(families, self.r.choice([1, 1, 2, 2, 3]))

    # -- names and small pieces ----------------------------------------------------------------
    def fresh(self, stem):
        self.count += 1
        return f"{stem}{self.count}"

    def const(self, lo=-1.0, hi=1.0):
        return f"{self.r.uniform(lo, hi):.2f}"

    def idx(self, size, length=None):
        """A list of indices into range(size) with at least one repeat."""
        r = self.r
        length = length or r.randint(3, 6)
        out = [r.randrange(size) for _ in range(length - 1)]
        out.insert(r.randrange(length), r.choice(out))
        return out

    # -- expressions ---------------------------------------------------------------------------
    def leaf(self):
        r = self.r
        k = r.randrange(N)
        options = ["s0", "s1", f"x[{k}]", f"y[{k}]", f"B[{r.randrange(2)}, {r.randrange(4)}]",
                   self.const()]
        for kind, v in self.loops:
            options += ([f"x[{v}]", f"y[{v}]", f"y[{v} - 1]"] if kind == "vec"
                        else [f"B[{v}, {r.randrange(4)}]"] if kind == "row" else [])
        return r.choice(options)

    def expr(self, depth=2):
        r, k = self.r, self.r.random()
        if depth == 0 or k < 0.3:
            return self.leaf()
        if k < 0.5:
            return f"np.{r.choice(['sin', 'cos', 'tanh'])}({self.expr(depth - 1)})"
        if k < 0.7:
            return f"({self.expr(depth - 1)} {r.choice('*+-')} {self.expr(depth - 1)})"
        if k < 0.8:
            n = r.randint(2, 6)
            return f"np.{r.choice(['sum', 'mean'])}({self.vec(n, 0)}) * {self.const(0.1, 0.5)}"
        if k < 0.9:
            n = r.randint(2, 4)
            return f"np.dot({self.vec(n, 0)}, {self.vec(n, 0)}) * {self.const(0.1, 0.5)}"
        return f"({self.expr(depth - 1)} if {self.cond()} else {self.expr(depth - 1)})"

    def cond(self):
        self.conds.append((self.expr(1), self.const(-0.5, 0.5)))
        self.features.add("condition")
        c, k = f"@{len(self.conds) - 1}@", self.r.random()
        return c if k < 0.7 else f"not {c}" if k < 0.8 else \
            f"{c} {self.r.choice(['and', 'or'])} {self.cond()}"

    def vec(self, n, depth=1):
        """An expression of shape (n,)."""
        r = self.r
        a = r.randrange(N - n + 1)
        options = [f"x[{a}:{a + n}]", f"y[{a}:{a + n}]"]
        if n <= 4:
            b = r.randrange(4 - n + 1)
            options.append(f"B[{r.randrange(2)}, {b}:{b + n}]")
        if n == 2:
            options.append(f"B[:, {r.randrange(4)}]")
        if n == 4:
            options += ["head", f"B[{r.randrange(2)}]", "y[::2]"]
        if n == N:
            options += ["x", "y", "B.ravel()"]
        e = r.choice(options)
        if depth and r.random() < 0.5:
            k = r.random()
            e = (f"np.tanh({e})" if k < 0.3 else f"np.sin({e}) * {self.expr(1)}" if k < 0.6
                 else f"{e} * {self.const()}" if k < 0.8 else f"({e} + {self.vec(n, 0)})")
        return e

    def mat(self, shape, depth=1):
        r = self.r
        options = [f"np.outer({self.vec(shape[0], 0)}, {self.vec(shape[1], 0)})"]
        if shape == (2, 4):
            options += ["B", "np.reshape(x, (2, 4))", "y.reshape(2, 4)"]
        if shape == (4, 2):
            options += ["B.T", "np.reshape(y, (4, 2))"]
        e = r.choice(options)
        if depth and r.random() < 0.4:
            e = r.choice([f"np.tanh({e})", f"{e} * {self.const()}", f"np.cos({e})"])
        return e

    def arr(self, shape):
        if shape == ():
            return self.expr(1)
        if len(shape) == 1:
            return self.vec(shape[0]) if self.r.random() < 0.85 else self.expr(1)
        return self.mat(shape) if self.r.random() < 0.85 else self.expr(1)

    def view(self):
        """(a view of y or B, its shape)."""
        r = self.r
        k = r.randint(1, 6)
        a = r.randrange(N - k + 1)
        j = r.randrange(3)
        options = [(f"y[{a}:{a + k}]", (k,)), ("y[::2]", (4,)), (f"B[{r.randrange(2)}]", (4,)),
                   (f"B[:, {r.randrange(4)}]", (2,)), ("B.T", (4, 2)), ("B.ravel()", (N,)),
                   ("y.reshape(2, 4)", (2, 4)), ("B[...]", (2, 4)), ("y[...]", (N,)),
                   (f"B[:, {j}:{j + 2}]", (2, 2)), ("head", (4,)), ("col", (2,))]
        options += [(f"B[{v}]", (4,)) for kind, v in self.loops if kind == "row"]
        return r.choice(options)

    # -- statements ----------------------------------------------------------------------------
    def block(self, depth, pad):
        return [line for _ in range(self.r.randint(1, 3)) for line in self.stmt(depth, pad)]

    def stmt(self, depth, pad):
        r, p = self.r, "    " * pad
        k = r.random()
        if depth and k < 0.16:
            return self.control(depth, pad)
        kinds = [(3, getattr(self, name)) for name in self.families] + [(1, self.plain)]
        pick = r.uniform(0, sum(w for w, _ in kinds))
        for w, make in kinds:
            pick -= w
            if pick <= 0:
                return make(p)
        return self.plain(p)

    def control(self, depth, pad):
        r, p = self.r, "    " * pad
        k = r.random()
        if k < 0.35:
            lines = [f"{p}if {self.cond()}:", *self.block(depth - 1, pad + 1)]
            self.features.add("if")
            if r.random() < 0.5:
                lines += [f"{p}else:", *self.block(depth - 1, pad + 1)]
            return lines
        if k < 0.85:
            self.features.add("for")
            v = f"i{pad}"
            kind = r.choice(["vec", "row", "rep"])
            head = {"vec": r.choice([f"range({N})", f"range(1, {N})", f"range({N - 1}, 0, -1)"]),
                    "row": "range(2)", "rep": f"range({r.randint(2, 3)})"}[kind]
            self.loops.append((kind, v))
            body = [f"{p}    cnt += 1", *self.block(depth - 1, pad + 1)]
            if r.random() < 0.2:
                body += [f"{p}    if {self.cond()}:", f"{p}        {r.choice(['break', 'continue'])}"]
            self.loops.pop()
            return [f"{p}for {v} in {head}:", *body]
        self.features.add("while")
        n = f"k{pad}"
        self.loops.append(("rep", n))
        body = [f"{p}    {n} += 1", *self.block(depth - 1, pad + 1)]
        self.loops.pop()
        return [f"{p}{n} = 0", f"{p}while {n} < {r.randint(2, 3)} and ({self.cond()}):", *body]

    def update(self, target, shape):
        """An in-place update of `target` (an array of `shape`) by an operator."""
        r = self.r
        op = r.choice(["+=", "-=", "*=", "/=", "[:] =", "[k] =", "+= s"])
        if op == "*=":
            return f"{target} *= np.cos({self.arr(shape)})"
        if op == "/=":
            return f"{target} /= 1.5 + np.tanh({self.arr(shape)})"
        if op == "[:] =":
            return f"{target}[...] = {self.arr(shape)}"
        if op == "[k] =":
            k = ", ".join(str(r.randrange(n)) for n in shape)
            return f"{target}[{k}] = {self.expr(1)}"
        if op == "+= s":
            return f"{target} += {self.expr(1)}"
        return f"{target} {op} {self.arr(shape)}"

    def view_write(self, p):
        self.features.add("view write")
        r = self.r
        target, shape = self.view()
        if r.random() < 0.3 and target.endswith("]"):
            return [p + self.update(target, shape)]            # y[2:5] += ..., B[:, 1] *= ...
        if target in ("head", "col"):
            self.features.add("view kept from the start")
            return [p + self.update(target, shape) for _ in range(r.randint(1, 2))]
        v = self.fresh("v")
        return [f"{p}{v} = {target}"] + [p + self.update(v, shape)
                                         for _ in range(r.randint(1, 2))]

    def helper(self, p):
        self.features.add("helper writes its argument")
        r = self.r
        k = r.random()
        if k < 0.4:
            target, shape = self.view()
            return [f"{p}_bump({target}, {self.arr(shape)})"]
        if k < 0.6:
            target, shape = self.view()
            return [f"{p}s1 += _bump_sum({target}, {self.arr(shape)})"]
        return [f"{p}_scale_rows({r.choice(['B', 'y.reshape(2, 4)', 'B.T'])}, "
                f"np.cos({self.expr(1)}))"]

    def out_write(self, p):
        r = self.r
        k = r.random()
        self.features.add("out=")
        if k < 0.15:
            fn = r.choice(["np.tanh", "np.sin"])
            return [f"{p}{fn}(y, out=y)"]
        if k < 0.3:
            return [f"{p}np.exp(np.tanh({self.vec(N)}), out=y)"]
        if k < 0.45:
            return [p + r.choice([f"np.add(y, {self.vec(N)}, out=y)",
                                  f"np.multiply(y, np.cos({self.expr(1)}), out=y)",
                                  f"np.multiply(B, np.cos({self.mat((2, 4))}), out=B)",
                                  "np.tanh(B, out=B)"])]
        if k < 0.6:
            target, shape = self.view()
            fn = r.choice(["np.tanh", "np.sin"])
            if len(shape) == 1:
                return [f"{p}{fn}({self.vec(shape[0])}, out={target})"]
            return [f"{p}np.add({target}, {self.mat(shape)}, out={target})"]
        if k < 0.8:
            self.features.add("matmul/dot out=")
            a = r.randrange(N - 1)
            if r.random() < 0.5:
                return [f"{p}np.matmul(B, {self.vec(4)}, out=y[{a}:{a + 2}])"]
            a = r.randrange(N - 3)
            if r.random() < 0.5:
                return [f"{p}np.matmul(B.T, {self.vec(2)}, out=y[{a}:{a + 4}])"]
            # np.dot's operands are fresh arrays: with out= overlapping them NumPy is undefined
            return [f"{p}np.dot(np.tanh(B), np.sin({self.vec(4, 0)}), out=y[{a}:{a + 2}])"]
        self.features.add("where=")
        src, c = r.choice(["y", "x", self.vec(N, 0)]), self.const(-0.6, 0.6)
        if r.random() < 0.6:
            return [f"{p}#T _m({src} - {c})",
                    f"{p}np.add(y, {self.vec(N)}, out=y, where={src} > {c})"]
        return [f"{p}#T _m(B - {c})", f"{p}np.multiply(B, {self.const(0.3, 0.9)}, out=B, "
                f"where=B > {c})"]

    def copyto(self, p):
        r = self.r
        self.features.add("copyto")
        k = r.random()
        if k < 0.3:
            return [f"{p}np.copyto(y, {self.vec(N)})"]
        if k < 0.6:
            target, shape = self.view()
            return [f"{p}np.copyto({target}, {self.arr(shape)})"]
        self.features.add("copyto where=")
        c = self.const(-0.6, 0.6)
        if r.random() < 0.5:
            src = r.choice(["y", "x", self.vec(N, 0)])
            return [f"{p}#T _m({src} - {c})",
                    f"{p}np.copyto(y, {self.vec(N)}, where={src} > {c})"]
        return [f"{p}#T _m(B - {c})", f"{p}np.copyto(B, {self.mat((2, 4))}, where=B < {c})"]

    def at(self, p):
        r = self.r
        self.features.add("ufunc.at")
        fn = r.choice(["add", "add", "subtract", "multiply", "maximum", "minimum"])
        if r.random() < 0.8:
            target, size = "y", N
        else:
            target, size = f"B[{r.randrange(2)}]", 4
        idx = self.idx(size)
        if fn == "multiply":
            val = f"np.cos({self.vec(len(idx), 0)})"
        else:
            val = self.vec(len(idx)) if r.random() < 0.8 else self.expr(1)
        lines = []
        if fn in ("maximum", "minimum"):
            self.features.add("maximum/minimum.at")
            lines.append(f"{p}#T _ties_at({target}, {idx}, {val})")
        return lines + [f"{p}np.{fn}.at({target}, {idx}, {val})"]

    def fancy(self, p):
        r = self.r
        self.features.add("fancy write, repeated indices")
        k = r.random()
        if k < 0.6:
            idx = self.idx(N)
            op = r.choice(["=", "+=", "-=", "*="])
            val = (f"np.cos({self.vec(len(idx), 0)})" if op == "*=" else
                   self.vec(len(idx)) if r.random() < 0.8 else self.expr(1))
            return [f"{p}y[{idx}] {op} {val}"]
        if k < 0.8:
            n = r.randint(3, 5)
            rows = self.idx(2, n)
            cols = [r.randrange(4) for _ in rows]
            j = r.choice([i for i in range(n) if rows.index(rows[i]) != i])
            cols[j] = cols[rows.index(rows[j])]        # a repeated (row, col) pair
            return [f"{p}B[{rows}, {cols}] {r.choice(['=', '+='])} {self.vec(n)}"]
        rows = self.idx(2, 3)
        return [f"{p}B[{rows}] += {self.mat((3, 4))}"]

    def mask(self, p):
        r = self.r
        self.features.add("mask write reading itself")
        c = self.const(-0.6, 0.6)
        k = r.random()
        if k < 0.25:
            return [f"{p}#T _m(y - {c})", f"{p}y[y < {c}] = {self.const()}"]
        if k < 0.45:
            return [f"{p}#T _m(y - {c})", f"{p}y[y > {c}] *= {self.const(0.1, 0.9)}"]
        if k < 0.6:
            c = self.const(0.1, 0.5)
            return [f"{p}#T _m(np.abs(y) - {c})", f"{p}y[np.abs(y) < {c}] = 0.0"]
        if k < 0.75:
            return [f"{p}#T _m(B - {c})", f"{p}B[B < {c}] -= {self.expr(1)}"]
        if k < 0.9:
            return [f"{p}#T _m(y - {c})", f"{p}y[y > {c}] = x[y > {c}] * {self.const()}"]
        self.features.add("mask write")
        return [f"{p}#T _m(x - {c})", f"{p}y[x > {c}] = {self.expr(1)}"]

    def method(self, p):
        r = self.r
        k = r.random()
        if k < 0.15:
            self.features.add("fill")
            target, shape = r.choice([(f"B[{r.randrange(2)}]", (4,)), ("y[2:5]", (3,)),
                                      ("head", (4,))])
            return [f"{p}{target}.fill({self.expr(1)})"]
        if k < 0.4:
            self.features.add("sort")
            a = r.randrange(N - 3)
            return r.choice([[f"{p}#T _ties(y)", f"{p}y.sort()"],
                             [f"{p}#T _ties(y[{a}:{a + 4}])", f"{p}y[{a}:{a + 4}].sort()"],
                             [f"{p}#T _ties_rows(B)", f"{p}B.sort(axis=1)"]])
        if k < 0.55:
            self.features.add("fill_diagonal")
            return [f"{p}np.fill_diagonal(B, {self.expr(1)})"]
        if k < 0.75:
            self.features.add("put")
            idx = self.idx(N)
            return [p + r.choice([f"np.put(y, {idx}, {self.vec(len(idx))})",
                                  f"y.put({idx}, {self.vec(len(idx))})"])]
        self.features.add("clip out=")
        lo, hi = self.const(-0.8, -0.2), self.const(0.2, 0.8)
        if r.random() < 0.5:
            return [f"{p}#T _m(y - {lo})", f"{p}#T _m(y - {hi})",
                    f"{p}y.clip({lo}, {hi}, out=y)"]
        return [f"{p}#T _m(B - {lo})", f"{p}#T _m(B - {hi})",
                f"{p}np.clip(B, {lo}, {hi}, out=B)"]

    def chained(self, p):
        r = self.r
        self.features.add("chained assignment")
        k = r.random()
        if k < 0.3:
            return [f"{p}s0 = s1 = np.tanh({self.expr()})"]
        if k < 0.5:
            a, b = r.sample(range(N), 2)
            return [f"{p}y[{a}] = y[{b}] = {self.expr(1)}"]
        u, w = self.fresh("u"), self.fresh("w")
        if k < 0.75:
            return [f"{p}{u} = {w} = np.tanh({self.vec(N)})", p + self.update(u, (N,)),
                    f"{p}y = y + {w} * {self.const()}"]
        return [f"{p}{u} = {w} = np.zeros({N})", f"{p}{u} += {self.vec(N)}",
                f"{p}{w} -= {self.vec(N)} * {self.const()}", f"{p}y += {u} * {w}"]

    def lists(self, p):
        r = self.r
        k = r.random()
        self.features.add("list alias")
        if k < 0.25:
            return [f"{p}acc.append({self.expr()})"]
        if k < 0.4:
            return [f"{p}acc += [{self.expr(1)}]"]
        if k < 0.55:
            return [f"{p}_push(acc, {self.expr(1)})"]
        if k < 0.7:
            a = self.fresh("alias")
            return [f"{p}{a} = lst", f"{p}{a}.append({self.expr(1)})", f"{p}{a}[0] = "
                    f"{a}[0] * {self.const(0.3, 0.9)}"]
        if k < 0.85:
            return self.list_items(p)
        self.features.add("list of arrays")
        return [f"{p}hist.append({r.choice(['y', 'B', 'head', 'B[0]', 'y[2:6]'])})"]

    def list_items(self, p):
        """A list of rows or views (a comprehension, list(...), a literal) whose items are
        replaced (no array written: issue 14's GradBench LSTM) or, the near miss, updated with
        an augmented operator (NumPy's `*=` writes into the item's array: into B or y)."""
        r = self.r
        self.features.add("list item replaced")
        rows = self.fresh("rows")
        made = r.choice(["[B[j] for j in range(2)]", "list(B)", "[head, B[1]]",
                         "[y[:4], y[4:]]", "[B[0] * 1.0, B[1]]", "[np.tanh(B[j]) for j in "
                         "range(2)]"])
        lines = [f"{p}{rows} = {made}"]
        k, i = r.random(), r.randrange(2)
        if k < 0.4:
            lines.append(f"{p}{rows}[{i}] = {rows}[{i}] * np.cos({self.vec(4)})")
        elif k < 0.65:
            j = self.fresh("j")
            lines += [f"{p}for {j} in range(2):",
                      f"{p}    {rows}[{j}] = np.tanh({rows}[{j}]) + {rows}[1 - {j}] * "
                      f"{self.const()}"]
        else:
            self.features.add("list item updated in place")
            lines.append(f"{p}{rows}[{i}] {r.choice(['*=', '+='])} np.cos({self.vec(4)})")
        lines.append(f"{p}y[:4] += {rows}[0] * {rows}[1] * {self.const(0.1, 0.5)}")
        return lines

    def tuples(self, p):
        """Tuple assignments `a, b = e1, e2`, as GradBench's LSTM writes `hidden, cell = [...],
        [...]`: of two lists (items replaced, or the near miss, updated in place), of new
        arrays, of views (then written through: into y or B), and swaps `a, b = b, a` of
        scalars, arrays and views (the right-hand side reads both old values)."""
        r = self.r
        self.features.add("tuple assignment")
        a, b = self.fresh("a"), self.fresh("b")
        k = r.random()
        if k < 0.3:
            self.features.add("tuple of lists")
            lists = ["[B[0] * 1.0, np.tanh(y[:4])]", "[head, B[1]]", "[y[:4], y[4:]]",
                     "list(B)", "[np.tanh(B[j]) for j in range(2)]", f"[{self.vec(4)}, "
                     f"{self.vec(4)}]"]
            lines = [f"{p}{a}, {b} = {r.choice(lists)}, {r.choice(lists)}"]
            if r.random() < 0.3:
                self.features.add("swap")
                lines.append(f"{p}{a}, {b} = {b}, {a}")
            i, m = r.randrange(2), r.random()
            if m < 0.45:
                j = self.fresh("j")
                lines += [f"{p}for {j} in range(2):",
                          f"{p}    {b}[{j}] = {b}[{j}] * np.tanh({a}[{j}]) + {self.const()}"]
            elif m < 0.75:
                lines.append(f"{p}{a}[{i}] = {a}[{i}] * np.cos({b}[1 - {i}])")
            else:
                self.features.add("list item updated in place")
                lines.append(f"{p}{b}[{i}] {r.choice(['*=', '+='])} np.cos({self.vec(4)})")
            return lines + [f"{p}y[:4] += {a}[0] * {b}[1] * {self.const(0.1, 0.5)}"]
        views = ["head", "y[:4]", "y[4:]", "y[::2]", "y[1::2]", "B[0]", "B[1]"]
        if k < 0.55:
            self.features.add("tuple of arrays")
            lines = [f"{p}{a}, {b} = np.tanh({self.vec(4)}), {self.vec(4)} * {self.const()}"]
        elif k < 0.8:
            self.features.add("tuple of views")
            lines = [f"{p}{a}, {b} = {r.choice(views)}, {r.choice(views)}"]
        else:
            self.features.add("swap")
            if r.random() < 0.4:
                return [p + r.choice(["s0, s1 = s1, s0",
                                      f"s0, s1 = s1 * {self.const()}, s0 + {self.expr(1)}"])]
            lines = [f"{p}{a}, {b} = {r.choice(views + ['y[:4] * 1.0'])}, "
                     f"{r.choice(views + ['np.tanh(y[4:])'])}",
                     f"{p}{a}, {b} = {b}, {a}"]
        if r.random() < 0.3 and "swap" not in lines[-1]:
            self.features.add("swap")
            lines.append(f"{p}{a}, {b} = {b}, {a}")
        lines += [p + self.update(a, (4,)) for _ in range(r.randint(1, 2))]
        return lines + [r.choice([f"{p}y[:4] += {a} * {b} * {self.const(0.1, 0.5)}",
                                  f"{p}s1 += np.sum({a} * {b}) * {self.const(0.1, 0.5)}"])]

    def complex_lists(self, p):
        """A real value scaled by a complex number after a loop of slices (a convolution,
        then `(out - B[0]) * (1 + 0.5j)`: the real arrays' gradients meet complex adjoints),
        and a list, tuple or dict whose entry is replaced by a value of another shape
        (`items[0] = np.outer(...)`, in a loop too, or an append of another shape)."""
        r = self.r
        if r.random() < 0.5:
            self.features.add("complex scaling after a loop")
            out, j = self.fresh("conv"), self.fresh("j")
            scale = r.choice(["(1 + 0.5j)", "np.exp(0.3j)", f"({self.const()} - 1j)",
                              "np.exp(1j * y[:4])"])
            step = r.choice([f"{out} = {out} + x[{j}] * y[{j}:{j} + 4]",
                             f"{out} += B[0, {j}] * y[{j} + 1:{j} + 5]"])
            z = self.fresh("z")
            return [f"{p}{out} = np.zeros(4)", f"{p}for {j} in range(3):", f"{p}    {step}",
                    f"{p}{z} = ({out} - B[0]) * {scale}",
                    f"{p}s1 += np.sum(np.abs({z}) ** 2) * 0.1"]
        self.features.add("entry replaced by another shape")
        items, k = self.fresh("items"), r.random()
        if k < 0.3:
            lines = [f"{p}{items} = [y[:4] * 1.0, B[1]]",
                     f"{p}{items}[0] = np.outer(y[:2], B[0])"]
        elif k < 0.5:
            j = self.fresh("j")
            lines = [f"{p}{items} = [B[{j}] * 1.0 for {j} in range(2)]",
                     f"{p}for {j} in range(2):",
                     f"{p}    {items}[{j}] = np.outer(B[{j}], y[{j}:{j} + 2])"]
        elif k < 0.7:
            lines = [f"{p}{items} = [y[:4] * 1.0]", f"{p}{items}.append(np.outer(y[:2], B[1]))",
                     f"{p}{items}[0] = np.sum({items}[1], axis=1)"]
        else:
            self.features.add("dict entry replaced")
            lines = [f"{p}{items} = {{'a': y[:4] * 1.0, 'b': B[1]}}",
                     f"{p}{items}['a'] = np.outer(y[:2], B[0])"]
        first, second = (f"{items}['a']", f"{items}['b']") if k >= 0.7 else \
            (f"{items}[0]", f"{items}[1]")
        return lines + [f"{p}s1 += np.sum({first} * {first}) * 0.1 + np.sum({second}) * 0.1"]

    def buffers(self, p):
        """Buffers that trade arrays in a loop, as stencils and time steppers write them
        (`new[1:3] = ...; u, new = new, u`): swapped as a tuple, through a temporary, under a
        condition, or three rotated, in a for or a while loop, written with slices or `+=`.
        The near misses share memory for real: the second buffer the first itself or a view
        of it, or a view of a buffer kept from before the loop and read after it."""
        r = self.r
        self.features.add("swapped buffers")
        u, new, t = self.fresh("u"), self.fresh("nb"), self.fresh("t")
        lines = [f"{p}{u} = " + r.choice(["y[:4].copy()", "np.tanh(y[:4])", "B[0] * 1.0",
                                           "y[4:] + 0.0", "np.copy(B[1])"])]
        kept = None
        if r.random() < 0.15:
            self.features.add("buffers sharing memory")
            lines.append(f"{p}{new} = " + r.choice([u, f"{u}[::-1]", f"{u}.reshape(4)"]))
        else:
            lines.append(f"{p}{new} = " + r.choice(["np.zeros(4)", f"np.zeros_like({u})",
                                                     "np.ones(4) * 0.5", f"{u} * 0.0"]))
            if r.random() < 0.1:
                self.features.add("buffers sharing memory")
                kept = self.fresh("kept")
                lines.append(f"{p}{kept} = {u}[:2]")
        third = self.fresh("w") if r.random() < 0.2 else None
        if third:
            lines.append(f"{p}{third} = np.zeros(4)")
        c1, c2 = self.const(0.2, 0.6), self.const(0.2, 0.6)
        body = [r.choice([
            f"{new}[:] = np.tanh({u}) * {c1} + {self.vec(4)} * {c2}",
            f"{new}[1:3] = ({u}[:2] + {u}[2:]) * {c1}",
            f"{new}[...] = np.cos({u}) * {self.vec(4)}",
            f"{new} += {u} * {c1}"])]
        if body[0].startswith(f"{new}[1:3]"):
            body += [f"{new}[0] = {u}[0] * {c2}", f"{new}[3] = {u}[3]"]
        if third:
            self.features.add("buffers rotated")
            body += [f"{third}[:] = {u} * {new} * {c2}", f"{u}, {new}, {third} = {new}, {third}, {u}"]
        else:
            k = r.random()
            if k < 0.5:
                body.append(f"{u}, {new} = {new}, {u}")
            elif k < 0.75:
                tmp = self.fresh("tmp")
                body += [f"{tmp} = {u}", f"{u} = {new}", f"{new} = {tmp}"]
            else:
                body += [f"if {self.cond()}:", f"    {u}, {new} = {new}, {u}"]
        n = r.randint(2, 4)
        if r.random() < 0.3:
            self.features.add("while")
            lines += [f"{p}{t} = 0", f"{p}while {t} < {n}:",
                      *(f"{p}    {b}" for b in body), f"{p}    {t} += 1"]
        else:
            lines += [f"{p}for {t} in range({n}):", *(f"{p}    {b}" for b in body)]
        lines.append(r.choice([f"{p}y[:4] += {u} * {new} * {self.const(0.1, 0.5)}",
                               f"{p}s1 += np.sum({u} ** 2) * {self.const(0.1, 0.5)}"]))
        if kept:
            lines.append(f"{p}s0 += np.sum({kept}) * {self.const(0.1, 0.5)}")
        return lines

    def list_states(self, p):
        """States of a multi-layer recurrent network in a list, a dict, (h, c) pairs
        (list_states.py)."""
        return list_states(self, p)
    def products(self, p):
        """Matrix products written with `@` (products.py)."""
        return products(self, p)

    def complex_data(self, p):
        """A complex data argument c (4 values, not differentiated: f(x, W, c)) meeting the
        real values: elementwise, np.dot and np.matmul, np.abs(...) ** 2, np.real / np.imag /
        np.conj, in a loop of slices, in a list, and written into real arrays in place (the
        adjoints of real values are complex; their real part counts)."""
        r = self.r
        self.features.add("complex data argument")
        k = r.random()
        if k < 0.15:
            return [f"{p}s1 += np.sum(np.abs(y[:4] * c) ** 2) * 0.1"]
        if k < 0.3:
            return [f"{p}s0 = s0 + np.real(np.dot(c, B[{r.randrange(2)}] * y[:4])) * 0.2"]
        if k < 0.42:
            u = self.fresh("u")
            return [f"{p}{u} = np.matmul(B, c * y[4:])",  # `@`: the products family
                    f"{p}s1 = s1 + np.sum(np.real({u}) * np.imag({u})) * 0.1"]
        if k < 0.54:
            self.features.add("complex data written into a real array")
            return [f"{p}y[:4] += np.real(c * np.conj(c)) * y[4:] * 0.1",
                    f"{p}B[{r.randrange(2)}] += np.imag(c * {self.vec(4)}) * 0.2"]
        if k < 0.7:
            j = self.fresh("j")
            return [f"{p}for {j} in range(3):",
                    f"{p}    s1 += np.sum(np.real(c[{j}:{j} + 2] * y[{j}:{j} + 2])) * 0.1"]
        if k < 0.85:
            parts = self.fresh("parts")
            return [f"{p}{parts} = [c * y[:4], np.conj(c) * B[1]]",
                    f"{p}{parts}.append(c * {self.vec(4)})",
                    f"{p}s0 = s0 + np.sum(np.abs({parts}[0] - {parts}[2]) ** 2) * 0.05 "
                    f"+ np.real(np.sum({parts}[1])) * 0.1"]
        z = self.fresh("z")
        return [f"{p}{z} = np.exp(1j * y[:4]) * c",
                f"{p}y[4:] = y[4:] + np.real({z} * np.conj(c)) * 0.1"]

    def chain(self, p):
        """A shift register: c0 is new each step, c1 = c0, ..., carried through a loop."""
        r = self.r
        self.features.add("shift register")
        n = r.choice([3, 4, 5, 6, 8, 9, 10, 12] + [20] * 1)
        names = [self.fresh("c") for _ in range(n)]
        arrays = r.random() < 0.4
        init = "np.zeros(4)" if arrays else "0.0"
        if r.random() < 0.3:
            self.features.add("chained assignment")
            lines = [f"{p}{' = '.join(names)} = {init}"]
        else:
            lines = [f"{p}{v} = {init}" for v in names]
        t = self.fresh("t")
        self.loops.append(("rep", t))
        body = [f"{p}    {names[j]} = {names[j - 1]}" for j in range(n - 1, 0, -1)]
        if arrays and r.random() < 0.4:
            self.features.add("shift register updated in place")
            body += [f"{p}    {names[0]} += np.tanh({self.vec(4)}) * {self.const(0.5, 1.5)}"]
        elif arrays:
            body += [f"{p}    {names[0]} = np.tanh({self.vec(4)}) * 1.5"]
        else:
            body += [f"{p}    {names[0]} = np.tanh({self.expr()}) * 1.5"]
        self.loops.pop()
        lines += [f"{p}for {t} in range({n + r.randint(0, 2)}):", *body]
        terms = " + ".join(f"{names[j]} * {names[j + 1]}" for j in range(n - 1))
        lines.append(f"{p}y[:4] += ({terms}) * 0.1" if arrays else
                     f"{p}s0 = 0.5 * s0 + ({terms}) * 0.1")
        return lines

    def argument(self, p):
        r = self.r
        self.features.add("argument written")
        k = r.random()
        if k < 0.3:
            return [f"{p}x[{r.randrange(N)}] += 0.3 * {self.expr(1)}"]
        if k < 0.5:
            a = r.randrange(N - 2)
            return [f"{p}x[{a}:{a + 3}] *= np.cos({self.vec(3)})"]
        if k < 0.65:
            return [f"{p}x += 0.1 * np.tanh(y)"]
        if k < 0.8:
            return [f"{p}W[{r.randrange(2)}] *= np.cos({self.expr(1)})"]
        self.features.add("alias rebinding")
        return [p + r.choice(["y = x", "y = B.ravel()", "y = y * 1.0", "B = W"])]

    def plain(self, p):
        r = self.r
        v, e = r.choice(["s0", "s1"]), self.expr()
        return [p + r.choice([f"{v} = np.tanh({e})", f"{v} = 0.5 * {v} + np.sin({e})",
                              f"{v} += 0.3 * np.tanh({e})", f"{v} *= np.tanh({e})",
                              f"y = np.sin(y) * {self.expr(1)}", f"B = np.tanh(B + {e})"])]

    # -- the program ---------------------------------------------------------------------------
    def source(self):
        r = self.r
        b_init = "W" if r.random() < 0.3 else "W * 1.0"
        if b_init == "W":
            self.features.add("B is the argument W")
        body = self.block(3, 1) + self.block(2, 1)
        text = "\n".join([
            "    s0 = x[0] * 1.0", "    s1 = np.sin(x[1])", "    y = np.tanh(x)",
            f"    B = {b_init}", "    lst = [x[2] * 1.0]", "    acc = lst", "    hist = []",
            "    cnt = 0", "    head = y[:4]", "    col = B[:, 1]", *body,
            "    t = 0.0", "    for item in lst:", "        t = t + item * item",
            "    for a in hist:", "        t = t + np.sum(a * a) * 0.1",
            "    return np.sum(y * x) + np.sum(B * W) + s0 * s1 + t / (cnt + 1)"])
        out = PRELUDE
        for name, spelling, traced in (("f", "({} > {})", False),
                                       ("f_traced", "(_m({} - {}) > 0)", True)):
            lines = []
            for line in text.split("\n"):
                if "#T " in line:
                    if traced:
                        lines.append(line.replace("#T ", "", 1))
                    continue
                lines.append(line)
            code = spell_conditions("\n".join(lines), self.conds, spelling)
            params = "x, W, c" if "complex_data" in self.families else "x, W"
            out += f"\n\ndef {name}({params}):\n{code}\n"
        return out


def smooth_at(module, args):
    """Every margin is at least MARGIN, the value is finite and moderate, and finite
    differences at two step sizes agree (harness.sample_is_smooth)."""
    import copy
    from tests.memory.harness import sample_is_smooth
    module.MARGINS.clear()
    with np.errstate(all="ignore"):
        try:
            value = module.f_traced(*copy.deepcopy(args))
            plain = module.f(*copy.deepcopy(args))
        except (FloatingPointError, ZeroDivisionError, OverflowError):
            return False
    if (module.MARGINS and min(module.MARGINS) < MARGIN) or not np.isfinite(value) \
            or abs(value) > 1e6:
        return False
    if not (value == plain):
        raise AssertionError(f"{module.__file__}: f_traced and f disagree")
    return sample_is_smooth(module.f, args, [0, 1])


def find_program(seed, k, directory):
    """Random program k of `seed` (the first of up to 10 with a smooth sample point among 5):
    (module, [x, W] or [x, W, c], features, families), or None."""
    for attempt in range(10):
        gen = ProgramGenerator(f"{seed}:{k}:{attempt}", families_of(seed))
        text = gen.source()
        path = Path(directory) / f"memfuzz_{seed}_{k}_{attempt}.py"
        module = load_program(path, text)
        points = np.random.default_rng([seed, k, attempt])
        for _ in range(5):
            args = [points.uniform(-1.5, 1.5, size=N), points.uniform(-1.0, 1.0, size=(2, 4))]
            if "complex_data" in gen.families:   # data, not differentiated
                args.append(points.uniform(-1, 1, size=4) + 1j * points.uniform(-1, 1, size=4))
            if smooth_at(module, args):
                return module, args, sorted(gen.features), list(gen.families)
    return None
