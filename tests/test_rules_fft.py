"""The FFT and complex-value rules (rules/fft.py) against central finite differences in
float64, in both modes (the checks are in rule_checks.py).

Inputs are real, as tangent_lite's are; every case takes a real result of complex
intermediates (abs, real, imag, angle, irfft), so finite differences of the real inputs check
the whole chain. The complex convention is JAX's (see rules/fft.py).
"""
import warnings

import numpy as np
import pytest

import rule_checks
import tangent_lite
from tangent_lite.rules import fft as fft_rules
from test_rules import Case, F, _label

rng = np.random.default_rng(20240807)


def u(shape, lo=-1.0, hi=1.0):
    if shape == F:
        return float(rng.uniform(lo, hi))
    return np.array(rng.uniform(lo, hi, size=shape), dtype=np.float64)


CASES = []


def case(prim, f, *args, wrt=None):
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args)
                    if isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f"))
    CASES.append(Case(prim, f, args, wrt))


def weigh(v):
    """v times 1, 2, 3 ... in order: a sum that notices where each element went."""
    return v * np.reshape(np.arange(1.0, np.size(v) + 1.0), np.shape(v))


ROT = np.exp(0.3j)     # turns the spectrum of a real signal off the real axis

# ---- one axis --------------------------------------------------------------------------------

def power(x): return np.sum(np.abs(np.fft.fft(x)) ** 2)           # the example
def fft(x, n, axis, norm): return weigh(np.abs(np.fft.fft(x, n, axis, norm)) ** 2)
def fft_parts(x): return weigh(np.real(np.fft.fft(x)) + np.imag(np.fft.fft(x)) ** 2)
def ifft(x, n, axis, norm): return weigh(np.abs(np.fft.ifft(x, n, axis, norm)))
def filtered(x, h): return weigh(np.real(np.fft.ifft(np.fft.fft(x) * h)))
def rfft(x, n, axis, norm): return weigh(np.abs(np.fft.rfft(x, n, axis, norm)) ** 2)
def rfft_phase(x): return weigh(np.angle(np.fft.rfft(x) * ROT))
def irfft(x, n, norm): return weigh(np.fft.irfft(np.fft.fft(x)[1:5], n, norm=norm))
def irfft_axis(x): return weigh(np.fft.irfft(np.fft.fft(x, axis=0)[1:4] * ROT, axis=0))
def round_trip(x, h): return weigh(np.fft.irfft(np.fft.rfft(x) * h, 7))

case(np.fft.fft, power, u((8,)))
for shape, n, axis, norm in [((5,), None, -1, None), ((5,), 8, -1, None), ((5,), 3, -1, None),
                             ((4, 3), None, 0, "ortho"), ((3, 4), 6, 1, "forward"),
                             ((2, 3, 4), None, 1, "backward")]:
    case(np.fft.fft, fft, u(shape), n, axis, norm)
    case(np.fft.ifft, ifft, u(shape), n, axis, norm)
    case(np.fft.rfft, rfft, u(shape), n, axis, norm)
case(np.fft.fft, fft_parts, u((6,)))
# The filter h is held constant: the gradient of a real array multiplied into a complex one
# comes out of np.multiply's rule with an imaginary part, dropped (with a ComplexWarning) only
# when grad returns it.
case(np.fft.ifft, filtered, u((6,)), u((6,)), wrt=(0,))
case(np.fft.ifft, filtered, u((3, 5)), u((5,)), wrt=(0,))
case(np.fft.rfft, rfft_phase, u((7,)))
for n, norm in [(6, None), (7, "ortho"), (4, None), (10, "forward"), (None, None)]:
    case(np.fft.irfft, irfft, u((9,)), n, norm)
case(np.fft.irfft, irfft_axis, u((6, 2)))
case(np.fft.irfft, round_trip, u((7,)), u((4,)), wrt=(0,))

# ---- several axes ----------------------------------------------------------------------------

