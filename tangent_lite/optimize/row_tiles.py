"""A row's slice gradients that tile the row added in one sum (part of the pass "lower").

optimize/rows.py writes the gradients of a parameter row's slices as one call,
`dmain_params = add_row_slices(dmain_params, 2 * i, weight, (np.s_[3 * b:], np.s_[2 * b:3 * b],
np.s_[b:2 * b], np.s_[:b]), (dt_item13, dt_item10, dt_item8, dt_item5))`, which adds each into
its slice of the row: four additions into views, with the helper's checks. Where a specialised
variant proves that the slices, evaluated from its ints (`b` is 7), are contiguous and tile the
row exactly, it is

    dmain_params[2 * i] += np.concatenate((dt_item5, dt_item8, dt_item10, dt_item13))

one array made and one addition: the ADBench LSTM's gates, two such rows a layer step.

What it proves, so that each gradient is the same number for number:
- every value of f and every adjoint is a float64 or an int (lower.all_real), and the
  gradient dg has a known shape of rank >= 2 (an adjoint has its value's shape: an ndarray)
  whose row has the shape of x, the row read; so add_row_slices takes its fast path, adding
  each value into its slice of `dg[row]` in place;
- the row index is an int expression (`2 * i + 1` of Python ints): `dg[row]` is one row, and
  it is evaluated once either way;
- the slices' positions, evaluated from ints (names bound once in df to int expressions of
  known ints, as `t_mul11 = 3 * b`, count too), are contiguous ranges that, in order of their
  starts, cover 0 .. n - 1 once each, and each value has exactly its slice's shape. So each
  element of the row receives exactly one value, the one add_row_slices would add into it:
  `row[k] + v[k]`, the concatenation moving values without changing them.
"""
import gast

from ..ir import Comment
from ..ir import syntax as s
from .algebra.spelling import name_assign
from .copies import name_counts
from .inslices import SliceWriter, helper_assign


def rows_tiled(body, everything, shapes, ints, spelled, np_attr, real):
    """Rewrite the tiling add_row_slices calls of `body` in place; everything: all of df's
    statements; shapes, ints, np_attr, real: as inslices.slices_written. Returns how many."""
    helper = spelled("add_row_slices")
    if not real or helper is None:
        return 0
    writer = SliceWriter(shapes, _bound_ints(everything, ints, np_attr), None, None, np_attr)
    return _block(body, helper, writer, np_attr)


def _bound_ints(everything, ints, np_attr):
    """ints, and the names bound once in df to an int expression of known ints."""
    out = dict(ints)
    stores = name_counts(everything)[1]
    writer = SliceWriter({}, out, None, None, np_attr)
    for stmt in _statements(everything):
        name = name_assign(stmt)
        if name and stores.get(name) == 1 and name not in out:
            value = writer.value(stmt.value)
            if value is not None:
                out[name] = value
    return out


def _statements(stmts):
    for stmt in stmts:
        if isinstance(stmt, Comment):
            continue
        yield stmt
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(stmt, (gast.If, gast.For, gast.While)) and inner:
                yield from _statements(inner)


def _block(stmts, helper, writer, np_attr):
    done = 0
    for k, stmt in enumerate(stmts):
        if isinstance(stmt, Comment):
            continue
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(stmt, (gast.If, gast.For, gast.While)) and inner:
                done += _block(inner, helper, writer, np_attr)
        call = helper_assign(stmt, helper, 5)
        tiled = _tiled(stmt, call, writer) if call is not None else None
        if tiled is not None:
            g, row, values = tiled
            total = s.call(np_attr("concatenate"), [s.tuple_(values)])
            stmts[k] = gast.AugAssign(target=gast.Subscript(
                value=s.name(g), slice=row, ctx=gast.Store()), op=gast.Add(), value=total)
            done += 1
    return done


def _tiled(stmt, call, writer):
    """(dg, row, values in the row's order) where the call's slices tile the row; else None."""
    g, row, x, indices, values = call.args
    target = stmt.targets[0].id
    if not (isinstance(g, gast.Name) and g.id == target and isinstance(x, gast.Name)
            and isinstance(indices, gast.Tuple) and isinstance(values, gast.Tuple)
            and len(indices.elts) == len(values.elts)):
        return None
    shape, x_shape = writer.shapes.get(target), writer.shapes.get(x.id)
    row = s.copy(row) if _int_expression(row, writer.ints) else None
    if not shape or len(shape) < 2 or x_shape is None or tuple(shape[1:]) != tuple(x_shape) \
            or len(x_shape) != 1 or row is None or not isinstance(x_shape[0], int):
        return None
    pieces = []
    for index, value in zip(indices.elts, values.elts):
        index = writer.basic(index)
        positions = writer.positions(index, x_shape) if index is not None else None
        if positions is None or not isinstance(value, gast.Name):
            return None
        span = sorted(positions[0])
        if not span or span != list(range(span[0], span[0] + len(span))) \
                or tuple(writer.shapes.get(value.id) or ()) != (len(span),):
            return None
        pieces.append((span[0], len(span), value))
    pieces.sort(key=lambda p: p[0])
    start = 0
    for first, length, _ in pieces:
        if first != start:
            return None
        start += length
    if start != x_shape[0] or any(_names(v) & {target} for _, _, v in pieces):
        return None
    return target, row, [s.name(v.id) for _, _, v in pieces]


def _int_expression(node, ints):
    """Whether node is an int whatever the loop counters hold: int constants and names of
    Python ints (ints) under + - * //."""
    if isinstance(node, gast.Constant):
        return type(node.value) is int
    if isinstance(node, gast.Name):
        return node.id in ints
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub, gast.Mult,
                                                             gast.FloorDiv)):
        return _int_expression(node.left, ints) and _int_expression(node.right, ints)
    return False


def _names(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
