"""Unpacking and iterating structured values, lowered to the index reads the core language has.

- `W, b = params` -> `unpacks(params, 2); W = params[0]; b = params[1]` (the check is Python's
  own: exactly two items); nested targets `a, (b, c) = v` read `v[1]` into a temporary first;
  unpacking a call's result (`U, s, Vt = np.linalg.svd(A)`) indexes the tuple it returns.
- `a, b, c, d = theta` of an array reads its rows: `theta[0]` is a view of theta exactly as the
  row Python's unpacking yields, so the memory model (analysis/aliasing.py) sees the views.
- `for W, b in layers`, `for i, (a, b) in enumerate(zip(x, w))`: the loop over an index binds
  each target from `seq[i]`, unpacked as above.
- `for k, v in d.items()`, `d.values()`, `d.keys()`: a loop over `keys_of(d)`, with `v = d[k]`.
- `params['W1']` and `p.log_sigma` are assigned to temporaries named after the key or field
  (`W1`, `log_sigma`), so their adjoints read `dW1`, `dlog_sigma`.
- A field read `p.log_sigma` of something that is not a module or global is the primitive
  `getattr(p, 'log_sigma')` (rules/pytrees.py): namedtuples, dataclasses and registered
  containers carry gradients through it.

A mixin of the Normalizer.
"""
import builtins
import keyword

import gast

from .. import ir, runtime
from .expressions import load
from .parse import UNRESOLVED
from ..rules import lookup

_NO_DEFAULT = object()
_MADE = object()     # a dataclass field's default_factory: not a constant


def _constant(value):
    return value is not _NO_DEFAULT and isinstance(value, (int, float, complex, str, bool,
                                                           type(None)))


def record_fields(cls):
    """[(field, default or _NO_DEFAULT)] of a namedtuple class or a dataclass its generated
    `__init__` builds; a message (str) for a dataclass that computes in `__init__` or
    `__post_init__`, or has fields `__init__` does not take; None for anything else."""
    if not isinstance(cls, type):
        return None
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        defaults = getattr(cls, "_field_defaults", {})
        return [(n, defaults.get(n, _NO_DEFAULT)) for n in cls._fields]
    specs = getattr(cls, "__dataclass_fields__", None)
    if specs is None:
        return None
    params = getattr(cls, "__dataclass_params__", None)
    if (params is not None and not params.init) or hasattr(cls, "__post_init__"):
        return (f"building the dataclass {cls.__name__}, whose `__init__` or `__post_init__` "
                "is its own code: build it outside, or give it the generated `__init__` only")
    out = []
    for name, spec in specs.items():
        if repr(getattr(spec, "_field_type", "_FIELD")) not in ("_FIELD", "'_FIELD'"):
            return (f"building the dataclass {cls.__name__}, which has ClassVar or InitVar "
                    "fields: build it outside")
        if not spec.init:
            return (f"building the dataclass {cls.__name__}, whose field `{name}` its "
                    "`__init__` does not take: build it outside")
        missing = type(spec.default).__name__ == "_MISSING_TYPE"
        factory = type(spec.default_factory).__name__ != "_MISSING_TYPE"
        out.append((name, spec.default if not missing else _MADE if factory else _NO_DEFAULT))
    return out


_DICT_VIEWS = ("items", "values", "keys")
# Iterators a loop cannot index: the forms above are lowered, the others refused.
_ITERATORS = {builtins.enumerate, builtins.zip, builtins.map, builtins.filter, builtins.iter,
              builtins.reversed}


def _key_name(node):
    """The readable name of `x['W1']` (W1) or `x.log_sigma` (log_sigma), or None."""
    if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Constant):
        key = node.slice.value
    elif isinstance(node, gast.Attribute):
        key = node.attr
    else:
        return None
    if isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key):
        return key
    return None


