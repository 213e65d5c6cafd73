"""Random programs with the array idioms the optimize passes rewrite, inside the random control
flow of test_control_flow.py: products of two slices summed (optimize/slices.py), a
concatenation of a slice product (the ODE's right-hand side), the max-shifted log-sum-exp and
softmax (optimize/shift.py), squared distances of a broadcast summed after a min (the fused
chains of optimize/fused.py) and a batched einsum (its gradient's contraction path). Each
rewrite is proved on the program's shape; here it meets loops, branches, reassigned names and
the other statements of f, and each program is checked against central finite differences at
a point where no branch is about to flip."""
import os

import pytest
from test_control_flow import N, ProgramGenerator, check_random_program


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
        return super().stmt(depth, pad)


@pytest.mark.parametrize("seed", range(int(os.environ.get("TL_RANDOM_PROGRAMS", 100)) // 2))
def test_random_pass_idiom_program(seed, tmp_path):
    """One random program per seed (the first of up to 10 with a smooth sample point)."""
    check_random_program(lambda attempt: PassIdiomProgramGenerator(104729 * seed + attempt),
                         seed, tmp_path)
