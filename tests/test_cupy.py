"""The same generated gradients on CuPy arrays, on a GPU (issue 16). Skipped where CuPy or a
CUDA device is missing; to run: `pip install cupy-cuda12x` (the wheel matching your CUDA) and
`pytest tests/test_cupy.py`.

Each gradient is compared with the NumPy gradient of the same data in float64, and must come
back as a CuPy array on the device (nothing copied to the host behind the user's back).
"""
import numpy as np
import pytest

cp = pytest.importorskip("cupy", reason="CuPy is not installed (pip install cupy-cuda12x)")
try:
    _devices = cp.cuda.runtime.getDeviceCount()
except Exception:   # CuPy installed without a driver or device
    _devices = 0
if not _devices:
    pytest.skip("no CUDA device for CuPy", allow_module_level=True)

import tangent_lite  # noqa: E402
import test_dask  # noqa: E402   the programs of the Dask tests, in several styles


def logistic_loss(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


PROGRAMS = [(f, wrt) for f, wrt in test_dask.FAMILIES] + [(logistic_loss, (0, 1))]


def data(f):
    if f is logistic_loss:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(64, 5))
        return rng.normal(size=5), X, (X[:, 0] > 0).astype(np.float64)
    return test_dask.data(f)


@pytest.mark.parametrize("f,wrt", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_grad_on_cupy_equals_numpy(f, wrt):
    args = data(f)
    want = tangent_lite.grad(f, wrt=wrt)(*args)
    got = tangent_lite.grad(f, wrt=wrt)(*[cp.asarray(a) for a in args])
    for g, w in zip(got, want):
        assert type(g) is cp.ndarray
        np.testing.assert_allclose(cp.asnumpy(g), w, rtol=1e-10, atol=1e-12)


def test_jvp_on_cupy_equals_numpy():
    f, _ = test_dask.FAMILIES[0]
    (x,) = test_dask.data(f)
    t = np.random.default_rng(1).normal(size=x.shape)
    _, want = tangent_lite.jvp(f, (x,), (t,))
    _, got = tangent_lite.jvp(f, (cp.asarray(x),), (cp.asarray(t),))
    np.testing.assert_allclose(float(got), want, rtol=1e-10)
