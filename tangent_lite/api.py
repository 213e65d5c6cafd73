"""The public entry points.

Everything here is a thin layer over compiled, cached derivative code: grad, value_and_grad,
vjp, jvp, hvp, hessian, jacobian, the @differentiate decorator, source/show and check_grad.
"""
import functools
import inspect
from typing import Any, Callable, Optional, Sequence, Tuple, Union, overload

import numpy as np

from . import cache, classes, higher, pipeline, pytree
from .pipeline import wrt_names
from .errors import (ArgumentMethodError, InputError, TangentLiteError, per_class_refusal,
                     user_facing)
from .runtime import GradList, any_complex, unit_like, zeros_grad
from .runtime.trees import children, is_container

#: An argument to differentiate with respect to: its index or its name, or a tuple of them.
Wrt = Union[int, str, Sequence[Union[int, str]]]
#: A function of arrays, numbers and pytrees of them.
Function = Callable[..., Any]


def unwrap(f: Function) -> Function:
    """The user's function behind `f`: a @differentiate function's own, or the innermost one
    under functools.wraps wrappers."""
    if type(f) is Differentiable:
        return f.func
    return f if getattr(f, "__wrapped__", None) is None else inspect.unwrap(f)


def _wrt_key(wrt: Any) -> Any:
    """A cache key for `wrt` that tells True from 1 (equal and equally hashed)."""
    if type(wrt) is int or type(wrt) is str:
        return wrt
    if isinstance(wrt, (tuple, list)):   # map and tuple in C: a lookup's biggest cost was
        return ("tuple", tuple(map(type, wrt)), tuple(wrt))   # a generator of pairs
    return ("other", type(wrt), repr(wrt))


def _compiled(f: Function, wrt: Any, mode: str = "reverse", checkpoint: int = 0) -> Any:
    """The Compiled derivative of f for a user's `wrt` (validated on first use only);
    checkpoint: snapshots for every outermost loop (0: only the loops marked in f).
    mode "taped" is "reverse" recording every step, checkpointed(...) markers ignored."""
    f = unwrap(f)
    key = (_wrt_key(wrt), mode) if not checkpoint else (_wrt_key(wrt), mode, checkpoint)
    return cache.get(f, key, lambda: _build(f, wrt, mode, checkpoint))


def _checked_checkpoint(f: Function, checkpoint: Any) -> int:
    if checkpoint is None or checkpoint is False:
        return 0
    if type(checkpoint) is not int or checkpoint < 1:
        raise TangentLiteError(
            f"checkpoint={checkpoint!r}: give the number of snapshots a checkpointed loop may "
            "keep, a whole number of at least 1 (as in checkpoint=20), or leave it out",
            hint="instead: checkpoint=20")
    return checkpoint


def _build(f: Function, wrt: Any, mode: str, checkpoint: int = 0) -> Any:
    names = wrt_names(f, wrt)
    as_tuple = isinstance(wrt, (tuple, list))
    generated = getattr(f, "__tangent_lite__", None)
    if generated is not None and generated.by_class is not None:
        raise per_class_refusal(generated)
    if generated is not None and mode in ("reverse", "taped"):
        return higher.grad_of_derivative(generated, names, as_tuple, pipeline.reverse,
                                         pipeline.jvp)
    try:
        return pipeline.compile_reverse(f, names, as_tuple, with_value=(mode == "value_and_grad"),
                                        split=(mode == "split"), checkpoint=checkpoint,
                                        taped=(mode == "taped"))
    except ArgumentMethodError as exc:   # `model.forward(x)`: compiled per class of model
        if exc.function is not f:
            raise
        return classes.dispatching(f, exc, lambda view: _compiled(view, wrt, mode, checkpoint),
                                   mode, names)


