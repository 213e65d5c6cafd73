"""The compiled-derivative cache.

Kept on the function object (keyed by the options); an entry stays valid while the function's code,
the globals it resolved (numpy functions, helpers), the rule table and the optimisation passes
switched on are what they were when it was compiled. A lookup is a dict access and a few identity checks.
"""
import threading
import weakref

from . import optimize
from .rules import registry_version

_ATTR = "__tangent_lite_cache__"   # on the function itself: a lookup is one attribute read
_owners = weakref.WeakSet()         # functions holding entries, for clear()
_lock = threading.RLock()


def _valid(entry, func):
    if entry.code is not getattr(func, "__code__", entry.code):
        return False
    if entry.registry_version != registry_version() or entry.passes != optimize.version():
        return False
    # Every lookup runs this: plain loops, no helper calls or generators.
    g = getattr(func, "__globals__", None)
    if g is not None:
        for name, obj in entry.globals_used.items():
            if g.get(name, obj) is not obj:
                return False
    # What the shape analysis read in the functions f calls (see analysis.shapes.summaries).
    for g, used in entry.watched:
        for name, obj in used.items():
            if g.get(name, obj) is not obj:
                return False
    # A callee's derivative is compiled into this one: it must still be current too.
    for dep in entry.deps:
        if not _valid(dep, dep.func):
            return False
    return True


def get(func, options, build):
    """The cached Compiled for (func, options), building it with build() when needed."""
    per_func = getattr(func, _ATTR, None)
    if per_func is not None:
        entry = per_func.get(options)
        if entry is not None and _valid(entry, func):
            return entry
    with _lock:
        per_func = getattr(func, _ATTR, None)
        entry = per_func.get(options) if per_func else None
        if entry is not None and _valid(entry, func):
            return entry
        entry = build()
        if per_func is None:
            try:
                setattr(func, _ATTR, {})
                _owners.add(func)
            except (AttributeError, TypeError):  # builtins, ufuncs: compiled every time
                return entry
            per_func = getattr(func, _ATTR)
        per_func[options] = entry
        return entry


def clear():
    """Forget every compiled derivative."""
    with _lock:
        for func in list(_owners):
            try:
                delattr(func, _ATTR)
            except AttributeError:
                pass
        _owners.clear()
