"""NumPy calls that write into an array, written as subscript writes of the core language.

    np.multiply(a, b, out=y)        y[...] = np.multiply(a, b)
    np.exp(x, out=y, where=m)       y[...] = np.where(m, np.exp(x), y)
    r = np.tanh(x, out=y)           y[...] = np.tanh(x); r = y
    np.copyto(y, x, where=m)        y[...] = np.where(m, x, y)
    np.add.at(y, i, x)              y[...] = scatter_add(y, i, x)      (subtract, multiply,
                                                                        maximum, minimum too)
    np.put(y, i, v)  y.put(i, v)    y[np.unravel_index(i % y.size, y.shape)] = np.resize(v, ...)
    np.place(y, m, v)               y[m] = np.resize(v, np.count_nonzero(m))
    np.fill_diagonal(y, v)          y[np.diag_indices(min(y.shape), y.ndim)] = np.resize(v, ...)
    y.fill(v)                       y[...] = v
    y.sort(axis)                    y[...] = np.sort(y, axis)

Once written so, they are subscript writes like any other: the aliasing analysis sees them,
the backward sweep restores what they overwrote, and gradients flow through the values they
write, with NumPy's semantics (a repeated index of np.put keeps the last write; ufunc.at
applies every repeat). A call this module does not know that writes into a differentiated
array is refused where it is run for its effect (see Normalizer.effect_refusal).
"""
import os

import gast
import numpy as np

from .. import ir, runtime
from ..ir.syntax import clone
from .expressions import load
from .parse import UNRESOLVED

SCATTERS = {np.add: "scatter_add", np.subtract: "scatter_subtract",
            np.multiply: "scatter_multiply", np.maximum: "scatter_maximum",
            np.minimum: "scatter_minimum"}


def _whole():
    """`...`: the index that writes a whole array (a new node each time: IR nodes are not
    shared between statements)."""
    return gast.Constant(value=Ellipsis, kind=None)


def _call(func, args, keywords=()):
    return gast.Call(func=func, args=list(args), keywords=list(keywords))


