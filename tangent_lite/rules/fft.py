"""np.fft and complex values (real, imag, conj, angle, abs).

Complex intermediates follow JAX's convention. The gradient of a complex value z = a + ib is
dL/da - i dL/db, so the rules of holomorphic functions read as in the real case (d[y] * f'(z),
with transposes, never conjugates) and the gradient of a real input is the real part of what
reaches it (`real_like`). A real loss of complex intermediates, such as
`np.sum(np.abs(np.fft.fft(x)) ** 2)`, then has the gradient finite differences give for real x.

- The DFT matrix is symmetric, so the reverse rule of each transform is the same transform of
  the gradient, with the zero-padding or cropping to `n`/`s` undone (`fft_adjoint`); rfft and
  irfft, which keep half the spectrum, are handled there too. The transforms are linear: their
  forward rules transform the tangent.
- Functions from complex to real (abs, real, imag, angle) take the real part of the gradient
  they receive, so no meaningless imaginary part travels on.
- np.abs and abs: for real arguments the gradient is g * sign(x) (0 at 0); for complex ones
  g * conj(x) / |x|, and the tangent Re(conj(x) dx) / |x|.
"""
# flake8: noqa: E704
import numpy as np

from .registry import adjoint, d, linear, nondifferentiable, tangent_rule
from .. import runtime
from ..runtime import (abs_adjoint, abs_adjoint_tangent, abs_tangent, angle_adjoint,
                       angle_tangent, broadcast_like, fft_adjoint, real_like)

# ---- transforms along one axis ---------------------------------------------------------------

@adjoint(np.fft.fft)
def _(y, a, n=None, axis=-1, norm=None): d[a] = fft_adjoint(d[y], a, "fft", n, axis, norm)
linear(np.fft.fft)

@adjoint(np.fft.ifft)
def _(y, a, n=None, axis=-1, norm=None): d[a] = fft_adjoint(d[y], a, "ifft", n, axis, norm)
linear(np.fft.ifft)

@adjoint(np.fft.rfft)
def _(y, a, n=None, axis=-1, norm=None): d[a] = fft_adjoint(d[y], a, "rfft", n, axis, norm)
linear(np.fft.rfft)

@adjoint(np.fft.irfft)
def _(y, a, n=None, axis=-1, norm=None): d[a] = fft_adjoint(d[y], a, "irfft", n, axis, norm)
linear(np.fft.irfft)

# ---- transforms along several axes -----------------------------------------------------------

@adjoint(np.fft.fft2)
def _(y, a, s=None, axes=(-2, -1), norm=None): d[a] = fft_adjoint(d[y], a, "fft", s, axes, norm)
linear(np.fft.fft2)

@adjoint(np.fft.ifft2)
def _(y, a, s=None, axes=(-2, -1), norm=None): d[a] = fft_adjoint(d[y], a, "ifft", s, axes, norm)
linear(np.fft.ifft2)

@adjoint(np.fft.rfft2)
def _(y, a, s=None, axes=(-2, -1), norm=None): d[a] = fft_adjoint(d[y], a, "rfft", s, axes, norm)
linear(np.fft.rfft2)

@adjoint(np.fft.irfft2)
def _(y, a, s=None, axes=(-2, -1), norm=None): d[a] = fft_adjoint(d[y], a, "irfft", s, axes, norm)
linear(np.fft.irfft2)

@adjoint(np.fft.fftn)
def _(y, a, s=None, axes=None, norm=None): d[a] = fft_adjoint(d[y], a, "fft", s, axes, norm)
linear(np.fft.fftn)

@adjoint(np.fft.ifftn)
def _(y, a, s=None, axes=None, norm=None): d[a] = fft_adjoint(d[y], a, "ifft", s, axes, norm)
linear(np.fft.ifftn)

@adjoint(np.fft.rfftn)
def _(y, a, s=None, axes=None, norm=None): d[a] = fft_adjoint(d[y], a, "rfft", s, axes, norm)
linear(np.fft.rfftn)

@adjoint(np.fft.irfftn)
def _(y, a, s=None, axes=None, norm=None): d[a] = fft_adjoint(d[y], a, "irfft", s, axes, norm)
linear(np.fft.irfftn)

@adjoint(np.fft.fftshift)
def _(y, x, axes=None): d[x] = np.fft.ifftshift(d[y], axes=axes)
linear(np.fft.fftshift)

@adjoint(np.fft.ifftshift)
def _(y, x, axes=None): d[x] = np.fft.fftshift(d[y], axes=axes)
linear(np.fft.ifftshift)

# ---- complex values --------------------------------------------------------------------------

@adjoint(np.real)
def _(y, val): d[val] = np.real(d[y])
linear(np.real)

@adjoint(np.imag)
def _(y, val): d[val] = real_like(-1j * np.real(d[y]), val)
linear(np.imag)

@adjoint(np.conj)                 # np.conj is np.conjugate
def _(y, x): d[x] = real_like(np.conj(d[y]), x)
linear(np.conj)

@adjoint(np.angle)
def _(y, z, deg=False): d[z] = angle_adjoint(d[y], z, deg)

@tangent_rule(np.angle)
def _(y, z, deg=False): d[y] = angle_tangent(d[z], z, deg)

@adjoint(np.abs, abs)
def _(y, x): d[x] = abs_adjoint(d[y], x)

@tangent_rule(np.abs, abs)
def _(y, x): d[y] = abs_tangent(d[x], x)

# ---- the helpers above in forward mode (second derivatives) ----------------------------------

linear(fft_adjoint, params="y, g, x: Shape, kind, s=None, axes=None, norm=None")
linear(real_like, params="y, g, x: Shape")

@tangent_rule(abs_adjoint)        # for real x the sign does not change; for complex x it does
def _(y, g, x): d[y] = broadcast_like(abs_adjoint(d[g], x) + abs_adjoint_tangent(g, x, d[x]), y)

# Not implemented: second derivatives through np.angle. The forward-mode helpers appear only in
# jvp code, which is never differentiated again.
nondifferentiable(runtime.angle_adjoint, runtime.angle_tangent, runtime.abs_tangent,
                  runtime.abs_adjoint_tangent, constant_inputs=True)
