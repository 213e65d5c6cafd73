"""Assignment statements into the core language: names, unpacking, subscripts, augmented and
chained assignment, and the subscript writes of NumPy calls that write into arrays
(inplace.py). A mixin of the Normalizer.
"""
import gast

from .. import ir, runtime
from .dict_writes import rebuilt_dict
from .list_growth import grown, list_names
from .expressions import BINOPS, load


class Assignments:
    """Mixin of the Normalizer: the statements that bind names or write into arrays."""

    def assign_all(self, targets, value, stmt):
        """`a = b = e`: e evaluated once, then bound to each target from left to right, as
        Python does; the names then refer to one object (the aliasing analysis sees `b = a`)."""
        first = targets[0]
        if len(targets) == 1 or isinstance(first, gast.Name):
            self.assign_to(first, value, stmt)
            source, rest = (load(first.id) if len(targets) > 1 else None), targets[1:]
        else:
            temp = self.namer.temp("value")
            self.assign(temp, value)
            source, rest = load(temp), targets
        for target in rest:
            self.assign_to(target, source, stmt)

    def emit_writes(self, writes, stmt):
        """The subscript writes of a NumPy call that writes into arrays (inplace.py)."""
        for name, index, value in writes:
            self.setitem(gast.Subscript(value=load(name), slice=index, ctx=gast.Store()),
                         value, stmt)

    def assign_to(self, target, value, stmt):
        lowered = self.writes(value, stmt) if isinstance(target, gast.Name) else None
        if lowered is not None:   # `r = np.tanh(x, out=y)`: write y, then r is y
            writes, result = lowered
            self.emit_writes(writes, stmt)
            self.assign(target.id, result if result is not None else
                        gast.Constant(value=None, kind=None))
        elif isinstance(target, gast.Name) and grown(target.id, value) is not None and \
                target.id in self.list_names():
            self.grow_list(target.id, grown(target.id, value), inplace=False)
        elif isinstance(target, gast.Name):
            self.assign(target.id, value)
        elif isinstance(target, (gast.Tuple, gast.List)) and all(
                isinstance(e, gast.Name) for e in target.elts):
            names = [e.id for e in target.elts]
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(names) \
                    and not set(names) & {n.id for n in gast.walk(value)
                                          if isinstance(n, gast.Name)}:
                # a, b = e1, e2 reading neither a nor b: one assignment each, so that `a` is
                # the value itself, not a second name for a temporary holding it
                for name, e in zip(names, value.elts):
                    self.assign(name, e)
            elif isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(names):
                # a, b = e1, e2: evaluate both before binding either (a, b = b, a swaps).
                atoms = [self.atom(e) for e in value.elts]
                for k, a in enumerate(atoms):
                    if isinstance(a, gast.Name) and a.id in names[:k]:
                        held = self.namer.fresh(f"{a.id}_old")
                        self.assign(held, a)
                        atoms[k] = load(held)
                for name, a in zip(names, atoms):
                    self.assign(name, a)
            elif self.inactive(value):
                self.emit(ir.Assign(targets=names, value=value, op=None, lineno=self.lineno))
            else:
                self.unpack(target, self.indexable(value), stmt)    # index reads (unpack.py)
        elif isinstance(target, (gast.Tuple, gast.List)) and isinstance(
                value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts) and all(
                isinstance(e, (gast.Name, gast.Subscript)) for e in target.elts):
            # B[:, 0], B[:, 1] = B[:, 1], B[:, 0]: the values first (views stay views, so the
            # second sees the first write, as in NumPy), then each target, left to right
            atoms = [self.atom(e) for e in value.elts]
            for k, (t, a) in enumerate(zip(target.elts, atoms)):
                if isinstance(a, gast.Name) and any(isinstance(e, gast.Name) and e.id == a.id
                                                    for e in target.elts[:k]):
                    held = self.namer.fresh(f"{a.id}_old")
                    self.assign(held, a)
                    atoms[k] = load(held)
            for t, a in zip(target.elts, atoms):
                self.assign_to(t, a, stmt)
        elif isinstance(target, (gast.Tuple, gast.List)):
            self.unpack(target, value, stmt)
        elif isinstance(target, gast.Subscript):
            self.setitem(target, value, stmt, replaces=True)
        elif isinstance(target, gast.Attribute):
            raise self.unsupported(stmt, "assignment to an attribute: return the value instead")
        else:
            raise self.unsupported(stmt, "this assignment target: assign to a plain name")

    def setitem(self, target, value, stmt, replaces=False):
        if not isinstance(target.value, gast.Name):
            raise self.unsupported(stmt, "assignment into a nested subscript `A[i][j] = ...`: "
                                         "write `A[i, j] = ...` (an array), or `A[i] = "
                                         "<a new item>` (a list)")
        name = target.value.id
        if self.rebuilt_dict(name):    # `new[k] = v` -> `new = dict_set(new, k, v)`
            return self.dict_set(name, target.slice, value, stmt)
        self.refuse_dict_write(name, stmt, target.slice)   # unpack.py
        index = self.own_index(name, target.slice)
        atom = self.atom(value)
        self.emit(ir.SetItem(target=name, index=index, value=atom, lineno=self.lineno,
                             replaces=replaces))

    def rebuilt_dict(self, name):
        """Whether writes into `name` rebuild it (dict_writes.py), decided once a name."""
        known = self.__dict__.setdefault("_rebuilt_dicts", {})
        if name not in known:
            known[name] = rebuilt_dict(self.parsed.node, name, self.resolve_generated)
        return known[name]

    def update_dict(self, name, pairs, stmt):
        """`name.update(k=v, ...)`: every key and value first, as Python evaluates them,
        then one write a key."""
        pairs = [(self.atom(k), self.atom(v)) for k, v in pairs]
        for key, value in pairs:
            self.dict_set(name, key, value, stmt)

    def list_names(self):
        """The names that are Python lists wherever bound (list_growth.py), found once."""
        names = self.__dict__.get("_list_names")
        if names is None:
            names = self._list_names = list_names(self.parsed.node)
        return names

    def grow_list(self, name, items, inplace):
        """`name = name + [a, b]` (a new list) or `name += [a, b]` (in place): the items
        first, as Python evaluates them, then one append each."""
        atoms = [self.atom(e) for e in items]
        for atom in atoms:
            expr, op = self.numpy_call(runtime.append, "append", [load(name), atom], {},
                                       atom)
            self.emit(ir.Assign(targets=[name], value=expr, op=op, lineno=self.lineno,
                                refuse=op.refuse, inplace=inplace))

    def resolve_generated(self, func):
        """The object `func` denotes, runtime helpers the frontend wrote in too."""
        if isinstance(func, gast.Name) and func.id in self.bindings.objects:
            return self.bindings.objects[func.id]
        return self.parsed.resolve(func)

    def dict_set(self, name, key, value, stmt):
        """`name[key] = value` as `name = dict_set(name, key, value)`: a new dict."""
        args = [load(name), self.atom(key), self.atom(value)]   # a key carries no gradient
        call = gast.Call(func=load(self.bindings.name("dict_set", runtime.dict_set)),
                         args=args, keywords=[])
        op = self.op(runtime.dict_set, f"writing into the dict `{name}`", args, {}, stmt,
                     hint=name)
        self.emit(ir.Assign(targets=[name], value=call, op=op, lineno=self.lineno))

    def own_index(self, name, index):
        """An index that reads the array it writes (`h[h < 0] = 0.0`) is computed into a
        variable first: the backward sweep must see the mask NumPy used, not one recomputed
        from the array the write changed."""
        if name not in {n.id for n in gast.walk(index) if isinstance(n, gast.Name)}:
            return index
        temp = self.namer.temp("index")
        self.emit(ir.Assign(targets=[temp], value=index, op=None, lineno=self.lineno))
        return load(temp)

    def augmented(self, stmt):
        if type(stmt.op) not in BINOPS:
            raise self.unsupported(stmt, "this augmented assignment: write `x = x <op> e`")
        target = stmt.target
        if isinstance(target, gast.Name) and target.id in self.list_names() and \
                grown(target.id, gast.BinOp(left=target, op=stmt.op, right=stmt.value)):
            self.grow_list(target.id, stmt.value.elts, inplace=True)   # list `+=`: extend
        elif isinstance(target, gast.Name):
            self.assign(target.id, gast.BinOp(left=load(target.id), op=stmt.op,
                                              right=stmt.value))
            self.out[-1].inplace = True
        elif isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) and \
                self.rebuilt_dict(target.value.id):
            # `d[k] += v` adds into the entry's array in place (others holding it see that),
            # then stores it back: the entry as a name, so the in-place rules apply to it
            key = self.atom(target.slice)
            entry = self.namer.fresh(f"{target.value.id}_entry")
            self.assign(entry, gast.Subscript(value=load(target.value.id), slice=key,
                                              ctx=gast.Load()))
            self.assign(entry, gast.BinOp(left=load(entry), op=stmt.op, right=stmt.value))
            self.out[-1].inplace = True
            self.dict_set(target.value.id, key, load(entry), stmt)
        elif isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
            index = self.own_index(target.value.id, target.slice)
            read = gast.Subscript(value=load(target.value.id), slice=index, ctx=gast.Load())
            target = gast.Subscript(value=target.value, slice=index, ctx=gast.Store())
            self.setitem(target, gast.BinOp(left=read, op=stmt.op, right=stmt.value), stmt)
        else:
            raise self.unsupported(stmt, "augmented assignment to this target: write "
                                         "`x = x + e` with a plain name")