def fft2(x, s, axes, norm): return weigh(np.abs(np.fft.fft2(x, s, axes, norm)) ** 2)
def ifft2(x, s, axes, norm): return weigh(np.abs(np.fft.ifft2(x, s, axes, norm)))
def rfft2(x, s, axes, norm): return weigh(np.abs(np.fft.rfft2(x, s, axes, norm)) ** 2)
def irfft2(x, s): return weigh(np.fft.irfft2(np.fft.fft2(x)[:, 1:4] * ROT, s))
def fftn(x, s, axes): return weigh(np.abs(np.fft.fftn(x, s, axes)) ** 2)
def ifftn(x, s, axes): return weigh(np.abs(np.fft.ifftn(x, s, axes)))
def rfftn(x, s, axes): return weigh(np.abs(np.fft.rfftn(x, s, axes)) ** 2)
def irfftn(x, s, axes): return weigh(np.fft.irfftn(np.fft.fftn(x) * ROT, s, axes))
def fftshift(x): return weigh(np.fft.fftshift(x) ** 2)
def fftshift_axes(x): return weigh(np.fft.fftshift(x, axes=1) ** 2)
def ifftshift(x): return weigh(np.fft.ifftshift(x) ** 2)
def ifftshift_axes(x): return weigh(np.fft.ifftshift(x, axes=(0,)) ** 2)

for shape, s, axes, norm in [((3, 4), None, (-2, -1), None), ((3, 4), (4, 3), (-2, -1), None),
                             ((2, 3, 4), None, (0, 2), "ortho"),
                             ((2, 3, 4), (3, 5), (2, 1), "forward")]:
    case(np.fft.fft2, fft2, u(shape), s, axes, norm)
    case(np.fft.ifft2, ifft2, u(shape), s, axes, norm)
    case(np.fft.rfft2, rfft2, u(shape), s, axes, norm)
case(np.fft.irfft2, irfft2, u((3, 5)), None)
case(np.fft.irfft2, irfft2, u((3, 5)), (4, 5))
for shape, s, axes in [((3, 4), None, None), ((2, 3, 4), (3, 5), (0, 2)),
                       ((2, 3, 4), None, (1,)), ((2, 3, 4), (2, 2, 6), (0, 1, 2))]:
    case(np.fft.fftn, fftn, u(shape), s, axes)
    case(np.fft.ifftn, ifftn, u(shape), s, axes)
    case(np.fft.rfftn, rfftn, u(shape), s, axes)
case(np.fft.irfftn, irfftn, u((2, 3, 4)), None, None)
case(np.fft.irfftn, irfftn, u((2, 3, 4)), (3, 5), (1, 2))
case(np.fft.irfftn, irfftn, u((2, 3, 4)), (2, 3, 7), (0, 1, 2))
for shape in ((5,), (3, 4)):
    case(np.fft.fftshift, fftshift, u(shape))
    case(np.fft.ifftshift, ifftshift, u(shape))
case(np.fft.fftshift, fftshift_axes, u((3, 4)))
case(np.fft.ifftshift, ifftshift_axes, u((3, 4)))

# ---- complex values --------------------------------------------------------------------------

H = np.exp(1j * np.arange(6.0))   # a complex weight: real values times it stay complex

