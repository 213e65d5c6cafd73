"""The compiled-derivative cache.

Kept on the function object (keyed by the options); an entry stays valid while the function's code,
the globals it resolved (numpy functions, helpers), the rule table and the optimisation passes
switched on are what they were when it was compiled. A lookup is a dict access and a few identity checks.
A bound method's (and a callable object's) entries are kept on its function, per instance, and
also check that what the compile read of objects still holds (Compiled.checks).
"""
import inspect
import threading
import weakref

from . import optimize
from .frontend.callables import user_callable
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
    for check in entry.checks:    # what it read of objects (frontend/objects.py)
        if not check():
            return False
    # A callee's derivative is compiled into this one: it must still be current too.
    for dep in entry.deps:
        if not _valid(dep, dep.func):
            return False
    return True


# A method's entries for each instance live on its function (bound methods are made afresh on
# every attribute read); the entries of this many instances are kept per function and option.
_INSTANCES = 16


def _home(func):
    """(the function the entries of `func` live on, the instance they are for or None): a
    bound method and a callable object (through its bound __call__) keep theirs on the
    function, per instance, and never write into the user's object."""
    if inspect.isfunction(func):
        return func, None
    method = user_callable(func)
    if method is not None and inspect.ismethod(method) and inspect.isfunction(method.__func__):
        return method.__func__, method.__self__
    return func, None


def get(func, options, build):
    """The cached Compiled for (func, options), building it with build() when needed."""
    home, instance = _home(func)
    if instance is not None:
        return _get_bound(home, instance, options, build)
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


def _get_bound(home, instance, options, build):
    """get() for a bound method or callable object: entries on `home`, keyed by instance."""
    key = ("instance", id(instance), options)
    with _lock:
        per_func = getattr(home, _ATTR, None)
        held = per_func.get(key) if per_func else None
        if held is not None and held[0] is instance and _valid(held[1], home):
            return held[1]
        entry = build()
        if per_func is None:
            setattr(home, _ATTR, {})
            _owners.add(home)
            per_func = getattr(home, _ATTR)
        per_func.pop(key, None)
        per_func[key] = (instance, entry)
        mine = [k for k in per_func if k[0] == "instance" and k[2] == options]
        for k in mine[:-_INSTANCES]:
            del per_func[k]
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
