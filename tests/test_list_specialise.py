"""Shape specialisation through Python lists built in the function (analysis/concrete.py
`Uniform`), int index expressions (`params[2 * i + 1]`, `xs[t + 1]`) and `x.copy()`: the
ADBench LSTM's state lists (`hidden = [state[2 * i].copy() for i in ...]`, or built by
`append` in a loop) have one shape per entry, so the variant compiled at the first call drops
the identity unbroadcasts, `shaped()` pushes and `sum_product` checks of its layer step.

Every gradient equals central finite differences in float64 and the generic df (specialisation
off), in several styles (an array, a list and a tuple of parameters; `np.dot` and `@`; loops
over range(len(...)) and over zip; lists built by a comprehension and by append). The near
misses must keep the generic treatment where it is needed: a list appended with arrays of two
shapes, appended in one branch with another shape, an alias of the list given an entry of
another shape; float32 stays float32, and a later call with other shapes is still right."""
import re
import types

import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize

from helpers import numeric_grad

RNG = np.random.default_rng(1405)


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def lstm_comprehension(main_params, extra_params, state, sequence):
    # the benchmark's form: rows of arrays, lists by comprehension, a user function
    n_layers = main_params.shape[0] // 2
    b = sequence.shape[1]
    hidden = [state[2 * i].copy() for i in range(n_layers)]
    cell = [state[2 * i + 1].copy() for i in range(n_layers)]
    total = 0.0
    for t in range(sequence.shape[0] - 1):
        ypred = sequence[t] * extra_params[0]
        for i in range(n_layers):
            weight = main_params[2 * i]
            bias = main_params[2 * i + 1]
            forget = sigmoid(ypred * weight[:b] + bias[:b])
            ingate = sigmoid(hidden[i] * weight[b:2 * b] + bias[b:2 * b])
            change = np.tanh(hidden[i] * weight[3 * b:] + bias[3 * b:])
            cell[i] = cell[i] * forget + ingate * change
            hidden[i] = sigmoid(ypred * weight[2 * b:3 * b]) * np.tanh(cell[i])
            ypred = hidden[i]
        total = total + np.sum(sequence[t + 1] * (ypred * extra_params[1] - 0.5))
    return -total / sequence.shape[0]


def lstm_appended(params, state, xs):
    # a list of per-layer parameter rows, lists built by append, a loop over range(len(...))
    n_layers = len(params) // 2
    hidden = []
    cell = []
    for i in range(n_layers):
        hidden.append(state[2 * i] * 1.0)
        cell.append(np.zeros(state.shape[1]))
    total = 0.0
    for t in range(len(xs)):
        x = xs[t]
        for i in range(n_layers):
            gates = params[2 * i]
            n = x.shape[0]
            f = sigmoid(x * gates[:n] + hidden[i] * params[2 * i + 1])
            cell[i] = cell[i] * f + (1.0 - f) * np.tanh(x * gates[n:])
            x = np.tanh(cell[i])
            hidden[i] = x
        total = total + np.sum(x * x)
    return total


def rnn_list_dot(Ws, bs, xs):
    # a tuple of matrices, np.dot, state list by comprehension, a loop over zip
    hs = [np.zeros(W.shape[1]) for W in Ws]
    out = 0.0
    for x, y in zip(xs[:-1], xs[1:]):
        h = x
        for i in range(len(Ws)):
            h = np.tanh(np.dot(h, Ws[i]) + bs[i] + 0.5 * hs[i])
            hs[i] = h
        out = out + np.sum((h - y) ** 2)
    return out


def rnn_list_matmul(Ws, bs, xs):
    # the same with `@`, the state list by append of a made array
    hs = []
    for W in Ws:
        hs.append(np.ones(W.shape[0]) * 0.1)
    out = 0.0
    for t in range(xs.shape[0]):
        h = xs[t]
        for i in range(len(Ws)):
            h = sigmoid(h @ Ws[i] + bs[i] * hs[i])
            hs[i] = h
        out = out + np.sum(h * xs[t])
    return out


def _lstm_comprehension(dtype=np.float64, layers=2, chars=5, bits=3):
    sequence = RNG.integers(0, 2, size=(chars, bits)).astype(dtype)
    return [RNG.uniform(size=(2 * layers, 4 * bits)).astype(dtype),
            RNG.uniform(size=(3, bits)).astype(dtype),
            RNG.uniform(size=(2 * layers, bits)).astype(dtype), sequence]


