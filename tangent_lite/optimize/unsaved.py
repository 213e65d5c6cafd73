"""A list entry replaced in the forward sweep pushed as it is, not copied (part of the pass
"dtypes", in a specialised variant).

`cell[i] = v` replaces an entry of a Python list; the backward sweep needs the entry it
replaced, so the forward sweep pushes it: `stack.push(saved(cell[i]))`, where `saved` copies an
array in case a later in-place write changes it before the backward sweep pops it. The ADBench
LSTM copies two 7-element entries a layer step so.

What it proves: the list is a LIST of analysis/dtype_kinds.py (a list of float64 values that only
its name reaches: entries read, appended and replaced), and f writes into no array in place at
all (every `x[i] = v` replaces a LIST's entry, every `x += e` rebinds an int, `items.append(v)`
makes a new LIST, and f runs no statement for its effect). Then no array f holds changes after it is made, so the entry pushed
is, when popped, the value it was: the copy is the same numbers.
"""
import gast

from .. import ir
from ..analysis.dtype_kinds import INT, LIST


def pushed_as_is(forward, fn, kinds_of, spelled):
    """Rewrite `stack.push(saved(items[i]))` in `forward` (in place) as `stack.push(items[i])`
    where the proof above holds; returns how many."""
    saved = spelled("saved")
    if saved is None or not _writes_nothing_in_place(fn, kinds_of):
        return 0
    done = 0
    for node in (n for st in forward if not isinstance(st, ir.Comment) for n in gast.walk(st)):
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
                and node.func.attr == "push" and len(node.args) == 1):
            continue
        arg = node.args[0]
        if (isinstance(arg, gast.Call) and isinstance(arg.func, gast.Name)
                and arg.func.id == saved and len(arg.args) == 1
                and isinstance(arg.args[0], gast.Subscript)
                and isinstance(arg.args[0].value, gast.Name)
                and kinds_of.get(arg.args[0].value.id) == LIST):
            node.args[0] = arg.args[0]
            done += 1
    return done


def _writes_nothing_in_place(fn, kinds_of):
    for st in ir.walk(fn.body):
        if isinstance(st, ir.SetItem) and not (st.replaces and kinds_of.get(st.target) == LIST):
            return False
        if isinstance(st, ir.Assign) and st.inplace and kinds_of.get(st.target) not in (
                INT, LIST):          # an int's `n += 1`; a list's append (a new list)
            return False
        if isinstance(st, (ir.Effect, ir.Hook)):
            return False
    return True
