"""A specialised variant's running sums added in place in the forward sweep (part of the pass
"lower").

The user's `out = out + w[k] * x[:, k:k + L]` makes a new array of out's size at every step;
NumPy written by hand says `out += ...`. The two compute the same values where nothing else
holds out's old array: then only the name sees the change. In a variant where every value is a
float64 or an int (lower.all_real) and out's shape is known, `out = out + e` is written `out
+= e` where:

- e's shape broadcasts to out's (the sum has out's shape, so the array keeps it), rank >= 1;
- out is not a parameter, and every binding of it in df makes a fresh array:
  `np.zeros(...)`-like calls or arithmetic (`out + e`, `a * b`), never another name, a pop, a
  view or a loop target (so out's array is nobody else's: not an argument's, not on the stack);
- every read of out in df is an operand of arithmetic (`out + e`, `out - y`), which makes a
  new array and keeps no reference: no copy, view, push or call sees out's array.

conv1d 32x4096x9: 1.12x -> 1.06x the hand-written gradient in one process.
"""
import gast

from ..analysis.shape_rules import broadcast
from ..ir import Comment

_FRESH = {"zeros", "ones", "empty", "zeros_like", "ones_like", "full"}


class _Facts:
    """What the rewrite asks of df's statements, read in one walk: each node's parent, each
    name's bindings, the names read other than as an operand of arithmetic."""

    def __init__(self, everything, np_name, params):
        self.np_name, self.params = np_name, params
        self.parents, self.bindings, self.read_elsewhere = {}, {}, set()
        for stmt in everything:
            if isinstance(stmt, Comment):
                continue
            for node in gast.walk(stmt):
                for child in gast.iter_child_nodes(node):
                    self.parents[id(child)] = node
                if not isinstance(node, gast.Name):
                    continue
                if not isinstance(node.ctx, gast.Load):
                    self.bindings.setdefault(node.id, []).append(node)
                # walk yields a node before its children: its parent is known here
                elif not isinstance(self.parents.get(id(node)), (gast.BinOp, gast.UnaryOp)):
                    self.read_elsewhere.add(node.id)

    def fresh(self, node):
        """Whether expression `node` makes a new array: arithmetic or np.zeros-like."""
        if isinstance(node, (gast.BinOp, gast.UnaryOp)):
            return True
        return (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
                and isinstance(node.func.value, gast.Name)
                and node.func.value.id == self.np_name and node.func.attr in _FRESH)

    def owned(self, name):
        """Whether every binding of `name` is `name = <fresh array>` and it is no parameter."""
        if name in self.params or not self.bindings.get(name):
            return False
        for node in self.bindings[name]:
            parent = self.parents.get(id(node))
            if not (isinstance(parent, gast.Assign) and parent.targets == [node]
                    and self.fresh(parent.value)):
                return False
        return True


def _running_sum(stmt):
    """(out, e) of `out = out + e` (or -, *) with e a name, else None."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)
            and isinstance(stmt.value, gast.BinOp)
            and isinstance(stmt.value.op, (gast.Add, gast.Sub, gast.Mult))
            and isinstance(stmt.value.left, gast.Name)
            and stmt.value.left.id == stmt.targets[0].id
            and isinstance(stmt.value.right, gast.Name)):
        return None
    return stmt.targets[0].id, stmt.value.right.id


def sums_in_place(forward, everything, shapes, np_name, params):
    """Rewrite `out = out + e` in the statement list `forward` (and its loops) in place;
    everything: all of df's statements; shapes: name -> shape; np_name: how df spells numpy;
    params: df's parameters (an argument's array is the caller's: never added into).
    Returns how many."""
    facts = _Facts(everything, np_name, params)
    count = 0

    def block(stmts):
        nonlocal count
        for k, stmt in enumerate(stmts):
            if isinstance(stmt, (gast.For, gast.While, gast.If)):
                block(stmt.body)
                block(stmt.orelse)
                continue
            pair = _running_sum(stmt)
            if pair is None:
                continue
            name, other = pair
            mine, theirs = shapes.get(name), shapes.get(other)
            if not mine or theirs is None or broadcast([mine, theirs]) != mine \
                    or not facts.owned(name) or name in facts.read_elsewhere:
                continue
            stmts[k] = gast.AugAssign(target=gast.Name(id=name, ctx=gast.Store(),
                                                       annotation=None, type_comment=None),
                                      op=stmt.value.op, value=stmt.value.right)
            count += 1
    block(forward)
    return count
