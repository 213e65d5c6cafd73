"""Structured values (pytrees), with JAX's conventions.

A pytree is a leaf or a container of pytrees. The containers are dict, list, tuple, namedtuple
and None (a container with no children), nested to any depth; a dataclass instance is a
container of its fields; any other type becomes one with `register_pytree`. Arrays and numbers
are leaves, and so is every other object.

Differentiating with respect to a structured argument gives a gradient of the same structure:

    grad(loss)({"W": W, "b": b}, x)   ->  {"W": dW, "b": db}

with each leaf's type kept (a Python float leaf gives a float, float32 stays float32). A leaf
that cannot carry a gradient -- an int, a bool, a string, any other object -- gets None in the
gradient, and None stays None. (JAX refuses integer inputs unless asked, and then gives them
float0 zeros; None says "no gradient" without a dtype of its own.) The top-level argument
named in `wrt` must still be a float or a container: an int there is an error, as before.

Inside the differentiated function, containers are read as Python reads them: `params['W']`,
`layers[i][0]`, `p.log_sigma`, `W, b = params`, `for W, b in layers`, `for k, v in
params.items()`; the compiler lowers all of them to index and field reads (frontend/unpack.py).
"""
import dataclasses
from typing import Any, Callable

import numpy as np

from .runtime import trees

__all__ = ["register_pytree", "tree_flatten", "tree_unflatten", "tree_leaves", "tree_map",
           "TreeDef"]


def register_pytree(cls: type, flatten: Callable[[Any], Any],
                    unflatten: Callable[[Any], Any]) -> None:
    """Make instances of `cls` pytree containers.

    flatten(x) returns (children, aux): the children are pytrees (they carry gradients), aux is
    anything hashable that unflatten needs to rebuild x (static data: sizes, names).
    unflatten(aux, children) returns a new instance. A gradient with respect to an instance is
    an instance built by unflatten from the children's gradients. An attribute read `x.name`
    inside a differentiated function carries a gradient when its value is one of the children
    flatten returns (the same object).

        class Affine:
            def __init__(self, W, b):
                self.W, self.b = W, b

        tangent_lite.register_pytree(Affine, lambda a: ((a.W, a.b), None),
                                     lambda aux, children: Affine(*children))
    """
    if not isinstance(cls, type):
        raise TypeError(f"register_pytree takes a class, not {cls!r}")
    trees.register_node(cls, flatten, unflatten)
    return cls


@dataclasses.dataclass(frozen=True)
class TreeDef:
    """The structure of a pytree without its leaves: what tree_unflatten needs."""

    prototype: object      # a pytree of this structure (its leaves are not read)
    children: tuple        # a TreeDef per child, or None for a leaf
    num_leaves: int

    def __repr__(self):
        return f"TreeDef({type(self.prototype).__name__}, {self.num_leaves} leaves)"


def tree_flatten(x):
    """(leaves, treedef): the leaves of `x` in order (dict keys in the dict's order), and its
    structure."""
    leaves = []
    treedef = _flatten(x, leaves)
    return leaves, treedef


def _flatten(x, leaves):
    items = trees.children(x)
    if items is None:
        leaves.append(x)
        return None
    children = tuple(_flatten(child, leaves) for _, child in items)
    count = sum(1 if c is None else c.num_leaves for c in children)
    return TreeDef(x, children, count)


def tree_unflatten(treedef, leaves):
    """The pytree of structure `treedef` holding `leaves` (in tree_flatten's order)."""
    leaves = list(leaves)
    if treedef is None:
        (leaf,) = leaves
        return leaf
    it = iter(leaves)
    out = _unflatten(treedef, it)
    return out


def _unflatten(treedef, it):
    if treedef is None:
        return next(it)
    values = [_unflatten(child, it) for child in treedef.children]
    return trees.rebuild(treedef.prototype, values)


def tree_leaves(x):
    """The leaves of `x`, in tree_flatten's order."""
    return tree_flatten(x)[0]


def tree_map(f, x, *rest):
    """The pytree of `x`'s structure with f applied to each leaf (and the corresponding leaves
    of the pytrees `rest`, which have x's structure)."""
    leaves, treedef = tree_flatten(x)
    others = [tree_flatten(r)[0] for r in rest]
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *others)])


# ---- what the entry points need (api.py): structures of values, one-hot directions ---------

def shapes(x):
    """The pytree of the shapes of x's leaves (a leaf's own shape for an array)."""
    return tree_map(np.shape, x)


def _float_leaf(leaf):
    if isinstance(leaf, bool) or leaf is None:
        return False
    return np.asarray(leaf).dtype.kind in "fc" or isinstance(leaf, (int, float))


def basis(x):
    """Every one-hot direction of the pytree x, as (leaf position, element index, the
    direction: a pytree of x's structure with zeros everywhere but that element). Leaves
    that cannot carry a derivative (ints, strings) get no directions (and zeros elsewhere)."""
    leaves, treedef = tree_flatten(x)
    for m, leaf in enumerate(leaves):
        if not _float_leaf(leaf) or isinstance(leaf, int):
            continue
        for k in range(int(np.size(leaf))):
            parts = [zeros_like_leaf(v) for v in leaves]
            flat = np.zeros(np.size(leaf), dtype=_dtype(leaf))
            flat[k] = 1.0
            parts[m] = flat.reshape(np.shape(leaf))
            yield m, k, tree_unflatten(treedef, parts)


def zeros_like_leaf(v):
    if isinstance(v, np.ndarray) and v.dtype.kind in "fc":
        return np.zeros_like(v)
    return np.zeros(np.shape(v)) if _float_leaf(v) else v


