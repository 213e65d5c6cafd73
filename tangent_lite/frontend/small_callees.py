"""Which calls of the user's own small functions are inlined where they are called.

`forget = sigmoid(z)` with `def sigmoid(v): return 1.0 / (1.0 + np.exp(-v))` differentiated
as a call makes the backward sweep call `vjp_sigmoid(dforget, z)`, which runs sigmoid's
forward operations again to have the values its own backward sweep reads, and hides from the
caller's passes what the callee computes. Inlined, the callee's operations are the caller's
own: computed once, the values its backward sweep reads saved like any other, and the
caller's passes (algebra, negations, the shape-specialised variant) see through them. At the
ADBench LSTM's 7-element vectors the recomputation and the call were a fifth of the gradient.

The forward values are those of the call: the same operations run on the same values in the
same order. Inlining is kept to what can be inlined without changing what a name means:

- a plain function (not a method, closure, lambda bound to a name of another module, or a
  function with a derivative rule or a tangent_lite derivative) of the caller's own module
  and file, so its free names (`np`) denote what they denote in the caller; none of them may
  be a local name of the caller, which would hide the module's;
- straight-line code: assignments to names and one `return` at the end, at most
  MAX_STATEMENTS statements, no loops, branches, comprehensions, nested functions or
  lambdas (a larger callee keeps its own vjp, compiled and specialised once);
- elementwise code: numbers, names, `+ - * / ** //`, unary minus and calls of NumPy ufuncs
  (np.exp, np.tanh, np.maximum), and reductions with constant axes (`np.max(v, axis=1)`,
  `np.sum(e, axis=1, keepdims=True)`) and views that only add axes (`mx[:, None]`). Such a
  callee's vjp runs its forward again for the values its backward reads (sigmoid's exp and
  sum, the GMM's log-sum-exp of rows: 0.92x the GMM's gradient at d = 2, k = 5, inlined);
  inlined, they are computed once. A callee that slices or concatenates keeps its vjp, whose shape-specialised variants write slice
  gradients in place (optimize/lower_slices.py), which the caller's loops do not yet do: the
  ODE's `np.concatenate([x[:1], x[1:] * y[:-1]])` inlined measured 3.2-3.7x its objective
  where its vjp gives 2.7x;
- plain parameters whose defaults, if any, are constants (a default is evaluated where the
  function is defined; a constant is the same wherever it is read);
- a callee that may write into an argument is not a candidate here: frontend/inline.py inlines
  it anyway, for its writes (frontend/mutation.py).

The pass is `small_callees` (optimize/__init__.py), switched off like the others.
"""
import gast
import numpy as np

MAX_STATEMENTS = 8

_ELEMENTWISE_OPS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.FloorDiv)

_REFUSED_NODES = (gast.For, gast.AsyncFor, gast.While, gast.If, gast.With, gast.AsyncWith,
                  gast.Try, gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef,
                  gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp,
                  gast.Yield, gast.YieldFrom, gast.Await, gast.Global, gast.Nonlocal,
                  gast.NamedExpr, gast.IfExp, gast.Delete, gast.Starred)


def elementwise(fdef, resolve):
    """Whether every expression of fdef's body is elementwise arithmetic (see above);
    resolve(node) is the object a called name denotes."""
    return all(_elementwise(stmt.value, resolve) for stmt in body_of(fdef))


def _elementwise(node, resolve):
    if isinstance(node, (gast.Name, gast.Constant)):
        return True
    if isinstance(node, gast.BinOp):
        return isinstance(node.op, _ELEMENTWISE_OPS) and _elementwise(
            node.left, resolve) and _elementwise(node.right, resolve)
    if isinstance(node, gast.UnaryOp):
        return isinstance(node.op, (gast.USub, gast.UAdd)) and _elementwise(
            node.operand, resolve)
    if isinstance(node, gast.Call) and _reduction(node, resolve):
        return _elementwise(node.args[0], resolve)
    if isinstance(node, gast.Call):
        return not node.keywords and isinstance(resolve(node.func), np.ufunc) and all(
            _elementwise(a, resolve) for a in node.args)
    if isinstance(node, gast.Subscript):      # `mx[:, None]`: a new axis, nothing sliced
        elts = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
        return _elementwise(node.value, resolve) and all(_whole_or_new(e) for e in elts)
    return False


_REDUCTIONS = (np.sum, np.max, np.min, np.mean, np.amax, np.amin)


def _reduction(node, resolve):
    """`np.sum(e)`, `np.max(e, axis=1)`, `np.sum(e, axis=1, keepdims=True)` with constant
    axis and keepdims: a reduction whose vjp recomputes what it reduces, as an elementwise
    callee's does (the GMM's log-sum-exp of rows)."""
    if resolve(node.func) not in _REDUCTIONS or len(node.args) != 1:
        return False
    return all(k.arg in ("axis", "keepdims") and _constant(k.value) for k in node.keywords)


def _constant(node):
    if isinstance(node, gast.Tuple):
        return all(_constant(e) for e in node.elts)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        node = node.operand
    return isinstance(node, gast.Constant)


def _whole_or_new(node):
    """`:` or None in an index: the subscript is a view of the whole array with new axes."""
    if isinstance(node, gast.Constant):
        return node.value is None
    return isinstance(node, gast.Slice) and node.lower is None and node.upper is None \
        and node.step is None


def straight_line(fdef):
    """Whether the definition `fdef` is small straight-line code ending in its one return:
    the body (a docstring aside) is at most MAX_STATEMENTS assignments to names, then
    `return e`; its parameters are plain, their defaults constants."""
    args = fdef.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or fdef.decorator_list:
        return False
    if not all(isinstance(d, gast.Constant) for d in args.defaults):
        return False
    body = body_of(fdef)
    if not body or len(body) > MAX_STATEMENTS:
        return False
    *steps, last = body
    if not (isinstance(last, gast.Return) and last.value is not None):
        return False
    for stmt in steps:
        if not (isinstance(stmt, gast.Assign) and all(_names_only(t) for t in stmt.targets)):
            return False
    return not any(isinstance(n, _REFUSED_NODES) for st in body for n in gast.walk(st))


def body_of(fdef):
    """fdef's statements without its docstring."""
    body = list(fdef.body)
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
        body = body[1:]
    return body


def free_names(fdef):
    """The names fdef's body reads that are neither its parameters nor its locals: the
    module's globals and builtins it uses."""
    local = {a.id for a in fdef.args.args}
    loaded = set()
    for st in body_of(fdef):
        for n in gast.walk(st):
            if isinstance(n, gast.Name):
                (loaded if isinstance(n.ctx, gast.Load) else local).add(n.id)
    return loaded - local


def _names_only(target):
    if isinstance(target, gast.Name):
        return True
    return isinstance(target, (gast.Tuple, gast.List)) and all(
        _names_only(e) for e in target.elts)
