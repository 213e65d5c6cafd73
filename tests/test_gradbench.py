"""The GradBench objectives of benchmarks/problems_gradbench.py (issue 14): tangent_lite's
gradient of each, at a small size, against central finite differences in float64; the same
objectives written a second way; and the harness glue that lets autograd and JAX run them."""
import os
import sys
import types

import numpy as np
import pytest
from scipy.special import multigammaln

import tangent_lite
from helpers import check_grad

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import problems  # noqa: E402
import problems_gradbench as G  # noqa: E402


def test_gmm_gradient_matches_finite_differences():
    args = G.gmm_inputs(3, 4, n=20, m=2, gamma=0.8)
    check_grad(G.gmm_objective, *args, wrt=("alpha", "mu", "q", "l"))


def test_gmm_one_dimension_has_no_lower_triangle():
    args = G.gmm_inputs(1, 3, n=15)
    assert args[3].shape == (3, 0)
    check_grad(G.gmm_objective, *args, wrt=("alpha", "mu", "q"))


def gmm_objective_loops(alpha, mu, q, l, x, gamma, m):
    """The GMM written with a loop over the components and a Q built entry by entry from a
    list of rows, as someone porting the C++ reference would."""
    n, d = x.shape
    k = alpha.shape[0]
    terms = []
    frob = 0.0
    for c in range(k):
        rows = []
        for i in range(d):
            row = []
            for j in range(d):
                if i == j:
                    row.append(np.exp(q[c, j]))
                elif i > j:
                    # column j starts after the entries of columns 0..j-1
                    row.append(l[c, j * d - j * (j + 1) // 2 + (i - j - 1)])
                else:
                    row.append(0.0)
            rows.append(np.stack(row))
        Q = np.stack(rows)
        frob = frob + np.sum(Q * Q)
        xc = x - mu[c]
        Qx = xc @ Q.T
        terms.append(alpha[c] + np.sum(q[c]) - 0.5 * np.sum(Qx * Qx, axis=1))
    beta = np.stack(terms, axis=1)
    mx = np.max(beta, axis=1)
    total = np.log(np.sum(np.exp(beta - mx[:, None]), axis=1)) + mx
    lse_alpha = np.log(np.sum(np.exp(alpha)))
    nu = d + m + 1
    return (np.sum(total) - n * (lse_alpha + 0.5 * d * np.log(2 * np.pi))
            + k * (nu * d * np.log(gamma / np.sqrt(2.0)) - multigammaln(0.5 * nu, d))
            - 0.5 * gamma ** 2 * frob + m * np.sum(q))


def test_gmm_written_with_loops_agrees_and_differentiates():
    args = G.gmm_inputs(3, 3, n=10, m=1)
    assert np.isclose(gmm_objective_loops(*args), G.gmm_objective(*args), rtol=1e-12)
    wrt = ("alpha", "mu", "q", "l")
    loops = check_grad(gmm_objective_loops, *args, wrt=wrt)
    vector = tangent_lite.grad(G.gmm_objective, wrt=wrt)(*args)
    for a, b in zip(loops, vector):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_lstm_gradient_matches_finite_differences():
    args = G.lstm_inputs(2, 8)
    check_grad(G.lstm_objective, *args, wrt=("main_params", "extra_params"))


def test_lstm_one_layer_also_wrt_state():
    args = G.lstm_inputs(1, 6, seed=3)
    check_grad(G.lstm_objective, *args, wrt=("main_params", "extra_params", "state"))


def lstm_rows_shared(state):
    # The ADBench LSTM's state lists as a user first writes them: rows of one array, then
    # items of the lists replaced (no array is written in place).
    hidden = [state[2 * i] for i in range(1)]
    cell = [state[2 * i + 1] for i in range(1)]
    cell[0] = cell[0] * 2.0
    return np.sum(hidden[0] * cell[0])


def test_list_item_replaced_in_comprehension_list():
    state = np.arange(1.0, 9.0).reshape(2, 4)
    check_grad(lstm_rows_shared, state)


def test_bundle_adjustment_gradient_matches_finite_differences():
    args = G.ba_inputs((3, 5, 12))
    check_grad(G.ba_objective, *args, wrt=("cams", "X", "w"), rtol=1e-5, atol=1e-4)


def test_bundle_adjustment_inputs_follow_gradbench_duplication():
    cams, X, w, obs, feats = G.ba_inputs("ba1")
    n, m, p = G.BA_SIZES["ba1"]
    assert cams.shape == (n, 11) and X.shape == (m, 3) and w.shape == (p,)
    assert feats.shape == (p, 2)
    np.testing.assert_array_equal(obs[:, 0], np.arange(p) % n)
    np.testing.assert_array_equal(obs[:, 1], np.arange(p) % m)


@pytest.mark.parametrize("cost", [G.kmeans_cost, G.kmeans_cost_dot])
def test_kmeans_gradient_matches_finite_differences(cost):
    centroids, points = G.kmeans_inputs(4, 40, 3)
    centroids = centroids + 0.05      # no point exactly on a centroid: no tie in the min
    check_grad(cost, centroids, points)


def test_kmeans_gradient_is_twice_the_assigned_offsets():
    # d/dc_j sum_i min_j |c_j - p_i|^2 = 2 * sum over the points nearest c_j of (c_j - p_i)
    centroids, points = G.kmeans_inputs(3, 50, 2)
    centroids = centroids + 0.01
    nearest = np.argmin(((points[:, None] - centroids[None]) ** 2).sum(axis=2), axis=1)
    expected = np.stack([2 * np.sum(centroids[j] - points[nearest == j], axis=0)
                         for j in range(3)])
    for cost in (G.kmeans_cost, G.kmeans_cost_dot):
        np.testing.assert_allclose(tangent_lite.grad(cost)(centroids, points), expected,
                                   rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n,s", [(6, 1), (6, 4), (2, 3)])
def test_ode_gradient_matches_finite_differences(n, s):
    x, steps = G.ode_inputs(n, s)
    check_grad(G.ode_last, x, steps)


def test_ode_matches_the_exact_solution_for_two_components():
    # y0 = x0 t, y1 = x1 x0 t^2 / 2: RK4 is exact for these polynomials; at t = 2, y1 = 2 x0 x1
    x = np.array([0.3, 0.7])
    assert np.isclose(G.ode_last(x, 3), 2 * x[0] * x[1], rtol=1e-12)
    np.testing.assert_allclose(tangent_lite.grad(G.ode_last)(x, 3), [2 * x[1], 2 * x[0]],
                               rtol=1e-12)


@pytest.mark.parametrize("name", sorted(G.PROBLEMS))
def test_every_problem_has_sizes_and_builds_its_quick_case(name):
    title, sizes, quick, func, wrt = G.PROBLEMS[name]
    assert set(quick) <= set(sizes)
    case = G.make_case(name, quick[0])
    assert case.hand is None and case.baseline == "objective"
    assert case.func is func and case.wrt == wrt
    assert np.isfinite(float(func(*case.args)))


def test_gmm_sizes_are_adbench_sizes():
    assert G.PROBLEMS["gmm"][1] == [f"d{d}k{k}" for d in (2, 10, 20) for k in (5, 10, 25, 50)]
    alpha, mu, q, l, x, gamma, m = G.make_inputs("gmm", "d10k25")
    assert x.shape == (1000, 10) and mu.shape == (25, 10) and l.shape == (25, 45)


def test_rebind_reaches_the_helpers_but_not_constant_builders():
    calls = []

    class Counting(types.ModuleType):
        def __getattr__(self, name):
            attr = getattr(np, name)
            if callable(attr):
                def wrapped(*a, **k):
                    calls.append(name)
                    return attr(*a, **k)
                return wrapped
            return attr

    fake = Counting("fake_numpy")
    x, s = G.ode_inputs(5, 2)
    assert problems.rebind(G.ode_last, fake)(x, s) == G.ode_last(x, s)
    assert "concatenate" in calls            # ode_fun, the helper, went through `fake`
    calls.clear()
    args = G.gmm_inputs(2, 2, n=4)
    assert np.isclose(problems.rebind(G.gmm_objective, fake)(*args), G.gmm_objective(*args))
    assert "intp" not in calls and G.lower_triangle_index.numpy_only