def _lstm_appended(dtype=np.float64, layers=2, chars=4, bits=3):
    params = []
    for _ in range(layers):
        params += [RNG.normal(size=2 * bits).astype(dtype), RNG.normal(size=bits).astype(dtype)]
    return [params, RNG.normal(size=(2 * layers, bits)).astype(dtype),
            RNG.normal(size=(chars, bits)).astype(dtype)]


def _rnn(dtype=np.float64, n=3, steps=4, square=True):
    Ws = tuple((0.5 * RNG.normal(size=(n, n))).astype(dtype) for _ in range(2))
    bs = [RNG.normal(size=n).astype(dtype) for _ in range(2)]
    return [Ws, bs, RNG.normal(size=(steps, n)).astype(dtype)]


CASES = [(lstm_comprehension, (0, 1), _lstm_comprehension),
         (lstm_appended, (0, 1), _lstm_appended),
         (rnn_list_dot, (0, 1), _rnn), (rnn_list_matmul, (0, 1), _rnn)]
IDS = [c[0].__name__ for c in CASES]


def _leaves(g):
    if isinstance(g, (tuple, list)):
        return [leaf for e in g for leaf in _leaves(e)]
    return [g]


def _numeric(f, args, i):
    """Central differences for each leaf of args[i] (an array, a list or tuple of arrays)."""
    x = args[i]
    if isinstance(x, np.ndarray):
        return [numeric_grad(f, args, i)]
    out = []
    for k in range(len(x)):
        def g(leaf, *rest, k=k):
            c = list(x)
            c[k] = leaf
            a = list(args)
            a[i] = tuple(c) if isinstance(x, tuple) else c
            return f(*a)
        out.append(numeric_grad(g, [x[k]] + list(args), 0))
    return out


def _check(f, wrt, args, got, exact=True):
    """got against the generic df (same types, dtypes, shapes) and, in float64, against
    central finite differences."""
    with optimize.disabled("specialise"):
        expected = tl.grad(f, wrt=wrt)(*args)
    for i, g, e in zip(wrt, got, expected):
        assert type(g) is type(e)
        for a, b in zip(_leaves(g), _leaves(e)):
            assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-12 if exact else 1e-5, atol=1e-13)
        if exact:
            for a, n in zip(_leaves(g), _numeric(f, args, i)):
                np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-7)


def _variant(f, wrt, args):
    source = tl.source(f, wrt, specialised_for=args)
    assert "def fits_" in source
    return source.split("# Backward sweep")[1]


@pytest.mark.parametrize("f, wrt, make", CASES, ids=IDS)
def test_lists_built_in_the_function_are_specialised(f, wrt, make):
    df = tl.grad(f, wrt=wrt)
    for _ in range(2):   # the second call runs the variant the first compiled
        args = make()
        _check(f, wrt, args, df(*args))
    backward = _variant(f, wrt, make())
    assert "sum_product(" not in backward, backward
    assert "unbroadcast(" not in backward or f is lstm_comprehension, backward


def test_the_lstm_layer_step_is_specialised():
    # every broadcasting operation of the layer step has its shape: what remains is the
    # list entries' own adjoints (`hidden[i] = ...`)
    source = tl.source(lstm_comprehension, (0, 1), specialised_for=_lstm_comprehension())
    forward, backward = source.split("# Backward sweep")
    step = re.split(r"\n\s+for i in t_range\d*:", forward)[1].split("ypred = hidden[i]")[0]
    assert "shaped(" not in step and "push(" in step
    assert "sum_product(" not in backward


@pytest.mark.parametrize("f, wrt, make", CASES, ids=IDS)
def test_float32_stays_float32(f, wrt, make):
    args = make(np.float32)
    got = tl.grad(f, wrt=wrt)(*args)
    for leaf in _leaves(got):
        assert leaf.dtype == np.float32
    _check(f, wrt, args, got, exact=False)


@pytest.mark.parametrize("f, wrt, make", CASES, ids=IDS)
def test_a_later_call_with_other_shapes_is_right(f, wrt, make):
    df = tl.grad(f, wrt=wrt)
    first = make()
    _check(f, wrt, first, df(*first))
    other = make(layers=3) if "layers" in make.__code__.co_varnames else make(n=4, steps=3)
    _check(f, wrt, other, df(*other))
    third = make(chars=6) if "chars" in make.__code__.co_varnames else make(steps=6)
    _check(f, wrt, third, df(*third))