@user_facing
def grad(f: Function, wrt: Wrt = 0, has_aux: bool = False,
         checkpoint: Optional[int] = None) -> Function:
    """The gradient function of `f`, with `f`'s signature.

    `wrt` is an argument index or name, or a tuple of them; a single `wrt` gives one gradient,
    a tuple gives a tuple. A structured argument (dict, list, tuple, namedtuple, dataclass: a
    pytree) gets a gradient of its structure. For a non-scalar or structured result, the
    gradient of the sum of its elements. has_aux=True: f returns (loss, aux) and df returns
    (gradient of loss, aux). `f` may itself be a gradient from tangent_lite: grad(grad(f)) is
    the second derivative.

    checkpoint=s: reverse every outermost loop of f by binomial checkpointing (revolve) with
    at most s snapshots of its state, recomputing steps instead of recording them all (as
    `for t in checkpointed(range(T), snapshots=s):` in f does for one loop).
    """
    checkpoint = _checked_checkpoint(f, checkpoint)
    if has_aux:
        return _with_aux(f, wrt, with_value=False, checkpoint=checkpoint)
    return _compiled(f, wrt, checkpoint=checkpoint).df


@user_facing
def value_and_grad(f: Function, wrt: Wrt = 0, has_aux: bool = False,
                   checkpoint: Optional[int] = None) -> Function:
    """Like grad, but df returns (f's value, the gradient) from one forward and one backward
    sweep; with has_aux=True, ((loss, aux), gradient) as in JAX. checkpoint: as for grad."""
    checkpoint = _checked_checkpoint(f, checkpoint)
    if has_aux:
        return _with_aux(f, wrt, with_value=True, checkpoint=checkpoint)
    return _compiled(f, wrt, "value_and_grad", checkpoint).df


def _with_aux(f: Function, wrt: Wrt, with_value: bool, checkpoint: int = 0) -> Function:
    """grad / value_and_grad of f returning (loss, aux): the backward sweep of the split
    derivative, seeded with ones for the loss and zeros for aux."""
    compiled = _compiled(f, wrt, "split", checkpoint)

    @user_facing
    def df(*args: Any, **kwargs: Any) -> Any:
        value, state = compiled.df(*args, **kwargs)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise InputError(f"has_aux=True: {getattr(f, '__name__', 'f')} must return a pair "
                             f"(loss, aux), not {type(value).__name__}")
        loss, aux = value
        g = compiled.backward(state, GradList([unit_like(loss), zeros_grad(aux)]))
        return ((loss, aux), g) if with_value else (g, aux)
    df.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    return df


@user_facing
def vjp(f: Function, *args: Any, wrt: Wrt = 0, checkpoint: Optional[int] = None,
        **kwargs: Any) -> Tuple[Any, "Pullback"]:
    """`y, pullback = vjp(f, *args)`: f's value, and a function that maps weights shaped like
    y to the gradient of sum(weights * f) with respect to `wrt`.

    The forward sweep runs once, here; each call of pullback runs the backward sweep on its
    own copy of what the forward sweep saved, so it can be called any number of times.
    checkpoint: as for grad (each call of pullback then recomputes the steps it needs from
    the forward sweep's snapshots, which stay alive as long as pullback does).
    """
    compiled = _compiled(f, wrt, "split", _checked_checkpoint(f, checkpoint))
    value, state = compiled.df(*args, **kwargs)
    return value, Pullback(compiled.backward, state, pytree.shapes(value))


class Pullback:
    """The backward sweep of one forward sweep: call it with weights shaped like the value."""

    __slots__ = ("backward", "state", "shape")

    def __init__(self, backward: Function, state: Any, shape: Any) -> None:
        self.backward, self.state, self.shape = backward, state, shape

    @user_facing
    def __call__(self, cotangent: Any) -> Any:
        shape = pytree.shapes(cotangent)
        if shape != self.shape:
            raise InputError(f"the pullback takes weights shaped like the value {self.shape}, "
                             f"not {shape}")
        return self.backward(self.state, cotangent)

    def __repr__(self) -> str:
        return f"<pullback of {self.backward.__name__[len('backward_'):]}>"


@user_facing
def jvp(f: Function, primals: Sequence[Any], tangents: Sequence[Any]) -> Tuple[Any, Any]:
    """`y, dy = jvp(f, primals, tangents)`: f's value and its directional derivative along
    `tangents`, by forward mode (JAX's convention: tuples of positional arguments; a tangent
    of None means that argument is held constant)."""
    f = unwrap(f)
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise InputError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    params = list(inspect.signature(f).parameters)
    wrt = tuple(p for p, t in zip(params, tangents) if t is not None)
    compiled = _forward(f, wrt, primals)
    for p, x, t in zip(params, primals, tangents):
        _real_tangent(p, x, t)
    named = {compiled.tangent_params[p]: t for p, t in zip(params, tangents) if t is not None}
    return compiled.df(*primals, **named)


