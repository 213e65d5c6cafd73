"""Rules for np.fft and complex values: reverse (`@adjoint`) and forward (`@tangent_rule`) side
by side, one short template each.

Complex intermediates follow JAX's convention. The gradient of a complex value z = a + ib is
dL/da - i dL/db, so the rules of holomorphic functions read as in the real case (d[y] * f'(z),
with transposes, never conjugates) and the gradient of a real input is the real part of what
reaches it (`real_like`). A real loss of complex intermediates, such as
`np.sum(np.abs(np.fft.fft(x)) ** 2)`, then has the gradient finite differences give for real x.

- The DFT matrix is symmetric, so the reverse rule of each transform is the same transform of
  the gradient, with the zero-padding or cropping to `n`/`s` undone (`fft_adjoint`); rfft and
  irfft, which keep half the spectrum, are handled there too. Forward rules transform the
  tangent.
- Functions from complex to real (abs, real, imag, angle) take the real part of the gradient
  they receive, so no meaningless imaginary part travels on.

np.abs and abs are registered again here (they first appear in numpy_adjoints.py): for real
arguments the rules are the same, g * sign(x); for complex ones the gradient is
g * conj(x) / |x| and the tangent Re(conj(x) dx) / |x|.
"""
# flake8: noqa: E704 (one-line definitions are the point of the table)
import numpy as np

from .registry import adjoint, nondifferentiable, tangent_rule
from .template import Shape
from .. import runtime
from ..runtime import (abs_adjoint, abs_adjoint_tangent, abs_tangent, angle_adjoint,
                       angle_tangent, broadcast_like, fft_adjoint, real_like)

d = None  # the derivative notation `d[x]`; templates are parsed, never run

# ---- transforms along one axis ---------------------------------------------------------------

@adjoint(np.fft.fft)
def _(y, a, n=None, axis=-1, norm=None): d[a] = fft_adjoint(d[y], a, "fft", n, axis, norm)

@tangent_rule(np.fft.fft)
def _(y, a, n=None, axis=-1, norm=None): d[y] = np.fft.fft(d[a], n=n, axis=axis, norm=norm)

@adjoint(np.fft.ifft)
def _(y, a, n=None, axis=-1, norm=None): d[a] = fft_adjoint(d[y], a, "ifft", n, axis, norm)

@tangent_rule(np.fft.ifft)
def _(y, a, n=None, axis=-1, norm=None): d[y] = np.fft.ifft(d[a], n=n, axis=axis, norm=norm)

@adjoint(np.fft.rfft)
def _(y, a, n=None, axis=-1, norm=None): d[a] = fft_adjoint(d[y], a, "rfft", n, axis, norm)

@tangent_rule(np.fft.rfft)
def _(y, a, n=None, axis=-1, norm=None): d[y] = np.fft.rfft(d[a], n=n, axis=axis, norm=norm)

@adjoint(np.fft.irfft)
def _(y, a, n=None, axis=-1, norm=None): d[a] = fft_adjoint(d[y], a, "irfft", n, axis, norm)

@tangent_rule(np.fft.irfft)
def _(y, a, n=None, axis=-1, norm=None): d[y] = np.fft.irfft(d[a], n=n, axis=axis, norm=norm)

# ---- transforms along several axes -----------------------------------------------------------

@adjoint(np.fft.fft2)
def _(y, a, s=None, axes=(-2, -1), norm=None): d[a] = fft_adjoint(d[y], a, "fft", s, axes, norm)

@tangent_rule(np.fft.fft2)
def _(y, a, s=None, axes=(-2, -1), norm=None): d[y] = np.fft.fft2(d[a], s=s, axes=axes, norm=norm)

@adjoint(np.fft.ifft2)
def _(y, a, s=None, axes=(-2, -1), norm=None): d[a] = fft_adjoint(d[y], a, "ifft", s, axes, norm)

@tangent_rule(np.fft.ifft2)
def _(y, a, s=None, axes=(-2, -1), norm=None): d[y] = np.fft.ifft2(d[a], s=s, axes=axes, norm=norm)

@adjoint(np.fft.rfft2)
def _(y, a, s=None, axes=(-2, -1), norm=None): d[a] = fft_adjoint(d[y], a, "rfft", s, axes, norm)

@tangent_rule(np.fft.rfft2)
def _(y, a, s=None, axes=(-2, -1), norm=None): d[y] = np.fft.rfft2(d[a], s=s, axes=axes, norm=norm)