class Unpacking:
    """Mixin of the Normalizer: unpacking assignments and for-loop targets, field reads."""

    # -- names ---------------------------------------------------------------------------------

    def temp_for(self, node, hint):
        """A fresh temporary for the value of `node`: named after its key or field when it
        reads one (`W1 = params['W1']`, then `t_W1`), else `t_<hint>`."""
        key = _key_name(node)
        if key is None:
            return self.namer.temp(hint)
        # a second read, or a name of the user's: t_W1 rather than W12
        return self.namer.fresh(key) if key not in self.namer.taken else self.namer.temp(key)

    # -- field reads ---------------------------------------------------------------------------

    def field_read(self, node):
        """(expression, op) of `obj.name` on a value of the function: a getattr primitive,
        or the getter of a property of obj's class (objects.py) called on obj."""
        obj = self.atom(node.value)
        expr = gast.Attribute(value=obj, attr=node.attr, ctx=gast.Load())
        getter = self.property_getter(obj, node.attr)
        if getter is not None:
            return expr, self.op(getter, f".{node.attr}", [obj], {}, node, hint=node.attr)
        return expr, self.op(builtins.getattr, f"the field `.{node.attr}`",
                             [obj, gast.Constant(value=node.attr, kind=None)], {}, node,
                             hint=node.attr)

    def record_call(self, node, cls):
        """(expression, op) of `Params(W=a, b=c)`, building a namedtuple or dataclass of
        `cls` from its fields: the call as written, on atoms, bound to the rule of
        runtime.record with the fields' values in field order; None when cls is not such a
        class. A field left to a default that is not a constant is refused."""
        fields = record_fields(cls)
        if fields is None:
            return None
        if isinstance(fields, str):
            raise self.unsupported(node, fields)
        names = [name for name, _ in fields]
        trailing = len(fields) - next((i for i, (_, d) in enumerate(fields)
                                       if d is not _NO_DEFAULT), len(fields))
        defaults = [gast.Constant(value=d, kind=None) if _constant(d) else node
                    for _, d in fields[len(fields) - trailing:]]
        args = [self.call_arg(a) for a in node.args]
        keywords = [gast.keyword(arg=k.arg, value=self.call_arg(k.value))
                    for k in node.keywords]
        values = self.bind_call(gast.Call(func=node.func, args=args, keywords=keywords),
                                names, defaults, cls.__name__)
        for name, value in zip(names, values):
            if value is node:     # a default bind_call filled in that is not a number
                raise self.unsupported(node, f"`{name}` of {cls.__name__} left to its "
                                             "default: pass it (only number defaults are read "
                                             "here)")
        expr = gast.Call(func=node.func, args=args, keywords=keywords)
        return expr, self.op(runtime.record, f"{cls.__name__}(...)",
                             [gast.List(elts=values, ctx=gast.Load())], {}, node,
                             hint=cls.__name__.lower())

    def is_record(self, cls):
        fields = record_fields(cls)
        return fields is not None and not isinstance(fields, str)

    def dict_literal(self, node):
        """(expression, op) of `{'W': a, 'b': b}`: the literal on atoms, bound to the rule of
        runtime.dict_of (keys that are computed or `**spread` are refused)."""
        if any(k is None for k in node.keys):
            raise self.unsupported(node, "`**` in a dict literal: write each key")
        for k in node.keys:
            if not self.inactive(k):
                raise self.unsupported(k, "a dict key that depends on what is differentiated: "
                                          "use constant keys")
        values = [self.atom(v) for v in node.values]
        expr = gast.Dict(keys=list(node.keys), values=values)
        return expr, self.op(runtime.dict_of, "a dict literal",
                             [gast.Tuple(elts=list(node.keys), ctx=gast.Load()),
                              gast.List(elts=list(values), ctx=gast.Load())], {}, node,
                             hint="dict")

    def refuse_dict_write(self, name, stmt, index=None):
        """A write into a dict that is not scratch (lower_scratch_dicts) is refused: a local
        dict made by a literal, or anything written at a string key (an argument's dict: a
        new key has no old value to restore in the backward sweep)."""
        if isinstance(index, gast.Constant) and isinstance(index.value, str):
            raise self.unsupported(stmt, (
                f"writing into the dict `{name}`: assign the value to a variable (or to a "
                "local dict used only with constant string keys) and read it from there"))
        made = (gast.Dict, gast.DictComp)
        for st in self.parsed.node.body:
            for n in gast.walk(st):
                if isinstance(n, gast.Assign) and isinstance(n.value, made) and any(
                        isinstance(t, gast.Name) and t.id == name for t in n.targets):
                    raise self.unsupported(stmt, (
                        f"writing into the dict `{name}`, which another name or a nested "
                        "function may hold: keep it under its own name (made by a literal or "
                        "comprehension, read at keys, walked, returned), or build a new dict "
                        "with a comprehension"))

    # -- unpacking assignments -----------------------------------------------------------------

    def indexable(self, value):
        """`value` as the unpacking reads it by index: an iterator a builtin makes
        (`a, b = zip(*rows)`) is taken into a tuple first, as the unpacking itself would."""
        if isinstance(value, gast.Call) and any(
                self.parsed.resolve(value.func) is f for f in (zip, enumerate, map, filter,
                                                                reversed)):
            zipped = self.parsed.resolve(value.func) is zip   # consumed here: zip_value
            return gast.Call(func=load(self.bindings.name("tuple", builtins.tuple)),
                             args=[value if zipped else load(self.atom(value).id)],
                             keywords=[])
        return value

    def zip_value(self, node):
        """(expression, op) of a zip that list, tuple or dict consumes at once: `list(zip(a,
        b))`, `tuple(zip(*pairs))` (also what `a, b = zip(*pairs)` reads, indexable) and
        `dict(zip(keys, values))`, written as the user wrote it and bound to the rules of
        runtime.zipped and dict_zipped (runtime/zips.py); None for any other call. A zip
        kept as a value (`z = zip(a, b)`) may be consumed later, or twice: it is not taken."""
        consumer = self.parsed.resolve(node.func)
        inner = node.args[0] if len(node.args) == 1 and not node.keywords else None
        if not (any(consumer is f for f in (list, tuple, dict)) and isinstance(inner, gast.Call)):
            return None
        iterator = self.parsed.resolve(inner.func)
        if iterator is enumerate and consumer is not dict:
            return self.enumerate_value(node, inner)
        if iterator is not zip or inner.keywords:
            return None
        starred = [a for a in inner.args if isinstance(a, gast.Starred)]
        if starred and (len(inner.args) > 1 or consumer is dict):
            return None
        seqs = [self.atom(a.value if starred else a) for a in inner.args]
        args = [gast.Starred(value=seqs[0], ctx=gast.Load())] if starred else seqs
        expr = gast.Call(func=node.func, args=[gast.Call(func=inner.func, args=args,
                                                         keywords=[])], keywords=[])
        label = f"{gast.unparse(node.func).strip()}(zip(...))"
        if consumer is dict:
            if len(seqs) != 2:
                return None
            return expr, self.op(runtime.dict_zipped, label, seqs, {}, node, hint="table")
        listed = seqs[0] if starred else gast.List(elts=seqs, ctx=gast.Load())
        return expr, self.op(runtime.zipped, label, [listed], {}, node, hint="pairs")

    def enumerate_value(self, node, inner):
        """`list(enumerate(xs, start))` (or tuple): the pairs of zip(range(start, start +
        len(xs)), xs), whose rule (runtime.zipped) gives xs its items' gradients back; the
        counts are a range the rule reads, the generated code calls enumerate as written."""
        start = inner.args[1:] + [k.value for k in inner.keywords if k.arg == "start"]
        if len(inner.args) + len(inner.keywords) - 1 != len(start) or len(start) > 1 or \
                any(isinstance(a, gast.Starred) for a in inner.args):
            return None
        xs = self.atom(inner.args[0])
        first = self.atom(start[0]) if start else gast.Constant(value=0, kind=None)
        count = gast.Call(func=load(self.bindings.name("len", builtins.len)), args=[xs],
                          keywords=[])
        counts = self.atom(gast.Call(
            func=load(self.bindings.name("range", builtins.range)),
            args=[first, gast.BinOp(left=first, op=gast.Add(), right=count)], keywords=[]))
        expr = gast.Call(func=node.func, args=[gast.Call(
            func=inner.func, args=[xs] + ([first] if start else []), keywords=[])],
            keywords=[])
        label = f"{gast.unparse(node.func).strip()}(enumerate(...))"
        return expr, self.op(runtime.zipped, label, [gast.List(elts=[counts, xs],
                                                               ctx=gast.Load())], {}, node,
                             hint="items")

    def unpack(self, target, value, stmt):
        """`a, (b, c) = value` for a value that may carry a gradient: index reads."""
        elts = target.elts
        starred = [k for k, e in enumerate(elts) if isinstance(e, gast.Starred)]
        for e in elts:
            if isinstance(e, gast.Starred) and not isinstance(e.value, gast.Name):
                raise self.unsupported(stmt, "starred unpacking into this target: unpack "
                                             "into `*name`")
            if not isinstance(e, (gast.Name, gast.Tuple, gast.List, gast.Starred)):
                # `B[:, 0], B[:, 1] = B[:, 1], B[:, 0]` writes through views of what it reads
                raise self.unsupported(stmt, "this assignment target: unpack into plain "
                                             "names, then write each one on its own line")
        # Python checks the count; primitives (np.linalg.svd ...) return tuples of theirs,
        # list and tuple (`a, b = zip(*pairs)` reads a tuple) as many as they are given
        called = self.parsed.resolve(value.func) if isinstance(value, gast.Call) else None
        checked = called is None or lookup(called) is None or \
            any(called is f for f in (list, tuple))
        if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) and \
                isinstance(value.slice, gast.Name):   # `for W, b in layers`: layer = layers[i]
            base = load(self.namer.fresh(_singular(value.value.id)))
            self.assign(base.id, value)
        else:
            base = self.atom(value)
        if not isinstance(base, gast.Name):   # an inactive expression: read it once
            name = self.namer.temp("value")
            self.assign(name, base)
            base = load(name)
        if checked or starred:
            count = gast.Constant(value=len(elts) - len(starred), kind=None)
            # with a star, Python checks for at least the names around it
            keywords = [gast.keyword(arg="starred", value=gast.Constant(value=True, kind=None))
                        ] if starred else []
            self.emit(ir.Effect(node=gast.Expr(value=gast.Call(
                func=load(self.bindings.name("unpacks")), args=[load(base.id), count],
                keywords=keywords)), lineno=self.lineno))
        star = starred[0] if starred else len(elts)
        for k, e in enumerate(elts):
            if k == star:
                self.bind_starred(e.value, base, k, len(elts) - k - 1, stmt)
                continue
            index = k if k < star else k - len(elts)   # after the star: from the end
            self.bind_item(e, gast.Subscript(value=load(base.id),
                                             slice=gast.Constant(value=index, kind=None),
                                             ctx=gast.Load()), stmt)

    def bind_starred(self, target, base, before, after, stmt):
        """`*rest` of `a, *rest, b = v`: a list of the items between, as Python makes it
        (rows of an array, items of a tuple), `list(v[1:-1])`."""
        def bound(k):
            return gast.Constant(value=k, kind=None) if k else None
        items = gast.Subscript(value=load(base.id), slice=gast.Slice(
            lower=bound(before), upper=bound(-after), step=None), ctx=gast.Load())
        self.assign_to(target, gast.Call(func=load(self.bindings.name("list", builtins.list)),
                                         args=[items], keywords=[]), stmt)

    def bind_item(self, target, value, stmt):
        """Bind one unpacking target (a name, a nested tuple, a subscript) to `value`."""
        if isinstance(target, (gast.Tuple, gast.List)):
            self.unpack(target, value, stmt)
        else:
            self.assign_to(target, value, stmt)

    # -- for-loop targets ----------------------------------------------------------------------

    def loop_items(self, target, it, stmt):
        """(index name, range name, [(target, sequence atom)]) of a for-loop that is not over
        range(...): each iteration binds every target from `sequence[index]`."""
        pairs = []
        index = self.iteration(target, it, pairs, stmt)
        if index is None:
            index = self.namer.fresh("i")
        seqs = [seq for _, seq in pairs if seq is not None]
        size = _len(seqs[0]) if len(seqs) == 1 else gast.Call(
            func=load("min"), args=[_len(q) for q in seqs], keywords=[])
        return index, self.range_object([size], it), pairs

    def keys_loop(self, target, it, func, stmt):
        """loop_items's triple for a loop over a dict's keys written without `.keys()`, whose
        body reads the dict at the key (a list is not indexed by its own items): `for k in
        params: ... params[k]` loops as `params.keys()` does, `for k in sorted(params)` over
        the keys sorted. None for any other loop. func: what `it` calls, if a call."""
        if not isinstance(target, gast.Name):
            return None
        if isinstance(it, gast.Name) and _keys_loop(stmt.body, it.id, target.id):
            keys = gast.Call(func=gast.Attribute(value=it, attr="keys", ctx=gast.Load()),
                             args=[], keywords=[])
            return self.loop_items(target, keys, stmt)
        if func is builtins.sorted and len(it.args) == 1 and not it.keywords and \
                isinstance(it.args[0], gast.Name) and \
                _keys_loop(stmt.body, it.args[0].id, target.id):
            seq = load(self.namer.fresh("keys"))
            self.emit(ir.Assign(targets=[seq.id], value=gast.Call(
                func=load(self.bindings.name("sorted_keys", runtime.sorted_keys)),
                args=[self.atom(it.args[0])], keywords=[]), op=None, lineno=self.lineno))
            index = self.namer.fresh(f"i_{target.id}")
            return index, self.range_object([_len(seq)], it), [(target, seq)]
        return None

    def iteration(self, target, it, pairs, stmt):
        """Collect (target, sequence) pairs for iterating `it` into `target`; return the name
        that must be the loop index (enumerate's counter), or None."""
        func = self.parsed.resolve(it.func) if isinstance(it, gast.Call) else None
        plain = isinstance(it, gast.Call) and not it.keywords
        if func is builtins.enumerate and plain and len(it.args) == 1 and \
                isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2 and \
                isinstance(target.elts[0], gast.Name):
            inner = self.iteration(target.elts[1], it.args[0], pairs, stmt)
            if inner is not None:   # enumerate(enumerate(...)): bind the inner counter
                pairs.append((load(inner), None))
            return target.elts[0].id
        if func is builtins.zip and plain and isinstance(target, (gast.Tuple, gast.List)) \
                and len(target.elts) == len(it.args) and it.args:
            for t, a in zip(target.elts, it.args):
                inner = self.iteration(t, a, pairs, stmt)
                if inner is not None:
                    raise self.unsupported(stmt, "enumerate(...) inside zip(...): write "
                                                 "enumerate(zip(...))")
            return None
        view = self.dict_view(it)
        if view is not None:
            kind, mapping = view[0], self.atom(view[1])
            keys = load(self.namer.fresh("keys"))
            self.emit(ir.Assign(targets=[keys.id], value=gast.Call(
                func=load(self.bindings.name("keys_of")), args=[mapping], keywords=[]),
                op=None, lineno=self.lineno))
            if kind == "keys":
                pairs.append((target, keys))
            elif kind == "values":
                pairs.append((("value", target, mapping), keys))
            else:
                if not (isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2):
                    raise self.unsupported(stmt, "this target of `.items()`: write "
                                                 "`for key, value in d.items()`")
                pairs.append((("item", target, mapping), keys))
            return None
        if func in _ITERATORS:
            raise self.unsupported(stmt, f"a loop over {func.__name__}(...) in this form: loop "
                                         "over a sequence, range(...), enumerate(seq) or "
                                         "zip(a, b) with as many targets as sequences")
        pairs.append((target, self.atom(it)))
        return None

    def dict_view(self, it):
        """('items' | 'values' | 'keys', the dict expression) for `d.items()` and the like."""
        if (isinstance(it, gast.Call) and isinstance(it.func, gast.Attribute)
                and it.func.attr in _DICT_VIEWS and not it.args and not it.keywords
                and self.parsed.resolve(it.func) is UNRESOLVED):
            return it.func.attr, it.func.value
        return None

    def bind_loop_items(self, pairs, index, stmt):
        """The statements at the top of the loop body binding each target from its sequence."""
        for target, seq in pairs:
            if seq is None:   # an inner enumerate's counter is the same index
                self.assign(target.id, load(index))
                continue
            item = gast.Subscript(value=seq, slice=load(index), ctx=gast.Load())
            if isinstance(target, tuple):    # a dict's values or items, by key
                kind, pattern, mapping = target
                key_target = pattern.elts[0] if kind == "item" else None
                if isinstance(key_target, gast.Name):
                    key = key_target.id
                else:
                    key = self.namer.fresh("key")
                self.assign(key, item)
                if key_target is not None and not isinstance(key_target, gast.Name):
                    self.bind_item(key_target, load(key), stmt)
                value = gast.Subscript(value=mapping, slice=load(key), ctx=gast.Load())
                self.bind_item(pattern.elts[1] if kind == "item" else pattern, value, stmt)
            else:
                self.bind_item(target, item, stmt)