def _forward(f: Function, wrt: tuple, primals: tuple) -> Any:
    """The Compiled forward-mode derivative jvp runs for these primals (per class of an
    argument f calls methods of: classes.py)."""
    def build() -> Any:
        try:
            return pipeline.compile_forward(f, wrt)
        except ArgumentMethodError as exc:
            if exc.function is not f:
                raise
            return classes.dispatching(f, exc, lambda view: cache.get(
                view, (wrt, "jvp"), lambda: pipeline.compile_forward(view, wrt)), "jvp", wrt)
    compiled = cache.get(f, (wrt, "jvp"), build)
    return compiled if compiled.by_class is None else compiled.by_class.variant(primals, {})


def _real_tangent(name: str, x: Any, t: Any) -> None:
    """Refuse a complex tangent of a real argument (leaf by leaf in a pytree): f is a function
    of real values there, and a complex direction leaves its domain (a complex argument takes
    one: the real directional derivative along it)."""
    if t is None or not any_complex(t) or any_complex(x):
        return
    if is_container(x) and is_container(t):
        for (key, xc), (_, tc) in zip(children(x), children(t)):
            _real_tangent(f"{name}[{key!r}]", xc, tc)
        return
    raise InputError(f"a complex tangent for the real argument {name!r}: give a real one (the "
                     "real and imaginary parts of a complex direction are two jvps, or hvps)")


@user_facing
def hvp(f: Function, wrt: Wrt = 0) -> Function:
    """`hvp(f)(*args, v)`: the Hessian of f with respect to `wrt` times v, forward-over-reverse
    (the jvp of the gradient), without forming the Hessian. With several `wrt`, v is a tuple
    with one tangent per argument, and so is the result (the Hessian's blocks times v).

    Forward mode runs over a gradient that records every step: loops marked checkpointed(...)
    in f are taped here (their memory is not reduced; the values are the same)."""
    compiled = _compiled(f, wrt, "taped")
    names = tuple(compiled.wrt)
    if compiled.by_class is None:   # else: known once the classes of the arguments are
        pipeline.jvp(compiled.df, names)

    @user_facing
    def hessian_vector_product(*args: Any) -> Any:
        *primals, v = args
        if len(names) > 1 and (not isinstance(v, (tuple, list)) or len(v) != len(names)):
            raise InputError(f"hvp with respect to {len(names)} arguments takes v as a tuple "
                             f"of {len(names)} tangents, one per argument, after the arguments")
        vs = v if len(names) > 1 else (v,)
        if any_complex(*vs):
            bound = inspect.signature(unwrap(f)).bind_partial(*primals).arguments
            for name, t in zip(names, vs):
                _real_tangent(name, bound.get(name), t)
        df = compiled.df if compiled.by_class is None else \
            compiled.by_class.variant(tuple(primals), {}).df
        forward = pipeline.jvp(df, names)
        tangent_names = [forward.tangent_params[n] for n in names]
        return forward.df(*primals, **dict(zip(tangent_names, vs)))[1]
    return hessian_vector_product


@user_facing
def hessian(f: Function, wrt: Wrt = 0) -> Function:
    """`hessian(f)(*args)`: the matrix of second derivatives with respect to one argument,
    shaped x.shape + x.shape, one Hessian-vector product per element of x.

    With several `wrt` (or structured arguments), shaped as JAX shapes them: a tuple of tuples
    `((H00, H01), (H10, H11))` with H_ij shaped x_i.shape + x_j.shape, and for a pytree, its
    structure outside and again inside."""
    if not isinstance(wrt, (tuple, list)):
        index = _index_of(f, wrt)

        @user_facing
        def single(*args: Any) -> Any:
            if not pytree.is_container(args[index]):
                return _dense_hessian(f, wrt, index, args)
            blocks, grads = _hessian_blocks(f, wrt, args)
            return pytree.unwrap_single(blocks[0], False, grads[0])
        return single
    return lambda *args: _hessian_blocks(f, wrt, args)[0]


