"""The public entry points: grad, differentiate, source, show."""
import functools
import inspect

from . import cache
from .compiler import compile_reverse, wrt_names


def _unwrap(f):
    return f.func if isinstance(f, Differentiable) else inspect.unwrap(f)


def _compiled(f, wrt, mode="reverse"):
    f = _unwrap(f)
    return cache.get(f, (_wrt_key(wrt), mode), lambda: _build(f, wrt, mode))


def _wrt_key(wrt):
    """A cache key for `wrt` that tells True from 1 (equal and equally hashed)."""
    if type(wrt) is int or type(wrt) is str:
        return wrt
    if isinstance(wrt, (tuple, list)):
        return ("tuple",) + tuple((type(w), w) for w in wrt)
    return ("other", type(wrt), repr(wrt))


def _build(f, wrt, mode):
    names = wrt_names(f, wrt)
    return compile_reverse(f, names, as_tuple=isinstance(wrt, (tuple, list)))


def grad(f, wrt=0):
    """The gradient function of `f`, with `f`'s signature.

    `wrt` is an argument index or name, or a tuple of them; a single `wrt` gives one gradient,
    a tuple gives a tuple. For a non-scalar result, the gradient of the sum of its elements.
    """
    return _compiled(f, wrt).df


def source(f, wrt=0):
    """The generated gradient code of `f`, as a string."""
    return _compiled(f, wrt).source


def show(f, wrt=0):
    """Print the generated gradient code of `f`."""
    print(source(f, wrt), end="")


class Differentiable:
    """A function that still computes itself when called, and knows its gradient.

    `.grad(*args)` computes the gradient, `.df` is the compiled gradient function and `.source`
    its code. Compiling waits for the first use, so helpers defined further down the module
    are found; after that `.grad` is df itself, with no call overhead.
    """

    def __init__(self, func, wrt=0):
        self.func = func
        self.wrt = wrt
        functools.update_wrapper(self, func)

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)

    @property
    def df(self):
        return _compiled(self.func, self.wrt).df

    @property
    def source(self):
        return _compiled(self.func, self.wrt).source

    def grad(self, *args, **kwargs):
        df = self.df
        self.grad = df   # later calls go straight to df
        return df(*args, **kwargs)

    def show(self):
        show(self.func, self.wrt)

    def __repr__(self):
        return f"<differentiable {self.func.__qualname__} wrt={self.wrt!r}>"


def differentiate(func=None, *, wrt=0):
    """Decorator: `@differentiate` or `@differentiate(wrt=...)`."""
    if func is None:
        return lambda f: Differentiable(f, wrt)
    return Differentiable(func, wrt)
