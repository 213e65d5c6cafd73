"""Derivatives of derivatives, forward-over-reverse.

The gradient of a scalar function F has a symmetric Jacobian: its Hessian. So the gradient of
a generated gradient function df = grad(F, wrt=X) with respect to any argument w (of the sum of
its elements), and its vector-Jacobian products, are forward-mode derivatives (jvps) of
grad(F, wrt=w) along directions in X. Those jvps are ordinary forward-mode transforms of the
generated gradient code, so second derivatives work through the same loops and branches.

The pipeline's entry points `reverse(f, wrt)` and `jvp(f, wrt)` (cached Compiled derivatives)
are passed in by the caller: this module composes derivatives, it does not make them.
"""
import inspect

from .compiled import compile_helper, signature_of
from .errors import UnsupportedSyntaxError


def grad_of_derivative(compiled, wrt, as_tuple, reverse, jvp):
    """grad(df, wrt) for a generated gradient df: writes and compiles a small function that
    calls the right jvps, so it reads like the rest of the generated code."""
    if compiled.mode != "grad":
        raise UnsupportedSyntaxError(
            f"{compiled.df.__name__} is tangent_lite's {compiled.mode} function; only "
            "gradients (grad(f)) can be differentiated again",
            hint="instead: use tangent_lite.jvp on it, or hvp / hessian on f")
    f = compiled.func
    lines, bindings, deps = _jvps_of_gradients(
        compiled, wrt, lambda k, x: f"np.ones_like({x})", "d2", reverse, jvp)
    grads = list(wrt)
    if len(grads) == 1 and not as_tuple:
        ret = f"grad_like(d2{grads[0]}, {grads[0]}, {grads[0]!r})"
    else:
        ret = (f"grads_like(({', '.join('d2' + g for g in grads)},), ({', '.join(grads)},), "
               f"({', '.join(repr(g) for g in grads)},))")
    name = f"grad_{compiled.df.__name__}"
    doc = (f'    """The gradient of sum({compiled.df.__name__}(...)) with respect to '
           f'{", ".join(wrt)}: Hessian\n    rows summed, as jvps of gradients (the Hessian is '
           'symmetric)."""')
    source = "\n".join([f"def {name}({signature_of(f)}):", doc] + lines +
                       [f"    return {ret}"]) + "\n"
    return compile_helper(f, compiled.df, name, source, bindings, deps,
                                   mode="grad2")


def vjp_of_derivative(compiled, wrt, reverse, jvp):
    """The vjp of a generated gradient df = grad(F, wrt=X), called from differentiated code:
    for weights c, the gradient of sum(c * df(...)) with respect to w is the jvp of
    grad(F, wrt=w) along c in X (a Hessian is symmetric)."""
    if compiled.mode != "grad":
        raise UnsupportedSyntaxError(
            f"calling tangent_lite's {compiled.mode} function {compiled.df.__name__} from "
            "differentiated code: only gradients (grad(f)) can be differentiated again",
            hint="instead: call tl.grad(f)(x) there (and f(x) for the value)")
    f = compiled.func
    seed = "d_" + compiled.df.__name__
    several = len(compiled.wrt) > 1
    lines, bindings, deps = _jvps_of_gradients(
        compiled, wrt, lambda k, x: f"{seed}[{k}]" if several else seed, "d", reverse, jvp)
    ret = ", ".join(f"d{w}" for w in wrt)
    name = f"vjp_{compiled.df.__name__}"
    doc = (f'    """Vector-Jacobian product of {compiled.df.__name__} with respect to '
           f'{", ".join(wrt)}, as jvps of\n    gradients (the Hessian is symmetric)."""')
    source = "\n".join([f"def {name}({seed}, {signature_of(f)}):", doc] + lines +
                       [f"    return {ret}"]) + "\n"
    return compile_helper(f, compiled.df, name, source, bindings, deps, mode="vjp2")


def _jvps_of_gradients(compiled, wrt, direction, prefix, reverse, jvp):
    """Lines `_, <prefix>w = jvp_grad_w(args, dx=<direction>)`: for each w, the jvp of
    grad(F, wrt=w) along directions in the arguments df differentiates (X)."""
    f = compiled.func
    lines, bindings, deps = [], {}, []
    for w in wrt:
        inner = reverse(f, (w,), taped=True)   # forward mode runs over every step's tape
        fwd = jvp(inner.df, compiled.wrt)
        deps += [inner, fwd]
        name = f"jvp_grad_{w}"
        bindings[name] = fwd.df
        along = ", ".join(f"{fwd.tangent_params[x]}={direction(k, x)}"
                          for k, x in enumerate(compiled.wrt))
        lines.append(f"    _, {prefix}{w} = {name}({_call_args(f)}, {along})")
    return lines, bindings, deps


def _call_args(f):
    params = inspect.signature(f).parameters.values()
    out = []
    for p in params:
        if p.kind is p.KEYWORD_ONLY:
            out.append(f"{p.name}={p.name}")
        else:
            out.append(p.name)
    return ", ".join(out)


__all__ = ["grad_of_derivative", "vjp_of_derivative"]