# ---- near misses: the entries' shapes are not one shape, or not provably ------------------------

def two_shapes_appended(w, x):
    items = []
    items.append(x * 2.0)
    items.append(np.outer(x, x))    # another shape: items[i] is no one shape
    total = 0.0
    for i in range(len(items)):
        total = total + np.sum(items[i] * w)
    return total


def appended_in_one_branch(w, x, flag):
    items = [x * 1.0]
    if flag > 0:
        items.append(np.outer(x, x))
    else:
        items.append(x * 3.0)
    return np.sum(items[-1] * w) + np.sum(items[0] * w)


def aliased_and_written(w, x):
    # (the replaced entry is a constant: a differentiated entry replaced by a value of another
    # shape is a separate limitation, the generic df's too)
    items = [np.zeros(3), x * 2.0]
    other = items
    other[0] = np.outer(x, x)      # written through the alias: items[0] is (n, n) now
    total = 0.0
    for i in range(2):
        total = total + np.sum(items[i] * w)
    return total


def replaced_with_another_shape(w, x):
    hs = [np.ones(3) * 0.5 for _ in range(2)]
    for i in range(2):
        hs[i] = np.outer(hs[i], x)    # the entries change shape in the loop
        hs[i] = hs[i] * w
    return np.sum(hs[0]) + np.sum(hs[1])


def passed_to_a_function(w, x):
    items = [np.zeros(3), x * 2.0]
    _grow(items, x)
    return np.sum(items[0] * w)


def _grow(items, x):
    items[0] = np.outer(x, x)


NEAR = [(two_shapes_appended, lambda: [RNG.normal(size=3), RNG.normal(size=3)]),
        (appended_in_one_branch, lambda: [RNG.normal(size=3), RNG.normal(size=3), 1.0]),
        (appended_in_one_branch, lambda: [RNG.normal(size=3), RNG.normal(size=3), -1.0]),
        (aliased_and_written, lambda: [RNG.normal(size=3), RNG.normal(size=3)]),
        (replaced_with_another_shape, lambda: [RNG.normal(size=3), RNG.normal(size=3)]),
        (passed_to_a_function, lambda: [RNG.normal(size=3), RNG.normal(size=3)])]


@pytest.mark.parametrize("f, make", NEAR, ids=[f"{c[0].__name__}{k}" for k, c in enumerate(NEAR)])
def test_lists_of_several_shapes_keep_their_unbroadcasts(f, make):
    df = tl.grad(f, wrt=(0, 1))
    for _ in range(2):
        args = make()
        got = df(*args)
        _check(f, (0, 1), args, got)
    # where a variant is compiled, the sum of the (3, 3) entry's product back to w's shape is
    # still in it
    try:
        variant = tl.source(f, (0, 1), specialised_for=make()).split("def grad_")[-1]
    except tl.TangentLiteError:   # no variant: the shapes remove nothing
        return
    assert "unbroadcast(" in variant or ".sum(axis=0)" in variant


def test_the_analysis_knows_the_entries():
    # the concrete analysis itself: the entries of a list built by append and by a
    # comprehension have one shape; with two shapes, none
    from tangent_lite.analysis.containers import EMPTY, Uniform
    assert EMPTY.appended((3,)) == Uniform((3,))
    assert Uniform((3,)).appended((3,)) == Uniform((3,))
    assert Uniform((3,)).appended((3, 3)) is None
    assert Uniform((3,)).appended(None) is None


# ---- the list gradients updated entry by entry in place (optimize/entries.py) --------------------

def test_list_gradients_are_updated_in_place():
    source = tl.source(lstm_comprehension, (0, 1), specialised_for=_lstm_comprehension())
    backward = source.split("# Backward sweep")[1]
    assert "dhidden[i] = dhidden[i] + " in backward
    # unset's entry zeroed, then set from a fresh product (optimize/zeroed_entries.py); with
    # that pass's proof out of reach (float32 is not all real) it stays `zeros_grad`
    assert "dcell[i] = dt_item" in backward and "zeros_grad(dcell[i])" not in backward
    assert "add_item(" not in backward and "unset(" not in backward
    args32 = [a.astype(np.float32) if isinstance(a, np.ndarray) else a
              for a in _lstm_comprehension()]
    source32 = tl.source(lstm_comprehension, (0, 1), specialised_for=args32)
    assert "dcell[i] = zeros_grad(dcell[i])" in source32.split("# Backward sweep")[1]


