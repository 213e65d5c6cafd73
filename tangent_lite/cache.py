"""The compiled-derivative cache.

Keyed by the function object and the options; an entry stays valid while the function's code,
the globals it resolved (numpy functions, helpers) and the rule table are what they were when
it was compiled. A lookup is a dict access and a few identity checks.
"""
import threading
import weakref

from .rules import registry_version

_entries = weakref.WeakKeyDictionary()   # func -> {options: Compiled}
_lock = threading.RLock()


def _valid(entry, func):
    if entry.code is not getattr(func, "__code__", entry.code):
        return False
    if entry.registry_version != registry_version():
        return False
    g = getattr(func, "__globals__", None)
    if g is not None:
        for name, obj in entry.globals_used.items():
            if g.get(name, obj) is not obj:
                return False
    # A callee's derivative is compiled into this one: it must still be current too.
    return all(_valid(dep, dep.func) for dep in entry.deps)


def get(func, options, build):
    """The cached Compiled for (func, options), building it with build() when needed."""
    try:
        per_func = _entries.get(func)
    except TypeError:
        per_func = None
    if per_func is not None:
        entry = per_func.get(options)
        if entry is not None and _valid(entry, func):
            return entry
    with _lock:
        try:
            per_func = _entries.get(func)
        except TypeError:  # not weak-referenceable (a ufunc): nothing is cached for it
            return build()
        entry = per_func.get(options) if per_func else None
        if entry is not None and _valid(entry, func):
            return entry
        entry = build()
        try:
            _entries.setdefault(func, {})[options] = entry
        except TypeError:  # not weak-referenceable: compile every time
            pass
        return entry


def clear():
    """Forget every compiled derivative."""
    with _lock:
        _entries.clear()