def _singular(name):
    """What one item of the sequence `name` is called: layers -> layer, else name_item."""
    if len(name) > 2 and name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return f"{name}_item"


def _len(node):
    return gast.Call(func=load("len"), args=[node], keywords=[])


def _keys_loop(body, seq, target):
    """Whether a loop `for target in seq` reads `seq[target]` in its body: seq is then a dict
    walked by its keys (a list is not indexed by its own items)."""
    return any(isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name)
               and n.value.id == seq and isinstance(n.slice, gast.Name) and n.slice.id == target
               for st in body for n in gast.walk(st))


# ---- local dicts used as scratch -----------------------------------------------------------

def lower_scratch_dicts(node, namer):
    """`cache = {}; cache['h'] = h; ... cache['h']` -> `cache_h = h; ... cache_h`, in place.

    A local dict made by literals only at the top level of the function body, and otherwise
    only subscripted with constant string keys (read, written, `+=`), is a set of named
    variables: each key becomes its own name, so the derivative treats them as the variables
    they are. Each literal starts a new set of names (`cache = {}` again forgets the keys), so
    reading a key not written since is an error as in Python (a NameError for its KeyError).
    A dict made in a loop or branch too becomes one variable a key when every literal has the
    same keys (_keyed_candidates). Any other use of the dict (passed on, returned, iterated, a
    computed key) leaves it a dict, and writing into such a dict is refused
    (Assignments.setitem)."""
    for name in _scratch_candidates(node):
        body = []
        rename = None
        for stmt in node.body:
            if isinstance(stmt, gast.Assign) and _binds(stmt, name):
                rename = _Rename(name, namer)
                for k, v in zip(stmt.value.keys, stmt.value.values):
                    v = rename.visit(v)
                    body.append(gast.copy_location(gast.Assign(
                        targets=[gast.Name(id=rename.spelled(k.value), ctx=gast.Store(),
                                           annotation=None, type_comment=None)],
                        value=v, type_comment=None), stmt))
                continue
            body.append(rename.visit(stmt) if rename is not None else stmt)
        node.body = body
    for name, keys in _keyed_candidates(node):
        _KeyedDict(name, {k: namer.fresh(f"{name}_{k}") for k in sorted(keys)}).visit(node)