class InplaceLowering:
    """Mixin of the Normalizer: `writes(call, stmt)` is the subscript writes a call makes."""

    def lowered(self, func, args, keywords=None, node=None):
        """`t = func(*args)` in the core language (func a NumPy function or runtime helper,
        spelled as generated code spells it); returns the name t."""
        atoms = [self.call_arg(a) for a in args]
        kws = {k: self.call_arg(v) for k, v in (keywords or {}).items()}
        name = func.__name__
        expr, op = self.numpy_call(func, name, atoms, kws, node)
        temp = self.namer.temp(op.hint)
        self.emit(ir.Assign(targets=[temp], value=expr, op=op, lineno=self.lineno,
                            refuse=op.refuse))
        return load(temp)

    def writes(self, call, stmt):
        """(writes, result) for a call that writes into an array: writes is a list of
        (array name, index node, value node), result the node the call evaluates to (the
        array written). None for any other call."""
        if not isinstance(call, gast.Call):
            return None
        callee = self.parsed.resolve(call.func)
        out = self.out_argument(call, callee)
        if out is not None:
            return self.out_writes(call, callee, out, stmt)
        if getattr(callee, "__name__", None) == "at" and \
                isinstance(getattr(callee, "__self__", None), np.ufunc):
            return self.ufunc_at(call, callee.__self__, stmt)
        method = self.array_method(call)
        if method is not None:
            return self.method_writes(call, method, stmt)
        lowering = {np.copyto: self.copyto, np.put: self.put, np.place: self.place,
                    np.fill_diagonal: self.fill_diagonal}.get(_hashable(callee))
        return lowering(call, stmt) if lowering else None

    # -- out= -----------------------------------------------------------------------------

    def out_argument(self, call, callee):
        """The node of `out` (keyword, or a ufunc's extra positional argument), or None."""
        for k in call.keywords:
            if k.arg == "out":
                return k.value
        if isinstance(callee, np.ufunc) and len(call.args) > callee.nin:
            return call.args[callee.nin]
        return None

    def out_writes(self, call, callee, out, stmt):
        if isinstance(out, gast.Tuple) and len(out.elts) == 1:
            out = out.elts[0]
        out = load(self.target(out, stmt, "`out=`"))
        where = [k.value for k in call.keywords if k.arg == "where"]
        args = call.args[:callee.nin] if isinstance(callee, np.ufunc) else call.args
        value = _call(call.func, args, [k for k in call.keywords
                                        if k.arg not in ("out", "where")])
        if where:
            value = self.lowered(np.where, [where[0], value, load(out.id)], node=call)
        return [(out.id, _whole(), value)], load(out.id)

    # -- NumPy functions that write their first argument --------------------------------------

    def target(self, node, stmt, what):
        """The name written. A subscript of a name (`out=y[1:3]`, `np.copyto(y[0], x)`) is
        first taken as a view, `t_out = y[1:3]`, and written through: the view lowering
        (transforms/memory.py) writes it back into y when NumPy made a view, and not when the
        index copies (a fancy index), exactly as NumPy would."""
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name):
            temp = self.namer.temp("out")
            self.assign(temp, node)
            return temp
        if not isinstance(node, gast.Name):
            raise self.unsupported(stmt, f"{what} into something other than a variable or "
                                         "a subscript of one: write into a plain name")
        return node.id

    def copyto(self, call, stmt):
        dst, src = call.args[0], call.args[1]
        where = [k.value for k in call.keywords if k.arg == "where"] + call.args[3:4]
        if where:
            # the value written is np.where(...), fresh: check the source itself against the
            # destination (NumPy's copy order matters where they overlap with other strides)
            src = self.atom(src)
            if isinstance(dst, (gast.Name, gast.Subscript)) and isinstance(src, gast.Name):
                place = f"{os.path.basename(self.parsed.filename)}:{self.lineno}"
                expr, _ = self.numpy_call(runtime.copied_in_order, "copied_in_order", [
                    self.atom(clone(dst)), src, gast.Constant(value=place, kind=None)], {}, call)
                self.emit(ir.Effect(node=gast.Expr(value=expr), lineno=self.lineno))
        name = self.target(dst, stmt, "np.copyto")
        value = self.lowered(np.where, [where[0], src, load(name)], node=call) if where else src
        return [(name, _whole(), value)], None

    def ufunc_at(self, call, ufunc, stmt):
        helper = SCATTERS.get(ufunc)
        if helper is None or not hasattr(runtime, helper) or len(call.args) != 3 or \
                call.keywords:
            raise self.unsupported(stmt, f"np.{ufunc.__name__}.at: add, subtract, multiply, "
                                         "maximum and minimum .at(a, index, b) are supported")
        name = self.target(call.args[0], stmt, f"np.{ufunc.__name__}.at")
        value = self.lowered(getattr(runtime, helper), [load(name), call.args[1], call.args[2]],
                             node=call)
        return [(name, _whole(), value)], None

    def put(self, call, stmt, receiver=None):
        args = ([receiver] if receiver is not None else []) + list(call.args)
        if len(args) != 3 or any(k.arg != "mode" or not _is_raise(k.value)
                                 for k in call.keywords):
            raise self.unsupported(stmt, "np.put with these arguments: write "
                                         "`np.put(a, indices, values)` (mode='raise')")
        name = self.target(args[0], stmt, "np.put")
        size = self.lowered(np.size, [load(name)], node=call)
        flat = self.lowered(np.mod, [args[1], size], node=call)
        shape = self.lowered(np.shape, [load(name)], node=call)
        index = self.lowered(np.unravel_index, [flat, shape], node=call)
        value = self.lowered(np.resize, [args[2], self.lowered(np.shape, [args[1]], node=call)],
                             node=call)
        return [(name, index, value)], None

    def place(self, call, stmt):
        if len(call.args) != 3 or call.keywords:
            raise self.unsupported(stmt, "np.place with these arguments: write "
                                         "`np.place(a, mask, values)`")
        name = self.target(call.args[0], stmt, "np.place")
        mask = self.call_arg(call.args[1])
        count = self.lowered(np.count_nonzero, [mask], node=call)
        return [(name, mask, self.lowered(np.resize, [call.args[2], count], node=call))], None

    def fill_diagonal(self, call, stmt):
        if len(call.args) != 2 or call.keywords:
            raise self.unsupported(stmt, "np.fill_diagonal with wrap=True: fill the "
                                         "diagonal by indexing, `a[i, i] = v`")
        name = self.target(call.args[0], stmt, "np.fill_diagonal")
        n = self.lowered(np.min, [self.lowered(np.shape, [load(name)], node=call)], node=call)
        index = self.lowered(np.diag_indices, [n, self.lowered(np.ndim, [load(name)],
                                                                node=call)], node=call)
        return [(name, index, self.lowered(np.resize, [call.args[1], n], node=call))], None

    # -- array methods that write their array ---------------------------------------------

    def array_method(self, call):
        """`fill`, `sort` or `put` called on a local variable or a subscript of one
        (`B[0].fill(v)`), else None."""
        func = call.func
        if not isinstance(func, gast.Attribute) or func.attr not in ("fill", "sort", "put"):
            return None
        base = func.value.value if isinstance(func.value, gast.Subscript) else func.value
        if isinstance(base, gast.Name) and self.parsed.resolve(base) is UNRESOLVED:
            return func.attr
        return None

    def method_writes(self, call, method, stmt):
        name = self.target(call.func.value, stmt, f"`.{method}`")
        if method == "fill":
            if len(call.args) != 1 or call.keywords:
                raise self.unsupported(stmt, "`.fill` with these arguments: write "
                                             "`a.fill(value)`")
            return [(name, _whole(), call.args[0])], None
        if method == "put":
            return self.put(call, stmt, receiver=load(name))
        if any(k.arg not in ("axis",) for k in call.keywords) or len(call.args) > 1:
            raise self.unsupported(stmt, "`.sort` with these arguments: write "
                                         "`a = np.sort(a, axis)`")
        return [(name, _whole(), self.lowered(np.sort, [load(name)] + call.args,
                                               {k.arg: k.value for k in call.keywords},
                                               node=call))], None


def _hashable(obj):
    try:
        hash(obj)
        return obj
    except TypeError:
        return None


def _is_raise(node):
    return isinstance(node, gast.Constant) and node.value == "raise"