def _dense_hessian(f: Function, wrt: Wrt, index: int, args: Any) -> Any:
    product = hvp(f, wrt)
    x = np.asarray(args[index])
    columns = []
    for k in range(x.size):
        e = np.zeros(x.size, dtype=x.dtype if x.dtype.kind == "f" else float)
        e[k] = 1.0
        columns.append(np.asarray(product(*args, e.reshape(x.shape))).reshape(-1))
    return np.stack(columns, axis=-1).reshape(x.shape + x.shape)


def _hessian_blocks(f: Function, wrt: Wrt, args: Any) -> Any:
    """The Hessian with respect to the arguments `wrt`, forward mode over the gradient, as
    nested blocks (pytree.py), and the gradient."""
    compiled = _compiled(f, tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,), "taped")
    if compiled.by_class is not None:   # the gradient for the classes of these arguments
        compiled = compiled.by_class.variant(tuple(args), {})
    params = list(inspect.signature(unwrap(f)).parameters)
    return pytree.hessian_blocks(compiled.df, pipeline.jvp(compiled.df, compiled.wrt), args,
                                 compiled.wrt, [params.index(n) for n in compiled.wrt])


@user_facing
def jacobian(f: Function, wrt: Wrt = 0, mode: str = "reverse") -> Function:
    """`jacobian(f)(*args)`: d f / d x shaped out.shape + x.shape; mode="reverse" (one backward
    sweep per output element, one forward sweep) or "forward" (one jvp per input element)."""
    if mode not in ("reverse", "forward"):
        raise TangentLiteError(f"jacobian: mode={mode!r}; use 'reverse' or 'forward'")
    index = None if isinstance(wrt, (tuple, list)) else _index_of(f, wrt)

    @user_facing
    def full_jacobian(*args: Any) -> Any:
        if index is None or pytree.is_container(args[index]):
            return _jacobian_blocks(f, wrt, mode, args)
        x = np.asarray(args[index])
        if mode == "reverse":
            value, pullback = vjp(f, *args, wrt=wrt)
            value = np.asarray(value)
            rows = []
            for k in range(value.size):
                e = np.zeros(value.size)
                e[k] = 1.0
                rows.append(np.asarray(pullback(e.reshape(value.shape))).reshape(-1))
            return np.stack(rows).reshape(value.shape + x.shape)
        cols, shape = [], ()
        for k in range(x.size):
            e = np.zeros(x.size)
            e[k] = 1.0
            tangents: list = [None] * len(args)
            tangents[index] = e.reshape(x.shape)
            value, dvalue = jvp(f, args, tangents)
            shape = np.shape(value)
            cols.append(np.asarray(dvalue).reshape(-1))
        return np.stack(cols, axis=-1).reshape(shape + x.shape)
    return full_jacobian


def _jacobian_blocks(f: Function, wrt: Wrt, mode: str, args: Any) -> Any:
    """The Jacobian with respect to several or structured arguments (pytree.py)."""
    names = wrt_names(unwrap(f), wrt)
    params = list(inspect.signature(unwrap(f)).parameters)
    return pytree.jacobian_blocks(f, args, [params.index(n) for n in names],
                                  isinstance(wrt, (tuple, list)), mode,
                                  lambda *a: vjp(f, *a, wrt=wrt), lambda *a: jvp(f, *a))


def _index_of(f: Function, wrt: Wrt) -> int:
    (name,) = wrt_names(unwrap(f), wrt)
    return list(inspect.signature(unwrap(f)).parameters).index(name)


@user_facing
def source(f: Function, wrt: Wrt = 0, numbers: bool = False,
           checkpoint: Optional[int] = None, specialised_for: Optional[tuple] = None) -> str:
    """The generated gradient code of `f`, as a string.

    numbers=True: the code of the variant the gradient runs when every argument is a number
    (compiled for functions that compute elementwise); a TangentLiteError if f has none.
    specialised_for=args: the variant specialised for the dtypes and shapes of `args` (a
    tuple of f's arguments, as df would be called), with its guard; compiled now if df has
    not been called with such arguments yet; a TangentLiteError if there is none.
    checkpoint: as for grad."""
    compiled = _compiled(f, wrt, checkpoint=_checked_checkpoint(f, checkpoint))
    if compiled.by_class is not None:
        if specialised_for is None:
            raise TangentLiteError(
                f"the gradient of {getattr(f, '__name__', f)} is compiled for the classes of "
                f"its arguments {', '.join(compiled.by_class.names)} at the first call with "
                "each: pass the arguments, tangent_lite.source(f, specialised_for=args)")
        compiled = compiled.by_class.variant(tuple(specialised_for), {})
        if numbers or compiled.specialiser is None:   # the code df runs for those classes
            return _source_of_variant(f, compiled, numbers)
        try:
            return _specialised_source(f, compiled, specialised_for)
        except TangentLiteError:
            return compiled.source
    if specialised_for is not None:
        return _specialised_source(f, compiled, specialised_for)
    return _source_of_variant(f, compiled, numbers)