def _keyed_candidates(node):
    """(name, keys) of the local dicts that are scratch but made in a loop or branch too
    (`state = {'h': h0, 'c': c0}` per sequence): every literal has the same constant keys,
    reads no key of the dict, and every other use reads or writes one of those keys. The
    dict then always holds those keys, each the value last written: one variable each."""
    made = {}
    for n in gast.walk(node):
        if isinstance(n, gast.Assign) and len(n.targets) == 1 and \
                isinstance(n.targets[0], gast.Name) and isinstance(n.value, gast.Dict):
            made.setdefault(n.targets[0].id, []).append(n)
    params = {a.id for a in node.args.args + node.args.posonlyargs + node.args.kwonlyargs}
    params |= _written_in_nested(node)
    for name, literals in made.items():
        keys = {tuple(sorted(k.value if isinstance(k, gast.Constant) else None
                             for k in lit.value.keys)) for lit in literals}
        if name in params or len(keys) != 1 or not all(
                isinstance(k, str) and k.isidentifier() for k in next(iter(keys))):
            continue
        keys = set(next(iter(keys)))
        if any(isinstance(n, gast.Name) and n.id == name
               for lit in literals for n in gast.walk(lit.value)):
            continue
        subscripted = [n for n in gast.walk(node) if isinstance(n, gast.Subscript) and
                       isinstance(n.value, gast.Name) and n.value.id == name]
        uses = sum(isinstance(n, gast.Name) and n.id == name for n in gast.walk(node))
        if uses - len(literals) == len(subscripted) and all(
                _str_key(n) and n.slice.value in keys for n in subscripted):
            yield name, keys