@pytest.mark.parametrize("f, wrt, make", CASES, ids=IDS)
def test_in_place_entries_give_the_same_gradient(f, wrt, make):
    args = make()
    got = tl.grad(f, wrt=wrt)(*args)
    with optimize.disabled("entries"):
        plain = tl.grad(f, wrt=wrt)(*args)
    for a, b in zip(_leaves(got), _leaves(plain)):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def shared_state(w, x):
    # `other` is hs itself: hs's gradient list is also other's
    hs = [x * 1.0, x * 2.0]
    other = hs
    hs[0] = np.tanh(hs[0] * w)
    total = np.sum(other[0] * x) + np.sum(hs[1] * w)
    for i in range(2):
        total = total + np.sum(hs[i] * other[1 - i])
    return total


def state_stacked(w, x):
    # the list's gradient comes back from np.stack's, entry by entry
    hs = []
    for i in range(3):
        hs.append(x * (i + 1.0))
    for t in range(2):
        for i in range(3):
            h = np.sin(hs[i] * w)
            hs[i] = h
    return np.sum(np.stack(hs) * w)


def test_a_list_gradient_from_another_rule_is_right():
    # np.stack's gradient gives the list's: not a new list the pass knows, so left functional
    df = tl.grad(state_stacked, wrt=(0, 1))
    for _ in range(2):
        args = [RNG.normal(size=3), RNG.normal(size=3)]
        _check(state_stacked, (0, 1), args, df(*args))


def test_a_list_named_twice_is_one_list_not_two_updated_in_place():
    # `other = hs`, bound once before anything writes hs, is spelled hs
    # (transforms/list_aliases.py): one list, one gradient list, updated in place or not
    df = tl.grad(shared_state, wrt=(0, 1))
    for _ in range(2):
        args = [RNG.normal(size=3), RNG.normal(size=3)]
        got = df(*args)
        _check(shared_state, (0, 1), args, got)
        with optimize.disabled("entries"):
            plain = tl.grad(shared_state, wrt=(0, 1))(*args)
        for a, b in zip(_leaves(got), _leaves(plain)):
            np.testing.assert_array_equal(a, b)


def shared_state_renamed_in_loop(w, x):
    hs = [x * 1.0, x * 2.0]
    total = 0.0
    for i in range(2):
        other = hs
        hs[i] = np.tanh(hs[i] * w)
        total = total + np.sum(other[i] * x)
    return total


def test_a_list_named_twice_in_a_loop_is_refused_not_updated_in_place():
    # the second name bound in the loop: not certainly the same list, so refused (as the
    # generic df is), never a gradient list shared between two names and updated in place
    with pytest.raises(tl.UnsupportedSyntaxError, match="an entry of the list `hs`") as info:
        tl.grad(shared_state_renamed_in_loop, wrt=(0, 1))(RNG.normal(size=3),
                                                          RNG.normal(size=3))
    assert "test_list_specialise.py:" in str(info.value) and "instead:" in str(info.value)


def test_the_generalised_variant_keeps_the_shapes():
    # other lengths and layer counts make the sizes symbols (`sequence: float64[n1, 3]`); a
    # size read of an int dim beside a symbol (`b = sequence.shape[1]`) is still an int
    # a function object of its own: variants are kept per function, and the tests above
    # compiled others for lstm_comprehension
    f = types.FunctionType(lstm_comprehension.__code__, globals(), "lstm_comprehension")
    df = tl.grad(f, wrt=(0, 1))
    calls = [_lstm_comprehension(layers=layers, chars=chars)
             for layers, chars in ((2, 5), (3, 7), (1, 4))]
    got = [df(*args) for args in calls]
    source = tl.source(f, (0, 1), specialised_for=_lstm_comprehension(layers=4, chars=6))
    for args, g in zip(calls, got):
        _check(f, (0, 1), args, g)
    assert "[n0, 12]" in source and "[n1, 3]" in source, source[:600]
    backward = source.split("# Backward sweep")[1]
    assert "sum_product(" not in backward and "add_item(" not in backward
