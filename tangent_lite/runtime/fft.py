"""Helpers of the FFT and complex-value rules (rules/fft.py): np.fft transforms,
np.abs and np.angle of complex values.

Complex values follow JAX's convention (see core.py): a real input receives the real part of
its gradient.
"""
import numpy as np

from .core import float_dtype, unit_phase, real_like


def _fit(g, shape, axes):
    """`g` cut or padded with zeros along `axes` to the lengths of `shape` there."""
    for ax in axes:
        n, m = g.shape[ax], shape[ax]
        if n > m:
            g = g[(slice(None),) * ax + (slice(0, m),)]
        elif n < m:
            pad = [(0, 0)] * g.ndim
            pad[ax] = (0, m - n)
            g = np.pad(g, pad)
    return g


def fft_adjoint(g, x, kind, s=None, axes=None, norm=None):
    """The gradient of `np.fft.<kind>n(x, s, axes, norm)` for kind 'fft', 'ifft', 'rfft' or
    'irfft' (an int `axes` for the one-axis functions): the transposed transform (DFT
    matrices are symmetric), with the cropping or zero-padding of `x` to `s` undone."""
    g = np.asarray(g)
    nd = np.ndim(x)
    if isinstance(axes, (int, np.integer)):
        axes, s = (axes,), None if s is None else (s,)
    elif axes is None:
        axes = tuple(range(nd)) if s is None else tuple(range(nd - len(s), nd))
    axes = tuple(ax % nd for ax in axes)
    if kind in ("fft", "ifft"):
        out = (np.fft.fftn if kind == "fft" else np.fft.ifftn)(g, axes=axes, norm=norm)
    elif kind == "rfft":          # the transposed transform of the zero-extended half spectrum
        last = axes[-1]
        n = np.shape(x)[last] if s is None else s[-1]
        out = np.real(np.fft.fftn(_fit(g, g.shape[:last] + (n,) + g.shape[last + 1:], axes),
                                  axes=axes, norm=norm))
    else:                         # irfft: the half spectrum stands for itself and its mirror
        last = axes[-1]
        n = g.shape[last]
        h = np.conj(np.fft.rfft(np.real(g), axis=last))
        weight = np.full(n // 2 + 1, 2.0)
        weight[0] = 1.0
        if n % 2 == 0:
            weight[-1] = 1.0
        scale = {None: 1.0 / n, "backward": 1.0 / n, "ortho": 1.0 / np.sqrt(n),
                 "forward": 1.0}[norm]
        h = h * np.reshape(weight * scale, (-1,) + (1,) * (g.ndim - 1 - last))
        out = np.fft.ifftn(h, axes=axes[:-1], norm=norm) if len(axes) > 1 else h
    return real_like(_fit(out, np.shape(x), axes), x)


def abs_adjoint(g, x):
    """The gradient of `np.abs(x)`: g * sign(x) (0 at 0); for complex x, g * conj(x) / |x|."""
    if np.iscomplexobj(x):
        return np.real(g) * np.conj(unit_phase(x))
    return g * np.sign(x)


def abs_tangent(dx, x):
    """The tangent of `np.abs(x)`: dx * sign(x); for complex x, Re(conj(x) dx) / |x|."""
    if np.iscomplexobj(x):
        return np.real(np.conj(unit_phase(x)) * dx)
    return dx * np.sign(x)


def abs_adjoint_tangent(g, x, dx):
    """How `abs_adjoint(g, x)` changes with x: not at all for real x (the sign is constant)."""
    if not np.iscomplexobj(x):
        return 0.0
    r = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.conj(dx) / r - np.conj(x) * np.real(np.conj(x) * dx) / r ** 3
    return np.real(g) * np.where(r == 0, 0.0, change)


def angle_adjoint(g, z, deg=False):
    """The gradient of `np.angle(z, deg)`: -i g conj(z) / |z|^2 (zero for real z)."""
    if not np.iscomplexobj(z):
        return np.zeros(np.shape(z), dtype=float_dtype(z, np.real(g)))
    r2 = np.real(z * np.conj(z))
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = np.where(r2 == 0, 0.0, -1j * np.real(g) * np.conj(z) / r2)
    return grad * (180.0 / np.pi) if deg else grad


def angle_tangent(dz, z, deg=False):
    """The tangent of `np.angle(z, deg)`: Im(conj(z) dz) / |z|^2."""
    if not np.iscomplexobj(z):
        return np.zeros(np.shape(z), dtype=float_dtype(z))
    r2 = np.real(z * np.conj(z))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(r2 == 0, 0.0, np.imag(np.conj(z) * dz) / r2)
    return t * (180.0 / np.pi) if deg else t