def _written_in_nested(node):
    """The dicts a nested function or lambda writes into (`d['a'] = v` in a closure): renamed
    to variables, the write would bind a local of the nested function instead."""
    out = set()
    for inner in gast.walk(node):
        if inner is node or not isinstance(inner, (gast.FunctionDef, gast.Lambda)):
            continue
        for n in gast.walk(inner):
            if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and \
                    isinstance(n.value, gast.Name):
                out.add(n.value.id)
    return out


def _binds(stmt, name):
    return (len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id == name)


def _str_key(sub):
    return (isinstance(sub.slice, gast.Constant) and isinstance(sub.slice.value, str)
            and sub.slice.value.isidentifier())


def _scratch_candidates(node):
    made = {}
    for stmt in node.body:
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Dict) \
                and all(isinstance(k, gast.Constant) and isinstance(k.value, str)
                        and k.value.isidentifier() for k in stmt.value.keys):
            name = stmt.targets[0].id
            made[name] = made.get(name, 0) + 1
    params = {a.id for a in node.args.args + node.args.posonlyargs + node.args.kwonlyargs}
    params |= _written_in_nested(node)
    out = []
    for name, count in made.items():
        if name in params:
            continue
        subscripted, uses = set(), 0
        for n in gast.walk(node):
            if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name) and \
                    n.value.id == name and _str_key(n):
                subscripted.add(id(n.value))
            if isinstance(n, gast.Name) and n.id == name:
                uses += 1
        if uses - count == len(subscripted):   # every use but the literals' targets
            out.append(name)
    return out


