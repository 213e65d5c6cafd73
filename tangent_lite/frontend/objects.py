"""Objects inside a differentiated function: attribute reads, method calls, `super()`.

- `obj.attr` where obj is a local value (a parameter such as `cfg`, or the `self` of a method
  called with its instance as an argument) reads the attribute as written; the read is a
  constant, and refused if obj depends on what is differentiated.
- `rng.standard_normal(shape)` and other methods of local objects that are not arrays run as
  written; their result is a constant, and the call is refused if the object or an argument
  depends on what is differentiated (a random draw has no derivative).
- Calls of a loop variable that runs over a constant list of objects of one class
  (`for layer in self.layers: h = layer(h)`) call that class's `__call__` or method with the
  object as its first argument, differentiated from its source like any helper.
- `super()` becomes `super(Cls, self)`, with Cls the class the method is defined in, so the
  call resolves and the generated code (which is not a method) can run it.
"""
import builtins
import functools
import inspect

import gast
import numpy as np

from .. import ir
from ..errors import ArgumentMethodError
from .callables import MethodOf, class_member, python_method
from .expressions import load, user_class
from .parse import UNRESOLVED
from .unpack import record_fields


class Objects:
    """Mixin of the Normalizer: attribute reads and method calls of local objects."""

    @property
    def built_objects(self):
        """{temporary: dataclass} of the objects built and called in one expression."""
        return self.__dict__.setdefault("_built_objects", {})

    def object_class(self, name):
        """The class of every object the local `name` can hold, when each assignment to it
        takes an element of a constant list or tuple of instances of one Python class (`for
        layer in self.layers`, `layer = self.layers[i]`, `for i, layer in enumerate(...)`);
        else None. Generated code's `layer = None` and `layer = stack.pop()` keep the class."""
        if name in self.built_objects:            # a dataclass built in an expression
            return self.built_objects[name]
        classes = set()
        if name in self.parsed.param_classes:     # self of a method called on a typed object
            classes.add(self.parsed.param_classes[name])
        elif name in {a.id for a in _arguments(self.parsed.node.args)}:
            return None                           # a parameter: anything may be passed
        for node in gast.walk(self.parsed.node):
            if isinstance(node, (gast.For, gast.comprehension)):
                found = self._loop_classes(node.target, node.iter, name)
            elif isinstance(node, gast.Assign) and any(
                    isinstance(n, gast.Name) and n.id == name for t in node.targets
                    for n in gast.walk(t)):
                found = self._assigned_classes(node, name)
            elif isinstance(node, gast.Name) and node.id == name and isinstance(
                    node.ctx, (gast.Store, gast.Del)):
                continue    # a target of the statements above, or of one below
            elif isinstance(node, (gast.AugAssign, gast.NamedExpr, gast.AnnAssign)) and \
                    isinstance(node.target, gast.Name) and node.target.id == name:
                return None
            else:
                continue
            if found is None:
                return None
            classes |= found
        return classes.pop() if len(classes) == 1 else None

    def _elements(self, seq):
        """The classes of the elements of a constant list or tuple, or of a parameter known
        to hold instances of one class (classes.py), or None."""
        if not isinstance(seq, (gast.Name, gast.Attribute)):
            return None
        if isinstance(seq, gast.Name) and seq.id in self.parsed.item_classes:
            return {self.parsed.item_classes[seq.id]}
        path = _attribute_path(seq)
        if path in self.parsed.item_classes:     # `self.layers` of a typed model
            return {self.parsed.item_classes[path]}
        items = self.parsed.resolve(seq)
        if not isinstance(items, (list, tuple)) or not items:
            return None
        classes = {type(v) for v in items}
        resolve = self.parsed.resolve

        def same_classes():   # the list may be changed, or the attribute rebound
            now = resolve(seq)
            return isinstance(now, (list, tuple)) and len(now) > 0 and {
                type(v) for v in now} == classes
        self.parsed.watch(("classes", gast.dump(seq)), same_classes)
        return classes

    def _loop_classes(self, target, it, name):
        if isinstance(target, gast.Name):
            return self._elements(it) if target.id == name else set()
        if not any(isinstance(n, gast.Name) and n.id == name for n in gast.walk(target)):
            return set()
        if not (isinstance(target, gast.Tuple) and isinstance(it, gast.Call)):
            return None
        func = self.parsed.resolve(it.func)
        seqs = it.args if func is builtins.zip else [None] + it.args[:1] \
            if func is builtins.enumerate else None
        if seqs is None or len(seqs) != len(target.elts):
            return None
        for elt, seq in zip(target.elts, seqs):
            if isinstance(elt, gast.Name) and elt.id == name:
                return self._elements(seq) if seq is not None else None
        return None

    def _assigned_classes(self, node, name):
        value = node.value
        if len(node.targets) != 1 or not isinstance(node.targets[0], gast.Name):
            return None
        if isinstance(value, gast.Constant) and value.value is None:
            return set()
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
                value.func.attr == "pop" and not value.args and isinstance(
                    value.func.value, gast.Name) and value.func.value.id in self.stacks:
            return set()
        if isinstance(value, gast.Subscript):
            return self._elements(value.value)
        path = _attribute_path(value)
        if path in self.parsed.param_classes and "." in path:
            return {self.parsed.param_classes[path]}    # `first = self.first`: a held object
        if isinstance(value, gast.Call):     # `layer = Layer(W, b)`: a dataclass built here
            cls = self.parsed.resolve(value.func)
            if isinstance(record_fields(cls), list) and not issubclass(cls, tuple):
                return {cls}
            if self.constant_instance(value) is not None:     # `net = Net(2)`
                return {cls}
        return None

    def constant_instance(self, node):
        """The class of `node` when it builds an instance of a class written in Python (its
        `__init__` a Python function) from constants only (`Net(2)`): the object carries no
        gradient, and its methods are differentiated from their source with it as `self`.
        None for anything else (a class built from differentiated values, a C type such as
        np.random.Generator, whose methods run as written)."""
        if not isinstance(node, gast.Call):
            return None
        cls = self.parsed.resolve(node.func)
        if not (isinstance(cls, type) and inspect.isfunction(getattr(cls, "__init__", None))
                and record_fields(cls) is None):
            return None
        if not all(self.inactive(a) for a in node.args + [k.value for k in node.keywords]):
            return None
        return cls

    def object_call(self, node):
        """(expression, op) of `v(...)` or `v.method(...)` where v holds objects of one class
        (object_class), or of `super(Cls, v).method(...)` in a method of one; or None."""
        func = node.func
        after = None     # super(Cls, v): the method is looked up after Cls in v's class
        if isinstance(func, gast.Name):
            receiver, method = func, "__call__"
        elif isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
            receiver, method = func.value, func.attr
        elif isinstance(func, gast.Attribute) and _is_super(func.value, self.parsed):
            after, receiver = (self.parsed.resolve(func.value.args[0]), func.value.args[1])
            method = func.attr
        elif isinstance(func, gast.Attribute) and isinstance(func.value, gast.Attribute) and \
                isinstance(func.value.value, gast.Name):
            # `model.encoder.forward(x)`: a method of an object a typed parameter holds
            return self._held_call(node, func.value.value, func.value.attr, func.attr)
        elif isinstance(func, gast.Attribute) and self.constant_instance(func.value):
            # `Net(2).run(W, xs)`: the object built first, `t_net = Net(2)`, then its method
            cls, receiver, method = self.constant_instance(func.value), None, func.attr
        else:
            return None
        if receiver is None:
            receiver = self.atom(func.value)
            func = gast.Attribute(value=load(receiver.id), attr=method, ctx=gast.Load())
        elif receiver.id not in self.parsed.local_names:
            return None
        else:
            cls = self.object_class(receiver.id)
        if cls is None:
            return None
        function = python_method(cls, method, after=after)
        static = class_member(cls, method, staticmethod) if after is None else None
        if function is None and static is not None:    # `self.act(v)`: a plain function
            args = [self.call_arg(a) for a in node.args]
            keywords = {k.arg: self.call_arg(k.value) for k in node.keywords}
            expr = gast.Call(func=func, args=args, keywords=[
                gast.keyword(arg=k, value=v) for k, v in keywords.items()])
            return expr, self.op(static, f"{cls.__name__}.{method}", args, keywords, node,
                                 hint=method)
        if function is None and not any(method in vars(k) for k in cls.__mro__):
            # `model.l1(x)`: an object held in an attribute (a layer of a model), not a method
            held = self._held_call(node, receiver, method)
            if held is not None:
                return held
            called = gast.unparse(func).strip()
            raise self.unsupported(
                node, f"calling `{called}`, held in an attribute of {cls.__name__}, which is "
                      "not an object whose class has a __call__ written in Python (a model "
                      "passed in is followed into the objects with methods it holds): call "
                      "the function it holds by its name, or hold an object whose class "
                      "defines __call__")
        if function is None:
            raise self.unsupported(node, f"calling `{gast.unparse(func).strip()}`, which is "
                                         f"not a method written in Python of {cls.__name__}: "
                                         "call a function written in Python")
        args = [self.call_arg(a) for a in node.args]
        keywords = {k.arg: self.call_arg(k.value) for k in node.keywords}
        expr = gast.Call(func=func, args=args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])
        hint = method if method != "__call__" else receiver.id if after is None else \
            function.__qualname__.rsplit(".", 2)[-2]     # super().__call__: the parent's
        op = self.op(MethodOf(cls, function, self.held_fields(receiver.id)),
                     f"{cls.__name__}.{method}", [load(receiver.id)] + args, keywords, node,
                     hint=hint)
        return expr, op

    def held_fields(self, name):
        """(attribute path, class) of the objects the typed `name` holds (`model.l1`), as
        the method called on it sees them (`self.l1`); `name` may be a local bound to one
        (`first = self.first`, as generated code reads a held object before calling it)."""
        prefix = self._held_path(name) + "."
        held = [(key[len(prefix):], cls) for key, cls in self.parsed.param_classes.items()
                if key.startswith(prefix)]
        held += [(key[len(prefix):], ("items", cls))
                 for key, cls in self.parsed.item_classes.items() if key.startswith(prefix)]
        return tuple(sorted(held, key=lambda pair: pair[0]))

    def _held_path(self, name):
        """The dotted path of the held object every assignment to `name` reads (`self.first`),
        or `name` itself."""
        paths = {_attribute_path(n.value) for n in gast.walk(self.parsed.node)
                 if isinstance(n, gast.Assign) and any(
                     isinstance(t, gast.Name) and t.id == name for t in n.targets)}
        if len(paths) == 1:
            (path,) = paths
            if path is not None and "." in path and path in self.parsed.param_classes:
                return path
        return name

    def _held_call(self, node, receiver, attr, method="__call__"):
        """(expression, op) of `model.l1(x)` or `model.l1.forward(x)`: a method of an object
        held in an attribute of a parameter whose class is known (a model passed in, `self`
        of its method), where classes.py typed that object too; else None."""
        params = {a.id for a in _arguments(self.parsed.node.args)}
        if receiver is None or receiver.id not in params:
            return None
        path = f"{receiver.id}.{attr}"
        cls = self.parsed.param_classes.get(path)
        if cls is None:
            return None
        function = python_method(cls, method)
        if function is None:
            return None
        held = self.atom(gast.Attribute(value=load(receiver.id), attr=attr, ctx=gast.Load()))
        args = [self.call_arg(a) for a in node.args]
        keywords = {k.arg: self.call_arg(k.value) for k in node.keywords}
        callee = load(held.id) if method == "__call__" else \
            gast.Attribute(value=load(held.id), attr=method, ctx=gast.Load())
        expr = gast.Call(func=callee, args=args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])
        op = self.op(MethodOf(cls, function, self.held_fields(path)), f"{cls.__name__}.{method}",
                     [load(held.id)] + args, keywords, node,
                     hint=attr if method == "__call__" else method)
        return expr, op

    def property_getter(self, obj, attr):
        """The getter function of `obj.attr` when obj holds objects of one class (object_class)
        whose `attr` is a property written in Python, else None: `self.scale` is then a call
        of the getter on `self`, differentiated like a method."""
        if not (isinstance(obj, gast.Name) and obj.id in self.parsed.local_names):
            return None
        cls = self.object_class(obj.id)
        return class_member(cls, attr, property) if cls is not None else None

    # -- functools.partial made inside the function ----------------------------------------------

    @property
    def partials(self):
        """Local names bound to `functools.partial(func, *args, **keywords)` in the function:
        name -> (func node, argument atoms, keyword atoms)."""
        return self.__dict__.setdefault("_partials", {})

    def is_partial(self, node):
        return (isinstance(node, gast.Call) and node.args and
                self.parsed.resolve(node.func) is functools.partial)

    def local_partial(self, target, node):
        """`g = functools.partial(h, a, k=v)`: calls `g(x)` become `h(a, x, k=v)`, with the
        arguments as they were here (copied if their names are bound again later)."""
        func = node.args[0]
        if any(isinstance(a, gast.Starred) for a in node.args) or any(
                k.arg is None for k in node.keywords):
            raise self.unsupported(node, "*args or **kwargs in functools.partial: pass the "
                                         "arguments one by one")
        stores = [n for n in gast.walk(self.parsed.node) if isinstance(n, gast.Name)
                  and n.id == target and isinstance(n.ctx, gast.Store)]
        if len(stores) != 1 or (self.parsed.resolve(func) is UNRESOLVED and not (
                isinstance(func, gast.Name) and func.id in self.partials)):
            raise self.unsupported(node, f"the partial `{target}` (bound more than once, or "
                                         "of a function known only when the function runs): "
                                         "call the function with all its arguments")

        def held(value, label):
            atom = self.atom(value)
            if isinstance(atom, gast.Name) and atom.id in self._rebound():
                name = self.namer.fresh(f"{target}_{label}")
                self.assign(name, atom)
                return load(name)
            return atom
        args = [held(a, f"arg{k}") for k, a in enumerate(node.args[1:])]
        keywords = {k.arg: held(k.value, k.arg) for k in node.keywords}
        self.partials[target] = (func, args, keywords)

    def _rebound(self):
        counts = {}
        for n in gast.walk(self.parsed.node):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                counts[n.id] = counts.get(n.id, 0) + 1
        params = {a.id for a in self.parsed.node.args.args}
        return {n for n, c in counts.items() if c > 1 or n in params}

    def expand_partial(self, node):
        """A call of a local partial, as the call of its function; other calls unchanged."""
        while isinstance(node.func, gast.Name) and node.func.id in self.partials:
            func, args, keywords = self.partials[node.func.id]
            merged = dict(keywords)
            merged.update({k.arg: k.value for k in node.keywords})
            node = gast.copy_location(gast.Call(
                func=func, args=list(args) + list(node.args),
                keywords=[gast.keyword(arg=k, value=v) for k, v in merged.items()]), node)
        return node

    def refuse_partial_value(self, node):
        if isinstance(node, gast.Name) and node.id in self.partials:
            raise self.unsupported(node, f"the partial `{node.id}` used as a value: call it, "
                                         "or make the partial outside the function")

    def unknown_callee(self, node):
        """The error for a call of a local name whose function is not known when compiling:
        for an argument (`layer(x)`, a model passed in), its class's __call__ is compiled
        once the class passed is known (classes.py)."""
        name = node.func.id
        params = {a.id for a in _arguments(self.parsed.node.args)}
        instead = "call a function or object the function can see (a global, an attribute " \
            "of self)"
        if name in params:
            return lambda: self._argument_method(node, name, instead, method="__call__")
        held = self._held_items_of_argument(name, params)
        if held is not None:     # `for layer in model.layers`: typing model types its layers
            root, path = held
            return lambda: self._argument_method(node, root, instead, method=f"{path}[i]")
        source = self._item_of_argument(name, params)
        if source is not None:   # `for layer in layers` with layers an argument
            return lambda: self._argument_method(node, source, instead, method="__call__",
                                                 item=name)
        classes = set()
        for n in gast.walk(self.parsed.node):
            if isinstance(n, gast.For) and isinstance(n.target, gast.Name) and \
                    n.target.id == name:
                classes |= self._elements(n.iter) or set()
        if len(classes) > 1:
            spelled = ", ".join(sorted(c.__name__ for c in classes))
            what = (f"calling `{name}`, which holds objects of several classes ({spelled}): "
                    "give them one class (one class with a setting for what differs)")
        elif self._assigned_a_gradient(name):
            what = (f"calling `{name}`, a gradient made inside the differentiated function: "
                    f"call it where it is made, as in `tl.grad(f)(x)`, or make it once at "
                    f"module level (`{name} = tl.grad(f)`) and call that")
        else:
            what = (f"calling `{name}`, whose function is not known when the derivative is "
                    "compiled: call a function or object the function can see (a global, an "
                    "attribute of self), or loop over a constant list of objects of one class")
        return lambda: self.unsupported(node, what)

    def typed_item(self, subscript):
        """`layers[i]` of a list whose items are of one known class (an argument or a list a
        model holds, typed by classes.py): a local bound to the item, known to hold that
        class, or None."""
        classes = self._elements(subscript.value)
        if not classes or len(classes) != 1 or not self._typed_list(subscript.value):
            return None
        item = self.atom(subscript)
        self.built_objects[item.id] = next(iter(classes))
        self.parsed.local_names.add(item.id)
        return item

    def _typed_list(self, seq):
        """Whether seq is a list classes.py typed (an argument's or one a model holds)."""
        if isinstance(seq, gast.Name):
            return seq.id in self.parsed.item_classes
        return _attribute_path(seq) in self.parsed.item_classes

    def untyped_list_call(self, node):
        """For `layers[i](h)` or `model.layers[i](h)` with the parameter not typed yet: the
        refusal that asks classes.py to type it (and its items); else None."""
        if not isinstance(node.func, gast.Subscript):
            return None
        seq = node.func.value
        params = {a.id for a in _arguments(self.parsed.node.args)}
        instead = "loop over the list (`for layer in layers: h = layer(h)`)"
        if isinstance(seq, gast.Name) and seq.id in params and \
                seq.id not in self.parsed.item_classes:
            label = gast.unparse(node.func).strip()
            return lambda: self._argument_method(node, seq.id, instead, method="__call__",
                                                 item=label)
        held = self._held_by_untyped(seq, params)
        if held is not None:
            root, path = held
            return lambda: self._argument_method(node, root, instead, method=f"{path}[i]")
        return None

    def _held_items_of_argument(self, name, params):
        """(parameter, path) where `name` loops over a list an untyped parameter holds (`for
        layer in model.layers`: ("model", "layers")), or None."""
        for n in gast.walk(self.parsed.node):
            if isinstance(n, (gast.For, gast.comprehension)) and isinstance(n.target, gast.Name) \
                    and n.target.id == name:
                held = self._held_by_untyped(n.iter, params)
                if held is not None:
                    return held
        return None

    def _held_by_untyped(self, node, params):
        """(parameter, path) of `model.layers` (`node`, an attribute chain) where `model` is a
        parameter not typed yet, whose typing (classes.py) types what it holds; else None."""
        root, _, rest = (_attribute_path(node) or "").partition(".")
        if rest and root in params and root not in self.parsed.param_classes:
            return root, rest
        return None

    def _item_of_argument(self, name, params):
        """The parameter every assignment to `name` takes an item of (`for layer in layers`,
        `layer = layers[i]`), or None."""
        found = set()
        for n in gast.walk(self.parsed.node):
            if isinstance(n, (gast.For, gast.comprehension)) and isinstance(n.target, gast.Name) \
                    and n.target.id == name:
                found.add(n.iter.id if isinstance(n.iter, gast.Name) else None)
            elif isinstance(n, gast.Assign) and any(
                    isinstance(t, gast.Name) and t.id == name for t in n.targets):
                value = n.value
                found.add(value.value.id if isinstance(value, gast.Subscript) and isinstance(
                    value.value, gast.Name) else None)
        return found.pop() if len(found) == 1 and not found <= {None} and \
            found <= params else None

    def _assigned_a_gradient(self, name):
        """Whether the function assigns `name = grad(...)` (tangent_lite's grad)."""
        for n in gast.walk(self.parsed.node):
            if (isinstance(n, gast.Assign) and isinstance(n.value, gast.Call)
                    and any(isinstance(t, gast.Name) and t.id == name for t in n.targets)):
                func = self.parsed.resolve(n.value.func)
                if getattr(func, "__module__", None) == "tangent_lite.api":
                    return True
        return False

    def attribute_read(self, node):
        """(expression, op) of `obj.attr` on a local object: a constant read."""
        obj = self.atom(node.value)
        expr = gast.Attribute(value=obj, attr=node.attr, ctx=gast.Load())
        spelled = gast.unparse(node).strip()
        op = ir.Op(func=None, prim=None, label=f".{node.attr}", args=[obj], keywords={},
                   hint=node.attr)
        op.refuse = lambda: self.unsupported(node, (
            f"the attribute read `{spelled}` of a value that depends on what is "
            "differentiated: use a NumPy function of it, or compute it outside"))
        return expr, op

    def opaque_method_call(self, node):
        """(expression, op) of `obj.method(...)` on a local object that is not an array
        method tangent_lite knows: run as written, a constant."""
        receiver = self.atom(node.func.value)
        args = [self.call_arg(a) for a in node.args]
        keywords = {k.arg: self.call_arg(k.value) for k in node.keywords}
        func = gast.Attribute(value=receiver, attr=node.func.attr, ctx=gast.Load())
        expr = gast.Call(func=func, args=args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])
        spelled = gast.unparse(node.func).strip()
        op = ir.Op(func=None, prim=None, label=f".{node.func.attr}", args=[receiver] + args,
                   keywords=keywords, hint=node.func.attr)
        instead = f"call the NumPy function np.{node.func.attr}(x, ...), or make its " \
            "arguments constants" if hasattr(np, node.func.attr) else \
            "make its arguments constants, or call a function written in Python"
        if user_class(self.built_class(node)):   # `Static.make(w).f(v)`
            op.refuse = lambda: self.class_refusal(node, self.built_class(node))
            return expr, op
        owner = node.func.value
        params = {a.id for a in _arguments(self.parsed.node.args)}
        if isinstance(owner, gast.Name) and owner.id in params:
            op.refuse = lambda: self._argument_method(node, owner.id, instead)
            return expr, op
        held = self._held_by_untyped(owner, params)
        if held is not None:     # `model.encoder.forward(x)`: typing model types encoder too
            root, path = held
            op.refuse = lambda: self._argument_method(node, root, instead,
                                                      method=f"{path}.{node.func.attr}")
            return expr, op
        held = self._held_items_of_argument(owner.id, params) if isinstance(
            owner, gast.Name) else None
        if held is not None:     # `for layer in model.layers: layer.apply(h)`
            root, path = held
            op.refuse = lambda: self._argument_method(
                node, root, instead, method=f"{path}[i].{node.func.attr}")
            return expr, op
        source = self._item_of_argument(owner.id, params) if isinstance(
            owner, gast.Name) else None
        if source is not None:   # `for layer in layers: layer.forward(h)`
            op.refuse = lambda: self._argument_method(node, source, instead, item=owner.id)
            return expr, op
        op.refuse = lambda: self.unsupported(node, (
            f"the method call `{spelled}(...)` on values that depend on what is "
            "differentiated (a method tangent_lite has no rule for, or a random draw, which "
            f"has no derivative): {instead}"))
        return expr, op

    def _argument_method(self, node, name, instead, method=None, item=None):
        """The refusal of `name.method(...)` on a differentiated argument. For an object (a
        model), which method runs depends on the class of what is passed: the gradient
        functions of the API catch this error and compile f again for the classes each call
        passes (classes.py); elsewhere (a helper f calls) it reaches the user."""
        method = method or node.func.attr
        cls = None
        for a in _arguments(self.parsed.node.args):
            if a.id == name and a.annotation is not None:
                cls = self.parsed.resolve(a.annotation)
        through = (f"call it through the class, `{getattr(cls, '__name__', 'TheClass')}."
                   f"{method}({name}, ...)` (differentiated from its source, reading the "
                   f"fields it uses), or differentiate a bound method (`grad({name}.loss)`)")
        if not isinstance(cls, type) or issubclass(cls, (np.ndarray, float, int, complex)):
            # Raised by the API only for an array or number: a model's method is compiled
            # once the class passed is known (classes.py).
            through = instead
        what = f"the method call `{name}.{method}(...)` on the argument `{name}`, which " \
            "depends on what is differentiated (a method tangent_lite has no rule for)"
        if method == "__call__":
            what = f"calling the argument `{name}`, whose function is not known when the " \
                "derivative is compiled (a model object passed there is differentiated " \
                "through its class's __call__)"
        if item is not None:
            call = f"calling `{item}`," if method == "__call__" else \
                f"the method call `{item}.{method}(...)` on"
            what = f"{call} an item of the argument `{name}` (a list of objects of one " \
                "class passed there is differentiated through its class's methods)"
        error = self.parsed.error(ArgumentMethodError, node,
                                  f"tangent_lite cannot differentiate {what}",
                                  hint="instead: " + through)
        error.argument, error.function, error.items = name, self.parsed.func, item is not None
        return error


