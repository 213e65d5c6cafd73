"""zip used as a value, materialised: `list(zip(a, b))`, `tuple(zip(a, b))`, `a, b =
zip(*pairs)`, `dict(zip(keys, values))` and `list(enumerate(xs))` (the pairs of
`zip(range(len(xs)), xs)`), and their gradients.

A for loop or comprehension over zip is lowered to an index loop. Used as a value, the zip is
consumed once, at once, by list, tuple, dict or an unpacking, so the generated code writes
it as that consumer's list or dict and the rule table holds these helpers' gradients: each
sequence gets the entries of its own position in the tuples back; items past the shortest
sequence, which zip never reads, and keys a later key replaced in the dict get zeros.
"""
import numpy as np

from .lists import GradList, zeros_grad


def zipped(seqs):
    """`list(zip(*seqs))`: the tuples of the sequences' items, as many as the shortest has."""
    return list(zip(*seqs))


def unzipped(g, seqs: "shape"):
    """The gradients of the sequences `zipped(seqs)` was made of, from its gradient g (one
    entry per tuple, each one entry per sequence): a GradList, one gradient per sequence."""
    return GradList(_seq_grad([g[i][k] for i in range(len(g))], seq)
                    for k, seq in enumerate(seqs))


def dict_zipped(keys, values):
    """`dict(zip(keys, values))`."""
    return dict(zip(keys, values))


def undict_zipped(g, keys, values: "shape"):
    """The gradient of the values of `dict(zip(keys, values))` from the dict's gradient g:
    the value a key holds last gets that key's gradient (zeros where g leaves the key out);
    a value a later one replaced, or past the end of keys, gets zeros."""
    keys = list(keys)[:len(values)]
    last = {k: i for i, k in enumerate(keys)}
    return _seq_grad([g[k] if last[k] == i and k in g else None
                      for i, k in enumerate(keys)], values)


def _seq_grad(items, seq):
    """The gradient of the sequence `seq` whose first len(items) items have the gradients
    `items` (None: zero): an array shaped like an array seq (a list of its rows), else a
    GradList with zeros for the rest."""
    if isinstance(seq, np.ndarray):
        out = zeros_grad(seq)
        for i, e in enumerate(items):
            if e is not None:
                out[i] += e
        return out
    return GradList(zeros_grad(v) if i >= len(items) or items[i] is None else items[i]
                    for i, v in enumerate(seq))
