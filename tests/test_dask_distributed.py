"""Gradients computed by a dask.distributed cluster (issue 16): logistic regression and a small
MLP whose data set is a chunked Dask array, a few steps of gradient descent with NumPy weights,
each gradient checked against the NumPy gradient of the same data, and the graph checked to
stay chunk-parallel: no task of a gradient holds more than a few chunks of the data set.

The cluster is a LocalCluster of 2 workers x 1 thread, in this process (processes=False: it
starts in a fraction of a second; the scheduling is the same as with worker processes).
"""
import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="Dask is not installed: pip install "
                                              "'tangent-lite[dask]'")
distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed: "
                                                        "pip install 'tangent-lite[dask]'")

import tangent_lite  # noqa: E402
from helpers import check_grad, load_example  # noqa: E402

example = load_example("distributed")
logistic_loss, mlp_loss, make_data = example.logistic_loss, example.mlp_loss, example.make_data

ROWS, FEATURES, CHUNK = 6000, 8, 250     # 24 chunks of 16 KB


class LargestResult(distributed.diagnostics.plugin.SchedulerPlugin):
    """Records the size of the largest result any task of the cluster produced."""

    name = "largest-result"

    def __init__(self, scheduler):
        self.scheduler = scheduler
        self.largest = 0

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "memory":
            ts = self.scheduler.tasks.get(key)
            if ts is not None and ts.nbytes > self.largest:
                self.largest = ts.nbytes


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        plugin = LargestResult(cluster.scheduler)
        cluster.scheduler.add_plugin(plugin)
        yield client, plugin


def numpy_copy(X, y):
    return np.asarray(X), np.asarray(y)


def test_logistic_regression_on_a_cluster(cluster):
    client, largest = cluster
    X, y = make_data(ROWS, FEATURES, CHUNK, seed=0)
    assert X.numblocks[0] == ROWS // CHUNK
    Xn, yn = X.compute(), y.compute()
    df = tangent_lite.grad(logistic_loss)
    w = np.zeros(FEATURES)
    largest.largest = 0
    with distributed.get_task_stream(client) as stream:
        for _ in range(4):
            g = df(w, X, y)               # NumPy weights, Dask data: a NumPy gradient
            assert type(g) is np.ndarray and g.shape == w.shape
            np.testing.assert_allclose(g, df(w, Xn, yn), rtol=1e-10, atol=1e-13)
            w = w - 0.5 * g
    workers = {t["worker"] for t in stream.data}
    assert len(workers) == 2, workers          # both workers took part
    assert logistic_loss(w, Xn, yn) < logistic_loss(np.zeros(FEATURES), Xn, yn)
    # chunk-parallel: no task result is more than a couple of chunks of X
    assert 0 < largest.largest <= 2 * CHUNK * FEATURES * 8, largest.largest


def test_mlp_on_a_cluster(cluster):
    client, largest = cluster
    X, y = make_data(ROWS, FEATURES, CHUNK, seed=1)
    Xn, yn = X.compute(), y.compute()
    params = example.mlp_params(FEATURES, hidden=16, seed=2)
    df = tangent_lite.grad(mlp_loss, wrt=(0, 1, 2, 3))
    before = mlp_loss(*params, Xn, yn)
    largest.largest = 0
    for _ in range(3):
        grads = df(*params, X, y)         # four NumPy gradients from one dask.compute
        want = df(*params, Xn, yn)
        for g, w, p in zip(grads, want, params):
            assert type(g) is type(p)
            np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)
        params = [p - 0.3 * g for p, g in zip(params, grads)]
    assert mlp_loss(*params, Xn, yn) < before
    # the hidden layer of one chunk is 250 x 16: still a chunk-sized result
    assert 0 < largest.largest <= 2 * CHUNK * 16 * 8, largest.largest


def test_dask_argument_gets_a_lazy_gradient_on_the_cluster(cluster):
    """Differentiating with respect to the data too: its gradient is a Dask array chunked like
    the data, computed by the cluster only when asked."""
    X, y = make_data(ROWS, FEATURES, CHUNK, seed=3)
    w = np.full(FEATURES, 0.1)
    gw, gX = tangent_lite.grad(logistic_loss, wrt=(0, 1))(w, X, y)
    assert type(gw) is np.ndarray and type(gX) is da.Array and gX.chunks == X.chunks
    want = tangent_lite.grad(logistic_loss, wrt=1)(w, X.compute(), y.compute())
    np.testing.assert_allclose(gX.compute(), want, rtol=1e-10, atol=1e-14)


def test_reference_gradients_against_finite_differences():
    X, y = (np.asarray(a) for a in make_data(40, 3, 10, seed=4))
    check_grad(logistic_loss, np.full(3, 0.2), X, y, wrt=0)
    rng = np.random.default_rng(5)
    check_grad(mlp_loss, rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=4), 0.1,
               X, y, wrt=(0, 1, 2, 3))


@pytest.mark.parametrize("model", ["logistic", "mlp"])
def test_the_example_runs_as_the_readme_says(model):
    """`python examples/distributed.py` as a script (its folder first on sys.path, where
    `distributed` would be the example itself), on a small LocalCluster of its own."""
    import os
    import subprocess
    import sys
    from helpers import EXAMPLES
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(EXAMPLES.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    run = subprocess.run([sys.executable, str(EXAMPLES / "distributed.py"), "--rows", "4000",
                          "--chunks", "4", "--steps", "2", "--workers", "1", "--model", model],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Dask and NumPy agree" in run.stdout