def _attribute_path(node):
    """`self.first` of an attribute chain on a name, as a dotted string; else None."""
    parts = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name) or not parts:
        return None
    return ".".join([node.id] + parts[::-1])


def _is_super(node, parsed):
    """Whether node is `super(Cls, name)` (as explicit_super writes it) with Cls known."""
    return (isinstance(node, gast.Call) and len(node.args) == 2 and not node.keywords and
            parsed.resolve(node.func) is builtins.super and
            isinstance(node.args[1], gast.Name) and
            isinstance(parsed.resolve(node.args[0]), type))


def _arguments(args):
    return list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs) + [
        a for a in (args.vararg, args.kwarg) if a is not None]


def explicit_super(parsed):
    """Rewrite `super()` in a method as `super(Cls, self)`: Cls (the class the method is
    defined in, from its `__class__` cell) becomes a closure cell of its own name, `self` is
    the method's first parameter."""
    cell = parsed.closure.get("__class__")
    first = parsed.func.__code__.co_varnames[:1]
    calls = [n for n in gast.walk(parsed.node) if isinstance(n, gast.Call)
             and isinstance(n.func, gast.Name) and n.func.id == "super" and not n.args
             and not n.keywords]
    if not calls or cell is None or not first or parsed.resolve_name("super") is not \
            builtins.super:
        return
    cls = cell.cell_contents
    taken = {n.id for n in gast.walk(parsed.node) if isinstance(n, gast.Name)}
    name, k = cls.__name__, 2
    while name in taken or (name in parsed.closure and
                            parsed.closure[name].cell_contents is not cls):
        name, k = f"{cls.__name__}{k}", k + 1
    parsed.closure[name] = type(cell)(cls)
    for call in calls:
        call.args = [load(name), load(first[0])]