def _source_of_variant(f: Function, compiled: Any, numbers: bool) -> str:
    if not numbers:
        return compiled.source
    if compiled.numbers is None:
        raise TangentLiteError(f"the gradient of {getattr(f, '__name__', f)} has no variant "
                               "for numbers: only functions computing elementwise have one")
    return compiled.numbers.source


def _specialised_source(f: Function, compiled: Any, args: Any) -> str:
    name = getattr(f, "__name__", f)
    if compiled.specialiser is None:
        raise TangentLiteError(f"the gradient of {name} has no shape-specialised variants: "
                               "it sums no gradient back to an operand's shape (the work a "
                               "variant leaves out), f takes *args or **kwargs, or the pass "
                               "'specialise' is off")
    bound = inspect.signature(unwrap(f)).bind(*args)
    bound.apply_defaults()
    values = [bound.arguments[p] for p in compiled.specialiser.params]
    variant = compiled.specialiser.variant_for(values)
    if variant is not None and variant.error is not None:
        raise variant.error
    if variant is None or variant.df is None:
        raise TangentLiteError(
            f"the gradient of {name} has no variant specialised for these arguments: "
            "specialising needs an exact np.ndarray argument, and is kept only where the "
            "shapes remove work (the generic gradient runs)")
    return variant.compiled.source


@user_facing
def show(f: Function, wrt: Wrt = 0, numbers: bool = False,
         checkpoint: Optional[int] = None) -> None:
    """Print the generated gradient code of `f` (numbers=True: its variant for numbers;
    checkpoint: as for grad)."""
    print(source(f, wrt, numbers, checkpoint), end="")


class Differentiable:
    """A function that still computes itself when called, and knows its gradient.

    `.grad(*args)` computes the gradient, `.df` is the compiled gradient function and `.source`
    its code. Compiling waits for the first use, so helpers defined further down the module
    are found; after that `.grad` is df itself, with no call overhead.
    """

    def __init__(self, func: Function, wrt: Wrt = 0) -> None:
        self.func = func
        self.wrt = wrt
        functools.update_wrapper(self, func)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def __get__(self, instance: Any, owner: Optional[type] = None) -> "Differentiable":
        """@differentiate on a method: `model.loss` is the method bound to model, with its
        gradient (the instance a constant)."""
        if instance is None or not hasattr(self.func, "__get__"):
            return self
        return Differentiable(self.func.__get__(instance, owner), self.wrt)

    @property
    @user_facing
    def df(self) -> Function:
        return _compiled(self.func, self.wrt).df

    @property
    @user_facing
    def source(self) -> str:
        return _compiled(self.func, self.wrt).source

    @user_facing
    def grad(self, *args: Any, **kwargs: Any) -> Any:
        df = self.df
        self.grad = df   # type: ignore[method-assign]  # later calls go straight to df
        return df(*args, **kwargs)

    @user_facing
    def show(self) -> None:
        show(self.func, self.wrt)

    def __repr__(self) -> str:
        return f"<differentiable {self.func.__qualname__} wrt={self.wrt!r}>"


@overload
def differentiate(func: Function, *, wrt: Wrt = 0) -> Differentiable: ...


@overload
def differentiate(func: None = None, *,
                  wrt: Wrt = 0) -> Callable[[Function], Differentiable]: ...


@user_facing
def differentiate(func: Optional[Function] = None, *,
                  wrt: Wrt = 0) -> Union[Differentiable, Callable[[Function], Differentiable]]:
    """Decorator: `@differentiate` or `@differentiate(wrt=...)`."""
    if func is None:
        return lambda f: Differentiable(f, wrt)
    return Differentiable(func, wrt)
