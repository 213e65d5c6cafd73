"""Checkpointed loops give the gradient of the program NumPy runs: for every number of
snapshots s from 1 to past the trip count, the gradient with grad(f, checkpoint=s) agrees to
rounding with the gradient that records every step, and with central finite differences."""
import pathlib
import sys

import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import runtime
from tangent_lite.runtime import revolve
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from tests.helpers import load_program, numeric_grad  # noqa: E402  (needs the repository on the path)
from tests.checkpoint import programs as p  # noqa: E402

rng = np.random.default_rng(7)


def _cases():
    W = rng.normal(size=(4, 4)) * 0.6
    return [
        # (name, function, arguments, wrt, trip count)
        ("rnn", p.rnn, (W, rng.normal(size=4), rng.normal(size=(8, 4))), (0, 1, 2), 8),
        ("early_exit", p.early_exit, (rng.normal(size=3),
                                      np.array([1.0, 2.0, -1.0, 1.5, 3.0, 5.0, 1.0])), 0, 7),
        ("returns_inside", p.returns_inside, (np.array([0.3, -0.2]), 9), 0, 9),
        ("nested", p.nested, (rng.normal(size=3), 0.7), (0, 1), 6),
        ("helper_calls", p.helper_calls, (rng.normal(size=3), 0.8), (0, 1), 7),
        ("subscript_writes", p.subscript_writes, (rng.normal(size=3), 7), 0, 7),
        ("carried_buffer", p.carried_buffer, (rng.normal(size=3) * 0.3, 7), 0, 7),
        ("hooked", p.hooked, (rng.normal(size=3), 1.3), (0, 1), 6),
        ("rows", p.rows, (rng.normal(size=(6, 3)), rng.normal(size=3)), (0, 1), 6),
        ("zipped", p.zipped, (list(rng.normal(size=(5, 2))), list(rng.normal(size=5)),
                              rng.normal(size=2)), 2, 5),
        ("overwritten_before", p.overwritten_before, (rng.normal(size=3),), 0, 5),
        ("stepped_range", p.stepped_range, (rng.normal(size=2),), 0, 4),
        ("grows", p.grows, (np.array([0.5, 1.0, 0.2]),), 0, 9),
        ("counted_while", p.counted_while, (np.array([0.2, 0.4]), 8), 0, 8),
        ("whiles_in_a_loop", p.whiles_in_a_loop, (rng.normal(size=2),), 0, 3),
        ("inner_exits", p.inner_exits, (np.array([0.5, 0.8, 1.1]), 1.3), (0, 1), 6),
        ("inner_exits_return", p.inner_exits, (np.array([-0.5, -2.5, 1.1]), 1.3), (0, 1), 6),
    ]


CASES = {name: rest for name, *rest in _cases()}
SWEEP = [(name, s) for name, (_, _, _, steps) in CASES.items() for s in range(1, steps + 2)]


@pytest.fixture(scope="module")
def taped():
    return {name: tl.grad(f, wrt=wrt)(*args) for name, (f, args, wrt, _) in CASES.items()}


def _close(got, want):
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name,snapshots", SWEEP)
def test_every_number_of_snapshots_agrees_with_taping(name, snapshots, taped):
    f, args, wrt, _ = CASES[name]
    _close(tl.grad(f, wrt=wrt, checkpoint=snapshots)(*args), taped[name])


@pytest.mark.parametrize("name", sorted(CASES))
def test_checkpointed_gradient_matches_finite_differences(name):
    f, args, wrt, _ = CASES[name]
    if name == "hooked":
        pytest.skip("the hook clips the gradient on purpose: compared with taping above")
    got = tl.grad(f, wrt=wrt, checkpoint=2)(*args)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    gots = got if isinstance(wrt, tuple) else (got,)
    for i, g in zip(items, gots):
        np.testing.assert_allclose(np.asarray(g, dtype=float), numeric_grad(f, args, i),
                                   rtol=1e-6, atol=1e-7)


def test_the_source_marker_checkpoints_that_loop():
    W, h = rng.normal(size=(3, 3)), rng.normal(size=3)
    src = tl.source(p.marked_for)
    assert "Checkpoints(len(t_range), 3)" in src and "checkpoints.actions()" in src
    assert "revolve with s = 3 snapshots" in src
    _close(tl.grad(p.marked_for)(W, h), tl.grad(p.unmarked_for)(W, h))
    x = np.array([0.1, 0.5, -0.3])
    assert "Checkpoints(None, 2)" in tl.source(p.marked_while)
    _close(tl.grad(p.marked_while)(x), tl.grad(p.unmarked_while)(x))
    np.testing.assert_allclose(tl.grad(p.marked_while)(x), numeric_grad(p.marked_while, (x,), 0),
                               rtol=1e-6)