@adjoint(np.fft.irfft2)
def _(y, a, s=None, axes=(-2, -1), norm=None): d[a] = fft_adjoint(d[y], a, "irfft", s, axes, norm)

@tangent_rule(np.fft.irfft2)
def _(y, a, s=None, axes=(-2, -1), norm=None):
    d[y] = np.fft.irfft2(d[a], s=s, axes=axes, norm=norm)

@adjoint(np.fft.fftn)
def _(y, a, s=None, axes=None, norm=None): d[a] = fft_adjoint(d[y], a, "fft", s, axes, norm)

@tangent_rule(np.fft.fftn)
def _(y, a, s=None, axes=None, norm=None): d[y] = np.fft.fftn(d[a], s=s, axes=axes, norm=norm)

@adjoint(np.fft.ifftn)
def _(y, a, s=None, axes=None, norm=None): d[a] = fft_adjoint(d[y], a, "ifft", s, axes, norm)

@tangent_rule(np.fft.ifftn)
def _(y, a, s=None, axes=None, norm=None): d[y] = np.fft.ifftn(d[a], s=s, axes=axes, norm=norm)

@adjoint(np.fft.rfftn)
def _(y, a, s=None, axes=None, norm=None): d[a] = fft_adjoint(d[y], a, "rfft", s, axes, norm)

@tangent_rule(np.fft.rfftn)
def _(y, a, s=None, axes=None, norm=None): d[y] = np.fft.rfftn(d[a], s=s, axes=axes, norm=norm)

@adjoint(np.fft.irfftn)
def _(y, a, s=None, axes=None, norm=None): d[a] = fft_adjoint(d[y], a, "irfft", s, axes, norm)

@tangent_rule(np.fft.irfftn)
def _(y, a, s=None, axes=None, norm=None): d[y] = np.fft.irfftn(d[a], s=s, axes=axes, norm=norm)

@adjoint(np.fft.fftshift)
def _(y, x, axes=None): d[x] = np.fft.ifftshift(d[y], axes=axes)

@tangent_rule(np.fft.fftshift)
def _(y, x, axes=None): d[y] = np.fft.fftshift(d[x], axes=axes)

@adjoint(np.fft.ifftshift)
def _(y, x, axes=None): d[x] = np.fft.fftshift(d[y], axes=axes)

@tangent_rule(np.fft.ifftshift)
def _(y, x, axes=None): d[y] = np.fft.ifftshift(d[x], axes=axes)

# ---- complex values --------------------------------------------------------------------------

@adjoint(np.real)
def _(y, val): d[val] = np.real(d[y])

@tangent_rule(np.real)
def _(y, val): d[y] = np.real(d[val])

@adjoint(np.imag)
def _(y, val): d[val] = real_like(-1j * np.real(d[y]), val)

@tangent_rule(np.imag)
def _(y, val): d[y] = np.imag(d[val])

@adjoint(np.conj)                 # np.conj is np.conjugate
def _(y, x): d[x] = real_like(np.conj(d[y]), x)

@tangent_rule(np.conj)
def _(y, x): d[y] = np.conj(d[x])

@adjoint(np.angle)
def _(y, z, deg=False): d[z] = angle_adjoint(d[y], z, deg)

@tangent_rule(np.angle)
def _(y, z, deg=False): d[y] = angle_tangent(d[z], z, deg)

@adjoint(np.abs, abs)
def _(y, x): d[x] = abs_adjoint(d[y], x)

@tangent_rule(np.abs, abs)
def _(y, x): d[y] = abs_tangent(d[x], x)

# ---- the helpers above in forward mode (second derivatives) ----------------------------------

@tangent_rule(fft_adjoint)        # linear in the gradient
def _(y, g, x: Shape, kind, s=None, axes=None, norm=None):
    d[y] = fft_adjoint(d[g], x, kind, s, axes, norm)

@tangent_rule(real_like)
def _(y, g, x: Shape): d[y] = real_like(d[g], x)

@tangent_rule(abs_adjoint)        # for real x the sign does not change; for complex x it does
def _(y, g, x): d[y] = broadcast_like(abs_adjoint(d[g], x) + abs_adjoint_tangent(g, x, d[x]), y)

# Not implemented: second derivatives through np.angle. The forward-mode helpers appear only in
# jvp code, which is never differentiated again.
nondifferentiable(runtime.angle_adjoint, runtime.angle_tangent, runtime.abs_tangent,
                  runtime.abs_adjoint_tangent, constant_inputs=True)