def _dtype(leaf):
    dtype = np.asarray(leaf).dtype
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def assemble(out, columns, inputs):
    """The Jacobian shaped as JAX shapes it: for each leaf of `out` (outer structure), for each
    leaf of `inputs` (inner structure), an array shaped out_leaf.shape + in_leaf.shape.

    columns[m][k] is the derivative of `out` (a pytree of out's structure) along element k of
    input leaf m; leaves without directions get None."""
    out_leaves, out_def = tree_flatten(out)
    in_leaves, in_def = tree_flatten(inputs)
    per_out = []
    for j, leaf in enumerate(out_leaves):
        blocks = []
        for m, x in enumerate(in_leaves):
            cols = columns.get(m)
            if cols is None:
                blocks.append(None)
                continue
            stacked = np.stack([np.reshape(np.asarray(leaves_like(c, out)[j], dtype=float), -1)
                                for c in cols], axis=-1)
            blocks.append(stacked.reshape(np.shape(leaf) + np.shape(x)))
        per_out.append(tree_unflatten(in_def, blocks))
    return tree_unflatten(out_def, per_out)


def assemble_rows(out, rows, inputs):
    """Like assemble, from rows: rows[j][k] is the gradient (a pytree of `inputs`' structure)
    of element k of out's leaf j."""
    out_leaves, out_def = tree_flatten(out)
    in_leaves, in_def = tree_flatten(inputs)
    per_out = []
    for j, leaf in enumerate(out_leaves):
        blocks = []
        grads = [leaves_like(g, inputs) for g in rows[j]]
        for m, x in enumerate(in_leaves):
            if not _float_leaf(x) or isinstance(x, int) or any(g[m] is None for g in grads):
                blocks.append(None)
                continue
            stacked = np.stack([np.reshape(g[m], -1) for g in grads])
            blocks.append(stacked.reshape(np.shape(leaf) + np.shape(x)))
        per_out.append(tree_unflatten(in_def, blocks))
    return tree_unflatten(out_def, per_out)


def leaves_like(g, x):
    """The leaves of g taken along x's structure (g has x's structure; where x has a leaf, g's
    value there is taken whole, even None)."""
    items = trees.children(x)
    if items is None:
        return [g]
    if g is None:
        return [None for _ in tree_leaves(x)]
    mine = trees.children(g)
    if isinstance(g, dict):   # a dict, or a GradDict of a dataclass's fields
        mine = [(k, g.get(k)) for k, _ in items]
    out = []
    for (_, child), (_, part) in zip(items, mine):
        out.extend(leaves_like(part, child))
    return out


def one_hot_rows(value):
    """(leaf position, element index, cotangent): every one-hot cotangent of `value`."""
    leaves, treedef = tree_flatten(value)
    for j, leaf in enumerate(leaves):
        for k in range(int(np.size(leaf))):
            parts = [np.zeros(np.shape(v)) for v in leaves]
            flat = np.zeros(np.size(leaf))
            flat[k] = 1.0
            parts[j] = flat.reshape(np.shape(leaf))
            yield j, k, tree_unflatten(treedef, parts)


def tree_map_over(x, tree, f):
    """`tree` has x's structure down to x's leaves, and anything where x has a leaf: f applied
    to each of those parts, in x's structure."""
    _, treedef = tree_flatten(x)
    return tree_unflatten(treedef, [f(part) for part in leaves_like(tree, x)])


def is_container(x):
    """Whether x is a container (a pytree node) rather than a leaf."""
    return trees.is_container(x)


def unwrap_single(blocks, several, value):
    """One `wrt`: each output leaf's block is the argument's structure, not a 1-tuple of it."""
    if several:
        return blocks
    return tree_map_over(value, blocks, lambda b: b[0])


def jacobian_blocks(f, args, positions, several, mode, vjp, jvp):
    """The Jacobian of f with respect to the arguments at `positions`, shaped as JAX shapes
    it: the result's structure outside, the arguments' inside (a tuple of them when
    `several`). mode "reverse": one pullback per element of the result (vjp(*args) ->
    (value, pullback)); "forward": one jvp per element of every argument leaf
    (jvp(primals, tangents) -> (value, tangent))."""
    inputs = tuple(args[p] for p in positions)
    if mode == "reverse":
        value, pullback = vjp(*args)
        rows = {}
        for j, k, cotangent in one_hot_rows(value):
            g = pullback(cotangent)
            rows.setdefault(j, []).append(g if several else (g,))
        return unwrap_single(assemble_rows(value, rows, inputs), several, value)
    columns, value = {}, None
    for m, k, direction in basis(inputs):
        tangents = [None] * len(args)
        for p, t in zip(positions, direction):
            tangents[p] = t
        value, dvalue = jvp(args, tangents)
        columns.setdefault(m, []).append(dvalue)
    if value is None:
        value = f(*args)
    return unwrap_single(assemble(value, columns, inputs), several, value)


def hessian_blocks(df, forward, args, names, positions):
    """(the Hessian as nested blocks, the gradient): `df` is the gradient with respect to the
    parameters `names` (at `positions`), `forward` the Compiled jvp of df; one direction per
    element of every leaf of those arguments."""
    inputs = tuple(args[p] for p in positions)
    columns, grads = {}, None
    for m, k, direction in basis(inputs):
        tangents = {forward.tangent_params[n]: t for n, t in zip(names, direction)}
        grads, column = forward.df(*args, **tangents)
        columns.setdefault(m, []).append(column)
    if grads is None:
        grads = df(*args)
    return assemble(grads, columns, inputs), grads
