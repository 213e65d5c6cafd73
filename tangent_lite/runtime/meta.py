"""What the compiler may assume about the helpers, read from their own annotations.

Each helper declares it next to its signature, as string annotations (harmless in the verbatim
copy an ahead-of-time generated module carries, which imports only NumPy):

- a parameter annotated "shape" is read only for its shape, dtype and type, so the forward sweep
  may keep a placeholder of that shape instead of the value (`def unbroadcast(g, x: "shape")`);
- a return annotated "fresh" is always a new array that nothing else refers to, so gradient code
  may update it in place (`def unset(g, index) -> "fresh"`).

Being wrong about either is a soundness bug: annotate only what holds for every argument.
"""
import functools
import inspect

from . import (core, dispatch, elementwise, fft, fused, indexing, linalg, lists, numerical,
               ownership, products, pytrees, reductions, revolve, scatter, shapes, trees, zips)

# The helper modules, in the order ahead-of-time modules copy their definitions (the pytree
# containers, the dispatch checks, list gradients and core first).
MODULES = (trees, dispatch, lists, core, ownership, zips, fused, elementwise, numerical,
           reductions, indexing, shapes, scatter, products, linalg, fft, pytrees, revolve)

SHAPE = "shape"
FRESH = "fresh"


def shape_args(name):
    """The positions of the parameters of helper `name` read only for their shape, dtype and
    type; () for a helper without any, or an unknown name."""
    return _tables()[0].get(name, ())


def is_fresh(name):
    """Whether helper `name` always returns a new array that nothing else refers to."""
    return name in _tables()[1]


@functools.lru_cache(maxsize=1)
def _tables():
    """({helper: positions annotated "shape"}, {helpers annotated -> "fresh"}), computed once
    from the functions the runtime modules define."""
    shapes, fresh = {}, set()
    for module in MODULES:
        for name, func in vars(module).items():
            if not inspect.isfunction(func) or func.__module__ != module.__name__:
                continue
            signature = inspect.signature(func)
            positions = []
            for k, param in enumerate(signature.parameters.values()):
                if param.annotation is inspect.Parameter.empty:
                    continue
                if param.annotation != SHAPE or param.kind not in (
                        param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                    raise ValueError(f"{module.__name__}.{name}: parameter {param.name} is "
                                     f"annotated {param.annotation!r}; only a positional "
                                     f"parameter may be annotated {SHAPE!r}")
                positions.append(k)
            if positions:
                shapes[name] = tuple(positions)
            returns = signature.return_annotation
            if returns is not inspect.Signature.empty:
                if returns != FRESH:
                    raise ValueError(f"{module.__name__}.{name}: the result is annotated "
                                     f"{returns!r}; the only annotation is {FRESH!r}")
                fresh.add(name)
    return shapes, fresh