class _KeyedDict(gast.NodeTransformer):
    """`name = {'h': a, 'c': b}` -> `name_h = a; name_c = b`, and `name['h']` -> `name_h`,
    wherever they are (see _keyed_candidates)."""

    def __init__(self, name, spelled):
        self.name, self.spelled = name, spelled

    def visit_Assign(self, node):
        if not (_binds(node, self.name) and isinstance(node.value, gast.Dict)):
            return self.generic_visit(node)
        return [gast.copy_location(gast.Assign(
            targets=[gast.Name(id=self.spelled[k.value], ctx=gast.Store(), annotation=None,
                               type_comment=None)],
            value=self.visit(v), type_comment=None), node)
            for k, v in zip(node.value.keys, node.value.values)]

    def visit_Subscript(self, node):
        if isinstance(node.value, gast.Name) and node.value.id == self.name:
            return gast.copy_location(gast.Name(id=self.spelled[node.slice.value],
                                                ctx=node.ctx, annotation=None,
                                                type_comment=None), node)
        return self.generic_visit(node)


class _Rename(gast.NodeTransformer):
    """`name['key']` -> the variable of that key in one version of the dict."""

    def __init__(self, name, namer):
        self.name, self.namer, self.keys = name, namer, {}

    def spelled(self, key):
        if key not in self.keys:
            self.keys[key] = self.namer.fresh(f"{self.name}_{key}")
        return self.keys[key]

    def visit_Subscript(self, node):
        if isinstance(node.value, gast.Name) and node.value.id == self.name and _str_key(node):
            return gast.copy_location(gast.Name(id=self.spelled(node.slice.value),
                                                ctx=node.ctx, annotation=None,
                                                type_comment=None), node)
        return self.generic_visit(node)