def real(x): return weigh(np.real(np.fft.fft(x) * ROT))
def real_of_real(x): return np.real(x) ** 2
def imag(x): return weigh(np.imag(np.fft.fft(x) * ROT) ** 2)
def imag_of_real(x): return x * x + np.imag(x)
def conj(x): return weigh(np.real(np.conj(np.fft.fft(x) * ROT) * H))
def conj_of_real(x): return np.conj(x) * x
def conjugate(x): return weigh(np.imag(np.conjugate(np.fft.fft(x) * ROT)))
def angle(x): return weigh(np.angle(np.fft.fft(x) * ROT))
def angle_deg(x): return weigh(np.angle(np.fft.fft(x) * ROT, deg=True))
def angle_of_real(x): return x * np.angle(x)
def magnitude(x): return weigh(np.abs(np.fft.fft(x) * ROT))
def builtin_abs(x): return weigh(abs(np.fft.fft(x) * ROT))
def np_abs_real(x): return weigh(np.abs(x))
def magnitude_times_complex(x): return weigh(np.real(np.abs(np.fft.fft(x)) * H))
def rebuilt(x):
    z = np.fft.fft(x) * ROT
    return weigh(np.real(np.fft.ifft(np.abs(z) ** 1.5 * np.exp(1j * np.angle(z)))))

case(np.real, real, u((6,)))
case(np.real, real_of_real, u((3, 2)))
case(np.imag, imag, u((6,)))
case(np.imag, imag_of_real, u((4,)))
case(np.conj, conj, u((6,)))
case(np.conj, conj_of_real, u((4,)))
case(np.conjugate, conjugate, u((6,)))
case(np.angle, angle, u((6,)))
case(np.angle, angle_deg, u((5,)))
case(np.angle, angle_of_real, np.array([0.5, -0.7, 1.2]))
case(np.angle, rebuilt, u((6,)))
case(np.abs, magnitude, u((6,)))
case(np.abs, magnitude_times_complex, u((6,)))
case(np.abs, np_abs_real, np.array([0.5, -0.7, 1.2, -0.3]))
case(abs, builtin_abs, u((5,)))


def _id(c):
    return f"{c.f.__name__}[{','.join(_label(a) for a in c.args)}]"


# ---- the checks --------------------------------------------------------------------------------

HVP_REFUSED = {"rfft_phase", "angle", "angle_deg", "angle_of_real", "rebuilt"}   # np.angle
ARRAY_CASES = [c for c in CASES if rule_checks.has_array_wrt(c)]


@pytest.fixture(autouse=True)
def _complex_parts_never_dropped():
    # A gradient or tangent that reaches a real value with an imaginary part would be cast
    # with a ComplexWarning: make that an error.
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning
                              if hasattr(np, "exceptions") else np.ComplexWarning)
        yield


def test_every_rule_of_fft_has_a_case_and_both_modes():
    mine = rule_checks.check_walker([fft_rules], CASES, globals(), __file__)
    assert len([p for p in mine if p.adjoint is not None]) >= 20


def test_every_helper_forward_rule_is_reached_by_a_second_derivative():
    rule_checks.check_helpers_reached([fft_rules], CASES, HVP_REFUSED)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_rule(c):
    rule_checks.check_reverse(c)


@pytest.mark.parametrize("c", ARRAY_CASES, ids=_id)
def test_float32_in_float32_out(c):
    rule_checks.check_float32(c)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_jvp_matches_finite_differences(c):
    rule_checks.check_jvp(c)


@pytest.mark.parametrize("c", ARRAY_CASES, ids=_id)
def test_jvp_float32_in_float32_out(c):
    rule_checks.check_jvp_float32(c)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_hvp_matches_finite_differences_of_gradients(c):
    rule_checks.check_hvp(c, refused=c.f.__name__ in HVP_REFUSED)


# ---- exact values ------------------------------------------------------------------------------

def test_power_spectrum_gradient_is_exact():
    # sum |fft(x)|^2 = n * sum x^2 (Parseval): the gradient is 2 n x.
    x = u((8,))
    np.testing.assert_allclose(tangent_lite.grad(power)(x), 16.0 * x, rtol=1e-12)
    assert tangent_lite.grad(power)(x).dtype == np.float64


def test_abs_keeps_its_real_rule():
    x = np.array([0.0, -2.0, 3.0])
    np.testing.assert_array_equal(tangent_lite.grad(np_abs_real)(x), [0.0, -2.0, 3.0])
    assert "abs_adjoint(" in tangent_lite.source(np_abs_real)