def test_the_marker_changes_nothing_when_f_runs():
    W, h = rng.normal(size=(3, 3)), rng.normal(size=3)
    assert p.marked_for(W, h) == p.unmarked_for(W, h)
    x = np.array([0.1, 0.5, -0.3])
    assert p.marked_while(x) == p.unmarked_while(x)
    items = [1, 2]
    assert tl.checkpointed(items, snapshots=4) is items


@pytest.fixture
def alive(monkeypatch):
    """Counts the snapshots alive at once in every Checkpoints the gradients use."""
    peaks = []
    take = revolve.Checkpoints.take

    def counting(self, step, state):
        take(self, step, state)
        peaks.append((self.snapshots, len(self.stored)))
    monkeypatch.setattr(revolve.Checkpoints, "take", counting)
    return peaks


@pytest.mark.parametrize("name", ["rnn", "early_exit", "grows", "counted_while", "nested"])
def test_at_most_s_snapshots_are_alive(name, alive):
    f, args, wrt, steps = CASES[name]
    for s in range(1, steps + 2):
        alive.clear()
        tl.grad(f, wrt=wrt, checkpoint=s)(*args)
        assert alive and max(n for _, n in alive) <= s
        assert {limit for limit, _ in alive} == {s}


def test_value_and_grad_with_checkpointing():
    f, args, wrt, _ = CASES["rnn"]
    value, g = tl.value_and_grad(f, wrt=wrt, checkpoint=3)(*args)
    assert value == f(*args)
    _close(g, tl.grad(f, wrt=wrt)(*args))


def test_a_pullback_called_many_times_recomputes_from_its_snapshots():
    f, args, wrt, _ = CASES["rnn"]
    value, pullback = tl.vjp(f, *args, wrt=wrt, checkpoint=2)
    _, taped_pullback = tl.vjp(f, *args, wrt=wrt)
    for weight in (1.0, -2.5, 0.5):
        _close(pullback(weight), taped_pullback(weight))
    x = np.array([0.5, 1.0, 0.2])
    _, pull = tl.vjp(p.grows, x, checkpoint=2)
    for weight in (1.0, 3.0):
        _close(pull(weight), weight * tl.grad(p.grows)(x))


def test_vjp_of_a_marked_loop_with_an_array_result():
    def traj(x):
        for t in tl.checkpointed(range(5), snapshots=2):
            x = np.sin(x) * 1.1
        return x
    x = np.array([0.2, -0.4, 0.9])
    value, pullback = tl.vjp(traj, x)
    np.testing.assert_allclose(value, traj(x))
    jac = np.stack([pullback(e) for e in np.eye(3)])
    fd = np.stack([numeric_grad(lambda z, k=k: traj(z)[k], (x,), 0) for k in range(3)])
    np.testing.assert_allclose(jac, fd, rtol=1e-6, atol=1e-8)


