"""Who shares memory with whom, and copies that later writes cannot reach.

NumPy arrays alias: a basic-indexing view, a reshape that did not copy, one list under two
names. The derivative must see what NumPy sees, so generated code asks here whether a write
through one name reaches another (`shares_memory`, `unshared`), refuses the writes whose
result depends on NumPy's copy order (`copied_in_order`), and takes the copies that keep the
caller's arrays and the stack's values as they were (`owned`, `saved`, `detached`). A
pullback restores its own copy of an argument in place, so `owned` also re-points the views it
holds at that copy (`_repointed`). Imports only NumPy and the bottom of the package.
"""
import numpy as np

from .dispatch import InputError
from .trees import GradDict, children, is_container


def shares_memory(view, base):
    """Whether writing into `view` writes into `base`, as NumPy would: arrays sharing memory
    (a basic-indexing view, a reshape that did not copy), one mutable list, or either of those
    held by the container `base` (a list that is an entry of another list, at any depth).
    False for a number, a copy, or a fancy-indexed result."""
    if isinstance(view, list) and view is base:
        return True
    if type(base) is not np.ndarray and is_container(base):   # an array or a list read from
        return any(shares_memory(view, item) for _, item in children(base))   # a container
    if isinstance(view, list):
        return False
    return (isinstance(view, np.ndarray) and isinstance(base, np.ndarray)
            and np.may_share_memory(view, base))


def shares_array_memory(view, base, where):
    """shares_memory for `view = base` written through under a loop or branch, where the
    compiler writes the view back with `base[...] = view`: an array does that in place; a list
    or another container cannot, so it is refused here, naming the line."""
    if view is base and not isinstance(base, np.ndarray) and is_container(base):
        raise InputError(
            f"{where}: this names one {type(base).__name__} twice, and a loop or branch writes "
            "through one of the names: tangent_lite follows such an alias of an array, not of "
            "a list or other container. Instead: use one name for it")
    return shares_memory(view, base)


def detached(v):
    """A copy of `v` that shares no memory with anything (arrays and lists; numbers as they
    are): a view the compiler writes back into its base explicitly."""
    if type(v) is np.ndarray:
        return v.copy()
    if isinstance(v, list):
        return type(v)(v)
    return v


def saved(v):
    """A copy of `v` that later in-place writes cannot change (for the stack)."""
    return v.copy() if type(v) is np.ndarray else v


def owned(x, *views):
    """A private copy of an argument the function writes into: df never changes the caller's
    arrays. With views (a pullback's backward sweep, which restores its copy of x in place):
    the copy, then each of the views that looks into x looking at the same elements of the
    copy, so that it sees the restores as a view sees them in grad's single sweep."""
    if views:
        copy = x.copy(order="K") if type(x) is np.ndarray else owned(x)
        return (copy,) + tuple(_repointed(v, x, copy) for v in views)
    if type(x) is np.ndarray:
        return x.copy()
    if type(x) is list:
        return list(x)
    if type(x) is dict or type(x) is GradDict:
        return type(x)(x)
    return x


def owned_in(copies, x):
    """x as one call of a pullback sees it: the call's own copy of the array x is or looks
    into (a view of it re-pointed at the same elements of the copy), or of the list or dict
    x is. `copies` ({} per call, id of the array or container -> (it, its copy)) keeps one
    copy per original, shared by every name and stack entry that holds it: names that trade
    arrays (`u, new = new, u`) keep trading the same two copies, and a view popped from the
    stack sees the restores written into its base's copy, as in grad's single sweep.
    Numbers and anything else come back as they are."""
    if type(x) is np.ndarray:
        root = x
        while type(root.base) is np.ndarray:
            root = root.base
        if id(root) not in copies:
            copies[id(root)] = (root, root.copy(order="K"))
        copy = copies[id(root)][1]
        return copy if x is root else _repointed(x, root, copy)
    if type(x) in (list, dict, GradDict):
        if id(x) not in copies:
            copies[id(x)] = (x, owned(x))
        return copies[id(x)][1]
    return x


def _repointed(view, original, copy):
    """`view` on `copy` where it looks into `original`: the same offset and strides, which
    copy(order="K") of a contiguous array keeps."""
    if not (type(view) is np.ndarray and type(original) is np.ndarray and view.size
            and np.may_share_memory(view, original)):
        return view
    start = view.__array_interface__["data"][0] - original.__array_interface__["data"][0]
    low = start + sum((n - 1) * s for n, s in zip(view.shape, view.strides) if s < 0)
    high = start + sum((n - 1) * s for n, s in zip(view.shape, view.strides) if s > 0)
    if (original.flags.c_contiguous or original.flags.f_contiguous) and \
            copy.strides == original.strides and low >= 0 and \
            high + view.itemsize <= original.nbytes:
        flat = copy if copy.flags.c_contiguous else copy.T      # the same memory, in order
        return np.ndarray(view.shape, view.dtype, buffer=flat, offset=start,
                          strides=view.strides)
    if not np.shares_memory(view, original):
        return view
    raise InputError(
            "vjp: a value the pullback reads looks into an array that the pullback restores "
            "on its own copy, and is laid out so that it cannot follow it there (the array is "
            "itself a strided view). Instead: use grad, or take a copy of the array before "
            "writing into it (`.copy()`)")


def _reaches(other, x):
    """Whether an in-place update of `x` changes `other`: the same list, an array sharing
    memory with it, or a list or tuple holding one of those."""
    if other is x:
        return type(x) is list or type(x) is np.ndarray
    if type(x) is np.ndarray and isinstance(other, np.ndarray):
        return np.may_share_memory(x, other)
    if type(other) is not np.ndarray and is_container(other):   # lists, dicts, pytrees
        return any(_reaches(item, x) for _, item in children(other))
    return False


def unshared(x, other, names, where):
    """Refuse an in-place update of `x` that NumPy would also apply to `other`."""
    if _reaches(other, x):
        mine, theirs = names.split()
        raise InputError(
            f"{where}: this in-place update of `{mine}` changes `{theirs}` too (they share "
            f"memory), and `{theirs}` is read afterwards; NumPy would change both. Instead: "
            f"make `{mine}` its own array first (`{mine} = {mine}.copy()`), or write "
            f"`{mine} = {mine} + ...`")


def copied_in_order(dst, value, where):
    """Refuse `dst[...] = value` where NumPy's answer depends on the order it copies elements:
    a 1-D value overlapping the 1-D destination with another stride in the same direction
    (NumPy copies element by element there, reading what it already overwrote; anywhere else it
    copies as if through a temporary, as the derivative assumes)."""
    if (isinstance(dst, np.ndarray) and isinstance(value, np.ndarray) and dst.ndim == 1
            and value.ndim == 1 and dst.shape == value.shape and dst.size > 1
            and dst.strides[0] != value.strides[0] and dst.strides[0] * value.strides[0] > 0
            and np.shares_memory(dst, value)):
        raise InputError(
            f"{where}: this write copies an array into memory it overlaps, with another "
            "stride: NumPy's result then depends on the order it copies the elements. "
            "Instead: write a copy of it (`.copy()`)")
