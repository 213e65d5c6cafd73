"""Random programs with the idioms of objects and comprehensions: the random-program generator
of test_control_flow.py, extended with comprehensions and generator expressions (reusing names
of f's own variables, so scoping matters), walrus assignments, input checks that never fire, and
calls of a small object's `__call__` and methods (which call each other through self). Each
program is checked against central finite differences at a point where no branch is about to
flip."""
import os
import textwrap

import pytest
from test_control_flow import N, PRELUDE, ProgramGenerator, check_random_program

OBJECTS = textwrap.dedent("""


    class Scaler:
        # a callable object whose methods call each other through self
        def __init__(self, a, offsets):
            self.a = a
            self.offsets = offsets

        def __call__(self, u):
            return np.tanh(self.a * u) + self.offsets[0]

        def shift(self, v):
            return v - self.a * 0.5

        def mix(self, u, v):
            return self.a * u + self.shift(v) * self.offsets[1]


    SCALE = Scaler(0.7, [0.1, 0.3])
    """)


class IdiomProgramGenerator(ProgramGenerator):
    """ProgramGenerator with the constructs of objects and comprehensions mixed in."""

    def __init__(self, seed):
        super().__init__(seed)
        self.walruses = 0

    def expr(self, depth=2):
        r, k = self.r, self.r.random()
        if depth == 0 or k > 0.25:
            return super().expr(depth)
        e = super().expr(depth - 1)
        if k < 0.05:
            return f"SCALE({e})"
        if k < 0.1:
            return f"SCALE.mix({e}, {super().expr(depth - 1)})"
        if k < 0.15:   # s0 as the variable: the comprehension's own, f's s0 is untouched
            var = r.choice(["u", "s0"])
            return f"sum(np.sin({var} * {e}) for {var} in x)"
        if k < 0.2:
            return (f"np.sum(np.array([x[j] * {e} for j in range({N}) "
                    f"if j != {r.randrange(N)}]))")
        return f"max([np.tanh(u + {e}) for u in x])"

    def stmt(self, depth, pad):
        r, k, p = self.r, self.r.random(), "    " * pad
        if k < 0.08:
            self.walruses += 1
            w = f"w{self.walruses}"
            v = r.choice(["s0", "s1"])
            return [f"{p}{v} = np.tanh(({w} := {self.expr(1)}) * 0.5) + 0.1 * {w}"]
        if k < 0.12:
            return [f"{p}if not np.isfinite({self.expr(1)}):",
                    f"{p}    raise ValueError('never: the values are finite')"]
        if k < 0.16:
            return [f"{p}s1 = s1 + 0.2 * sum([np.tanh(v * {self.expr(1)}) for v in x])"]
        return super().stmt(depth, pad)

    def source(self):
        return super().source().replace(PRELUDE, PRELUDE + OBJECTS, 1)


@pytest.mark.parametrize("seed", range(int(os.environ.get("TL_RANDOM_PROGRAMS", 100)) // 2))
def test_random_idiom_program(seed, tmp_path):
    """One random program per seed (the first of up to 10 with a smooth sample point)."""
    check_random_program(lambda attempt: IdiomProgramGenerator(7919 * seed + attempt), seed,
                         tmp_path)