def test_hvp_and_hessian_of_a_marked_loop():
    W, h = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)
    v = rng.normal(size=3)
    got = tl.hvp(p.marked_for, wrt=1)(W, h, v)
    want = tl.hvp(p.unmarked_for, wrt=1)(W, h, v)
    _close(got, want)
    grad_h = tl.grad(p.unmarked_for, wrt=1)
    fd = (grad_h(W, h + 1e-6 * v) - grad_h(W, h - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-7)


def test_checkpointed_gradient_of_float_arguments():
    def orbit(x, a):
        for t in range(12):
            x = a * np.sin(x) + 0.3
        return x * x
    for s in (1, 2, 5):
        got = tl.grad(orbit, wrt=(0, 1), checkpoint=s)(0.4, 1.7)
        _close(got, tl.grad(orbit, wrt=(0, 1))(0.4, 1.7))
        assert type(got[0]) is float


def test_a_checkpointed_loop_inside_another_loop():
    def outer(x):
        for k in range(3):
            for t in tl.checkpointed(range(5), snapshots=2):
                x = np.sin(x) + 0.2 * k
            x = x * 1.1
        return np.sum(x * x)

    def plain(x):
        for k in range(3):
            for t in range(5):
                x = np.sin(x) + 0.2 * k
            x = x * 1.1
        return np.sum(x * x)
    x = np.array([0.3, -0.6])
    _close(tl.grad(outer)(x), tl.grad(plain)(x))


def test_checkpoint_option_is_checked():
    with pytest.raises(tl.TangentLiteError, match="checkpoint=0"):
        tl.grad(p.rnn, checkpoint=0)
    with pytest.raises(tl.TangentLiteError, match="snapshots"):
        tl.grad(p.rnn, checkpoint=2.5)


def test_nested_checkpointed_loops_are_refused():
    def twice(x):
        for k in tl.checkpointed(range(3), snapshots=2):
            for t in tl.checkpointed(range(4), snapshots=2):
                x = np.sin(x)
        return np.sum(x)
    with pytest.raises(tl.UnsupportedSyntaxError, match=r"inside another checkpointed loop") \
            as info:
        tl.grad(twice)(np.ones(2))
    assert "test_checkpoint.py" in str(info.value) and "checkpoint the outer loop" in \
        str(info.value)


def test_random_draws_in_a_checkpointed_loop_are_refused():
    def noisy(x):
        for t in tl.checkpointed(range(4), snapshots=2):
            x = np.sin(x) + np.random.normal(size=x.shape)
        return np.sum(x)
    with pytest.raises(tl.UnsupportedSyntaxError, match="random"):
        tl.grad(noisy)(np.ones(2))


def test_snapshots_must_be_a_literal():
    def loose(x, s):
        for t in tl.checkpointed(range(4), snapshots=s):
            x = np.sin(x)
        return np.sum(x)
    with pytest.raises(tl.UnsupportedSyntaxError, match="snapshots=20"):
        tl.grad(loose)(np.ones(2), 3)


def test_runtime_exports():
    assert runtime.Checkpoints is revolve.Checkpoints
    assert "Checkpoints" in runtime.__all__


def test_an_ahead_of_time_module_with_checkpointing_imports_only_numpy(tmp_path):
    path = tl.generate_module([p.marked_for, p.marked_while], tmp_path / "revolved.py")
    text = path.read_text()
    imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["import numpy as np"]
    assert "class Checkpoints" in text and "def split" in text
    module = load_program(path, text)
    W, h = rng.normal(size=(3, 3)), rng.normal(size=3)
    _close(module.grad_marked_for(W, h), tl.grad(p.unmarked_for)(W, h))
    _close(module.grad_marked_while(h), tl.grad(p.unmarked_while)(h))


def sines(x):
    for t in tl.checkpointed(range(5), snapshots=2):
        x = np.sin(x) * 1.1
    return x


def sines_taped(x):
    for t in range(5):
        x = np.sin(x) * 1.1
    return x


def test_second_derivatives_jvp_and_jacobians_of_a_marked_loop():
    _close(tl.grad(tl.grad(sines))(0.3), tl.grad(tl.grad(sines_taped))(0.3))
    h = 1e-5
    fd2 = (tl.grad(sines_taped)(0.3 + h) - tl.grad(sines_taped)(0.3 - h)) / (2 * h)
    np.testing.assert_allclose(tl.grad(tl.grad(sines))(0.3), fd2, rtol=1e-6)
    _close(tl.jvp(sines, (0.3,), (1.0,)), tl.jvp(sines_taped, (0.3,), (1.0,)))
    x = np.array([0.3, 0.5, -0.2])
    _close(tl.hessian(sines)(x),
           tl.hessian(sines_taped)(x))
    _close(tl.jacobian(sines)(x), tl.jacobian(sines_taped)(x))
    _close(tl.jacobian(sines, mode="forward")(x), tl.jacobian(sines_taped)(x))


def test_a_marked_while_loop_inside_a_for_loop():
    def inner_marked(x):
        for k in range(3):
            n = 0
            while tl.checkpointed(n < k + 2, snapshots=2):
                x = np.cos(x) + 0.3 * x
                n += 1
        return np.sum(x)
    x = np.array([0.2, 0.5])
    assert "stack.push(checkpoints)" in tl.source(inner_marked)
    _close(tl.grad(inner_marked)(x), tl.grad(p.whiles_in_a_loop)(x))


def test_values_overwritten_in_the_loop_are_kept_at_entry():
    assert "entry_values" in tl.source(p.overwritten_before, checkpoint=2)
