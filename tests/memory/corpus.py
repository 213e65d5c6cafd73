"""The memory-semantics corpus: small NumPy programs that write memory, as users write them.

Each program is a module-level function (tangent_lite reads source files); CASES at the bottom
says, for each, its class, its arguments (float64 arrays of fixed shapes drawn from an RNG seeded
by the program's name, Python floats, or fixed integer index arrays) and what to differentiate.
The expected gradient is never written here: the harness takes central finite differences of the
function as NumPy runs it. Nothing here is a pytest test (most programs fail today).

Classes (the soundness issue's numbering):
  0 control       out-of-place equivalents, expected correct today (checks the harness itself)
  1 views         writes through a view
  2 out=          ufuncs, matmul and dot writing into out= (and ufuncs with where=)
  3 copyto/at     np.copyto (with where=) and ufunc.at with repeated indices
  4 fancy         fancy-index writes with repeated indices (NumPy keeps the last write)
  5 mask          boolean-mask writes whose mask reads the array written
  6 methods       in-place methods: fill, sort, put, fill_diagonal, place, clip(out=)
  7 lists         list aliasing: appends and item writes seen through another name
  8 chained       chained assignment a = b = ...
  9 argument      functions that mutate their own arguments
  10 chains       loops carrying long chains of variables
"""
import numpy as np


# == 0 control: out-of-place programs =============================================================

def ctl_mlp(W, x, b):
    h = np.tanh(W @ x + b)
    return np.sum(h * h) / h.shape[0]


def ctl_standardise(X, w):
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    return np.mean((Z @ w) ** 2)


def ctl_relu_where(W, x):
    h = W @ x
    h = np.where(h > 0, h, 0.0)
    return np.sum(h ** 2)


def ctl_fill_loop(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = 0.5 * y[i - 1] + np.sin(x[i])
    return np.dot(y, y)


def ctl_scalar_accumulators(x):
    a = 0.0
    b = 0.0
    for v in x:
        a += v
        b += v * v
    return a * b


# == 1 views: writes through a view ===============================================================

def alias_argument_rows_in_loop(x, W):
    B = W
    for i in range(W.shape[0]):
        B[i] *= x[i]
    return np.sum(W ** 2) + np.sum(B)


def standardise_some_columns(X, w):
    Z = X * 1.0
    for j in range(Z.shape[1]):
        col = Z[:, j]
        col -= col.mean()
        if j % 2 == 0:
            col /= col.std()
    return np.sum((Z @ w) ** 2)


def view_and_base_written_in_loop(x):
    y = np.tanh(x)
    v = y[:2]
    for k in range(2):
        y[0] += x[k]
        v *= 1.5
    return np.sum(v) * np.sum(y ** 2)


def view_renamed_after_base_rebound(x):
    y = np.tanh(x)
    t = y[:4]
    y = np.sin(y)
    v = t
    v *= 2.0
    return np.sum(y * x) + np.sum(v)


def view_read_in_loop_base_written(x):
    y = np.tanh(x)
    head = y[:4]
    s0 = 0.0
    for i in range(1, 4):
        s0 = s0 + np.dot(y[::2], head) * 0.18
        y[:4] += np.sin(x[:4]) * 0.1
    return np.sum(y * x) + s0


def view_from_branch_read_in_loop(x):
    y = np.tanh(x)
    if x[0] > 0:
        head = y[:4]
    else:
        head = y[4:]
    s0 = 0.0
    for i in range(3):
        s0 = s0 + np.sum(head) * 0.18
        y[:4] += np.sin(x[:4]) * 0.1
    return np.sum(y * x) + s0


def view_read_after_base_iadd(x, W):
    y = np.tanh(x)
    head = y[:4]
    y += np.sin(x) * 0.5                   # changes head too (NumPy)
    return np.dot(W[0], head) + np.sum(y)


def alias_written_in_branch(x):
    y = np.sin(x)
    z = y
    if x[0] > 0.0:
        z[1:] *= 2.0
    else:
        z[:1] += 1.0
    return np.sum(y * x)


def view_slice_imul(x):
    y = np.tanh(x)
    y[1:3] *= np.cos(x[:2])
    return np.sum(y * x)


def view_slice_add(x):
    y = np.tanh(x)
    v = y[:2]
    v += x[:2]
    return np.sum(y * y)


def view_row_increment(x):
    B = np.outer(x, x)
    r = B[0]
    r += 1.0
    return np.sum(B * B) / B.size


def view_ravel_scale(W):
    B = np.sin(W)
    flat = B.ravel()
    flat *= 2.0
    return np.sum(B * W)


def view_transpose_add(A, C):
    B = A @ A
    Bt = B.T
    Bt += C
    return np.sum(B * A)


def standardise_columns(X, w):
    X = X * 1.0
    for j in range(X.shape[1]):
        col = X[:, j]
        col -= col.mean()
        col /= col.std()
    return np.mean((X @ w) ** 2)


def _center_columns(X):
    for j in range(X.shape[1]):
        col = X[:, j]
        col -= np.mean(col)


def view_helper_center(X, w):
    Z = X * 2.0
    _center_columns(Z)
    return np.sum((Z @ w) ** 2) / Z.shape[0]


def _bump(v, d):
    v += d


def view_helper_bump(x):
    y = np.cos(x)
    _bump(y[1:4], x[:3] * 0.5)
    return np.sum(y * x)


def view_alias_argument(x):
    y = x
    y += 1.0
    return np.sum(x * y)


def view_ellipsis(W, x):
    h = W @ x
    v = h[...]
    v *= 2.0
    return np.sum(np.tanh(h))


def view_reshape_rows(x):
    y = np.exp(0.5 * x)
    grid = y.reshape(2, 3)
    grid[1] += grid[0]
    return np.sum(y ** 2)


def view_decay_loop(H, x):
    S = H.copy()
    for i in range(S.shape[0]):
        row = S[i]
        row *= 0.9
        row += x * (i + 1)
    return np.sum(S * S)


def view_swap_columns(A, w):
    B = np.tanh(A)
    B[:, 0], B[:, 1] = B[:, 1], B[:, 0]
    return np.sum((B @ w) ** 2)


def swap_columns_copied(A, w):
    B = np.tanh(A)
    B[:, 0], B[:, 1] = B[:, 1].copy(), B[:, 0].copy()
    return np.sum((B @ w) ** 2)


def tuple_write_then_index(x):
    y = np.sin(x)
    i = 0
    y[i], i = x[1] * 2.0, 2
    y[i], s = x[0] ** 2, y[0]
    return np.sum(y * x) + s


def copyto_overlapping_strided(x):
    y = np.tanh(x)
    head = y[:4]
    np.copyto(y[::2], head)     # NumPy copies element by element here: order-dependent
    return np.sum(y * x)


def assign_overlapping_strided(x):
    y = np.tanh(x)
    head = y[:4]
    y[::2] = head
    return np.sum(y * x)


def assign_overlapping_shift(x):
    y = np.tanh(x)
    y[1:] = y[:-1]              # one stride: NumPy copies as through a temporary
    return np.sum(y * x)


def view_overlap_shift(x):
    y = x * 1.0
    y[1:] += y[:-1]
    return np.sum(y * y)


def view_split_halves(x):
    y = np.sin(x)
    lo, hi = y[:3], y[3:]
    lo *= hi
    return np.sum(y * x)


def view_kept_then_base_filled(x, W):
    """A column of B read by np.dot, then B's diagonal filled and B appended to a list: vjp
    kept the column as a view of the forward sweep's B (the append counts as a write to a
    name sharing B's memory, so the column stays the view it is), which the pullback's
    restore, on its own copy of B, never reached (the memory fuzzer, seed 6, program 709)."""
    B = W * 1.0
    parts = [x[2] * 1.0]
    kept = []
    parts.append(np.dot(B[:, 0], x[:2]) * 0.37)
    np.fill_diagonal(B, 0.5)
    kept.append(B)
    t = 0.0
    for item in parts:
        t = t + item * item
    for a in kept:
        t = t + np.sum(a * a) * 0.1
    return t


def view_from_list_then_base_bumped(x, W):
    """Rows of B gathered in a list, one read back through the list into a product, then B's
    row bumped in place through another view: differentiated in x alone (B a constant), the
    stack plan saved nothing, and the backward sweep read the bumped row (the memory fuzzer,
    seed 8, program 485: grad wrt x alone and hvp wrong; wrt (x, W) right)."""
    y = np.tanh(x)
    B = W * 1.0
    rows = [B[j] for j in range(2)]
    rows[1] = rows[1] * np.cos(x[2:6] + y[1:5])
    y[:4] += rows[0] * rows[1] * 0.12
    a, b = B[0], y[::2]
    a += 0.04
    return np.sum(y * x) + np.sum(B * W)


# == 2 out=: results written into existing arrays =================================================

def out_multiply(x):
    out = np.empty_like(x)
    np.multiply(x, x, out=out)
    return np.sum(out * x)


def out_exp_mean(x):
    y = np.zeros_like(x)
    np.exp(x, out=y)
    return np.sum(y) / y.shape[0]


def out_matmul(A, x):
    r = np.zeros(A.shape[0])
    np.matmul(A, x, out=r)
    return r @ r


def out_dot_layers(W, x):
    h = x * 1.0
    tmp = np.zeros_like(x)
    for _ in range(3):
        np.dot(W, h, out=tmp)
        np.tanh(tmp, out=h)
    return np.sum(h ** 2)


def out_accumulate(X, w):
    acc = np.zeros(X.shape[1])
    for i in range(X.shape[0]):
        np.add(acc, X[i] * w[i], out=acc)
    return np.sum(acc * acc)


def out_where(x):
    y = np.ones_like(x)
    np.multiply(x, 3.0, out=y, where=x > 0)
    return np.sum(y * x)


def out_self(x):
    y = np.sin(x)
    np.add(y, 1.0, out=y)
    np.multiply(y, x, out=y)
    return np.mean(y)


def out_into_rows(W, x):
    H = np.zeros((2, x.shape[0]))
    np.tanh(x, out=H[0])
    np.sin(W @ x, out=H[1])
    return np.sum(H * H)


def out_tuple(x):
    y = np.empty_like(x)
    np.exp(-x * x, out=(y,))
    return np.dot(y, x)


def out_subtract_argument(x, y):
    np.subtract(x, y, out=x)
    return np.sum(x * y)


def out_matmul_into_row(x):
    B = np.outer(x, x)
    r = np.matmul(B[:2, :2], x[:2], out=B[2, :2])
    return np.sum(B ** 2) + np.sum(r)


def out_overlapping_slices(x):
    y = x * 1.0
    np.multiply(y[:2], 2.0, out=y[1:3])
    return np.sum(y ** 3)


# == 3 np.copyto and ufunc.at =====================================================================

def copyto_basic(x):
    y = np.zeros_like(x)
    np.copyto(y, np.tanh(x))
    return np.sum(y * x)


def copyto_where(x, z):
    y = z * 1.0
    np.copyto(y, x * 2.0, where=x > 0)
    return np.sum(y ** 2)


def copyto_into_view(x):
    buf = np.ones(x.shape[0] + 2)
    np.copyto(buf[1:-1], x ** 2)
    return np.sum(np.sin(buf))


def copyto_into_fancy_copy(x):
    y = np.ones(5) * x[0]
    np.copyto(y[[1, 2]], x[:2])     # a fancy index makes a copy: y is left as it was
    return np.sum(y ** 2)


def add_at_into_slice(x, idx):
    y = np.ones(5) * x[0]
    np.add.at(y[1:], idx, x)
    return np.sum(y ** 2)


def add_at_segment_sum(x, idx):
    y = np.zeros(4)
    np.add.at(y, idx, x)
    return np.sum(y ** 2)


def add_at_embedding(E, ids, w):
    T = np.zeros_like(E)
    np.add.at(T, ids, E[ids] * w[:, None])
    return np.sum(T * T)


def subtract_at_loop(x, idx):
    y = np.ones(4)
    for k in range(2):
        np.subtract.at(y, idx, x * (k + 1))
    return np.sum(y * y)


def multiply_at(x, idx):
    y = np.full(4, 2.0)
    np.multiply.at(y, idx, x)
    return np.sum(y)


def maximum_at(x, idx):
    y = np.zeros(4)
    np.maximum.at(y, idx, x)
    return np.sum(y * y)


def minimum_at(x, idx):
    y = np.full(4, 5.0)
    np.minimum.at(y, idx, np.exp(x))
    return np.sum(np.sqrt(y))


# == 4 fancy-index writes with repeated indices ===================================================

def fancy_assign_repeated(x, idx):
    out = np.zeros(4)
    out[idx] = x
    return np.sum(out * np.arange(1.0, 5.0))


def fancy_iadd_repeated(x, idx):
    out = np.zeros(4)
    out[idx] += x
    return np.sum(out ** 2)


def fancy_2d_pairs(x):
    M = np.eye(3)
    rows = np.array([0, 1, 0, 2])
    cols = np.array([1, 1, 1, 0])
    M[rows, cols] = x
    return np.sum(M @ M)


def fancy_loop_accumulate(x, idx):
    y = np.zeros(4)
    for t in range(3):
        y[idx] += x * (t + 1)
        y = np.tanh(y)
    return np.sum(y)


def fancy_literal_imul(x):
    y = np.cos(x)
    y[[1, 1, 2]] *= x[:3]
    return np.sum(y * y)


def _scatter(out, idx, v):
    out[idx] = v


def fancy_helper_scatter(x, idx):
    out = np.ones(4)
    _scatter(out, idx, x ** 2)
    return np.sum(out * out)


def fancy_isub_list_index(x):
    y = x * 1.0
    y[[0, 2, 0]] -= x[3:6]
    return np.sum(y * x)


# == 5 boolean-mask writes whose mask reads the array written =====================================

def relu_mask(W, x):
    h = W @ x
    h[h < 0] = 0.0
    return np.sum(h ** 2)


def leaky_mask(W, x):
    h = W @ x
    h[h < 0] *= 0.1
    return np.sum(h ** 2)


def clip_by_masks(x):
    y = 2.0 * x
    y[y > 1.0] = 1.0
    y[y < -1.0] = -1.0
    return np.sum(y * x)


def relu_two_layers(W1, W2, x):
    h = W1 @ x
    h[h < 0] = 0.0
    o = W2 @ h
    o[o < 0] = 0.0
    return np.sum(o)


def threshold_small(x):
    y = np.sin(x)
    y[np.abs(y) < 0.2] = 0.0
    return np.sum(y * x)


def mask_moves_in_loop(x, W):
    """An array the gradient is not taken for, written through a mask made again in each step
    (as many entries each step, in other places): the backward sweep restores it step by step
    and needs each step's mask (seed 4, program 458 of the memory fuzzer)."""
    B = W * 1.0
    s = 0.0
    for k in range(3):
        s = s + np.sum(np.sin(x * B))
        B[B > np.median(B)] *= -0.5
    return s


def mask_shrinks_in_while(x, W):
    """The same in a while loop, the mask selecting fewer entries each step."""
    B = W * 1.0
    k = 0
    s = 0.0
    while k < 3:
        k += 1
        s = s + np.sum(np.cos(x * B) * k)
        B[B < 0.25] += 0.4
    return s


def index_moves_in_loop(x, W):
    """The same with an integer index array: the row of B's largest entry, each step."""
    B = W * 1.0
    s = 0.0
    for k in range(3):
        s = s + np.sum(x * B ** 2)
        B[np.argmax(B)] -= 1.0
    return s


def mask_name_rebound(x, W):
    """The same without a loop: the mask's name bound again after the write it indexes."""
    B = W * 1.0
    s = np.sum(np.sin(x * B))
    idx = B > np.median(B)
    B[idx] *= -0.5
    s = s + np.sum(np.sin(x * B))
    idx = B < np.median(B)
    B[idx] *= 3.0
    return s + np.sum(np.cos(x * B))


def mask_argument(x):
    x[x > 0.5] -= 0.5
    return np.sum(x ** 2)


def relu_loop(W, x):
    h = x * 1.0
    for _ in range(3):
        h = W @ h
        h[h < 0] = 0.0
    return np.sum(h * h)


# == 6 in-place methods ===========================================================================

def fill_row_of_matrix(x):
    B = np.outer(x, x)
    B[0].fill(x[1] * 2.0)
    return np.sum(B ** 2)


def sort_tail_in_place(x):
    y = np.tanh(x) * 1.0
    y[1:].sort()
    return np.sum(y * np.arange(x.shape[0]))


def put_into_column(x):
    B = np.outer(x, x)
    B[:, 1].put([0, 2, 0], x[:3])
    return np.sum(np.sin(B))


def fill_fancy_copy(x):
    B = np.outer(x, x)
    B[[0, 1]].fill(3.0)      # a fancy index makes a copy: B is left as it was
    return np.sum(B ** 2)


def fill_then_add(x):
    y = np.empty_like(x)
    y.fill(x[0])
    y += x
    return np.sum(y * y)


def sort_weighted(x, w):
    y = x * 2.0
    y.sort()
    return np.dot(y, w)


def sort_rows(A):
    B = np.tanh(A)
    B.sort(axis=1)
    return np.sum(B[:, -1] ** 2)


def put_method(x):
    y = np.zeros(5)
    y.put([0, 2, 0], x[:3])
    return np.sum(y * np.arange(1.0, 6.0))


def np_put(x):
    y = np.sin(x)
    np.put(y, [1, 3], x[:2] ** 2)
    return np.sum(y * y)


def fill_diagonal_value(A, s):
    B = A @ A.T
    np.fill_diagonal(B, s)
    return np.sum(B * B)


def fill_diagonal_const(A):
    B = A * 1.0
    np.fill_diagonal(B, 1.0)
    return np.sum(np.tanh(B @ A))


def place_negative(x):
    y = np.sin(3.0 * x)
    np.place(y, y < 0, x * 2.0)
    return np.sum(y * y)


def clip_method_out(x):
    y = 3.0 * x
    y.clip(-1.0, 1.0, out=y)
    return np.sum(y * x)


def clip_out_loop(W, x):
    h = x * 1.0
    for _ in range(2):
        h = W @ h
        np.clip(h, -1.0, 1.0, out=h)
    return np.sum(h ** 2)


# == 7 list aliasing ==============================================================================

def list_append_alias(x):
    a = [x[0]]
    b = a
    b.append(x[1] * 2.0)
    total = 0.0
    for v in a:
        total = total + v * v
    return total


def list_history(W, x):
    hs = []
    log = hs
    h = x
    for _ in range(3):
        h = np.tanh(W @ h)
        log.append(h)
    return np.sum(hs[-1] * hs[0])


def _push(stack, v):
    stack.append(v)


def list_helper_push(x):
    vals = [np.sin(x[0])]
    _push(vals, x[1] ** 2)
    _push(vals, x[2] * x[0])
    return vals[0] * vals[1] + vals[2]


def list_item_alias(x):
    a = [x[0], x[1]]
    b = a
    b[0] = x[2] * 3.0
    return a[0] * a[1]


def list_iadd_alias(x):
    a = [x[0]]
    b = a
    b += [x[1], x[2]]
    s = 0.0
    for v in a:
        s = s + np.sin(v)
    return s


def list_extend_insert(x):
    a = []
    b = a
    b.extend([x[0], x[1]])
    b.insert(0, x[2] * 2.0)
    return a[0] * a[1] - a[2]


def list_pop_alias(x):
    stack = [x[0], x[1] * 2.0, x[2] ** 2]
    view = stack
    top = view.pop()
    return top * len(stack) + stack[-1]


def list_states_mutated(W, x):
    states = []
    h = x * 1.0
    for _ in range(3):
        states.append(h)
        h *= 0.5
        h += np.tanh(W @ x)
    total = 0.0
    for s in states:
        total = total + np.sum(s * s)
    return total


# == 8 chained assignment =========================================================================

def chained_zeros(x):
    a = b = np.zeros_like(x)
    a += x
    b += x ** 2
    return np.sum(a * b)


def chained_scalar(x):
    a = b = 0.0
    for v in x:
        a += v
        b += v * v
    return a * b


def adam_moments(g):
    m = v = np.zeros_like(g)
    for t in range(3):
        m *= 0.9
        m += 0.1 * g
        v *= 0.99
        v += 0.01 * g * g
    return np.sum(m * m) + np.sum(v)


def chained_from_expression(x):
    u = w = x * 2.0
    u[0] = 0.0
    return np.sum(w * x)


def chained_three(x):
    p = q = r = np.ones_like(x)
    p *= x
    q += 1.0
    r -= np.sin(x)
    return np.sum(p * q * r)


def chained_rebind(x):
    a = b = x
    a = a * 2.0
    b = b + 1.0
    return np.sum(a * b)


def chained_subscript(x):
    y = np.zeros(4)
    y[0] = y[1] = x[0] * x[1]
    y[2] = s = np.sin(x[2])
    return np.sum(y * y) + s


# == 9 functions that mutate their arguments ======================================================

def mut_increment(x):
    x += 1.0
    return np.sum(x ** 2)


def mut_scale_and_zero(x):
    x *= 2.0
    x[0] = 0.0
    return np.sum(np.sin(x) * x)


def mut_slice_tanh(x):
    x[:] = np.tanh(x)
    return np.dot(x, x)


def mut_center(x):
    x -= x.mean()
    return np.sum(x ** 3)


def _normalise(v):
    v /= np.linalg.norm(v)


def mut_helper_normalise(x, w):
    _normalise(x)
    return np.dot(x, w) ** 2


def _add_square(v, d):
    v += d ** 2
    return np.sum(d)


def helper_writes_and_returns(x):
    y = np.sin(x)
    t = _add_square(y, x)
    return np.sum(y * x) + t


def _decay_rows(M, rate):
    for i in range(M.shape[0]):
        if i % 2 == 0:
            M[i] *= rate
        else:
            M[i] -= rate * M[i - 1]
    return M


def helper_in_loop_writes_rows(W, x):
    H = np.outer(x, x[:3])
    for k in range(2):
        R = _decay_rows(H, np.tanh(W[k]))
        H = R * 1.0
    return np.sum(H ** 2)


def nested_helper_for_effect(x):
    def bump(v, d):
        v[1:3] += d

    y = np.tanh(x)
    bump(y, x[0] ** 2)
    bump(y[1:], x[1])
    return np.sum(y ** 2)


def mut_sgd_step(W, X, y):
    for _ in range(2):
        r = X @ W - y
        W -= 0.1 * X.T @ r / X.shape[0]
    return np.sum((X @ W - y) ** 2)


def mut_sort_argument(x, w):
    x.sort()
    return np.dot(x, w)


def mut_other_argument(x, b):
    b += x
    return np.sum(b * x)


def mut_scale_row(W, x):
    W[0] *= np.cos(x[0])
    return np.sum(W * W)


def mut_cumsum_in_place(x):
    for i in range(1, x.shape[0]):
        x[i] += x[i - 1]
    return np.sum(x ** 2)


# == 10 loops carrying long chains of variables ===================================================

def shift_register_9(x):
    """Nine variables shift one place per step (a is newest)."""
    a = 0.0
    b = 0.0
    c = 0.0
    d = 0.0
    e = 0.0
    f = 0.0
    g = 0.0
    h = 0.0
    i = 0.0
    for t in range(x.shape[0]):
        i = h
        h = g
        g = f
        f = e
        e = d
        d = c
        c = b
        b = a
        a = x[t] * 1.5
    return (a * b + b * c + c * d + d * e + e * f + f * g + g * h + h * i)


def shift_register_10(x):
    """Ten variables: one more than fits a small register file."""
    a = 0.0
    b = 0.0
    c = 0.0
    d = 0.0
    e = 0.0
    f = 0.0
    g = 0.0
    h = 0.0
    i = 0.0
    j = 0.0
    for t in range(x.shape[0]):
        j = i
        i = h
        h = g
        g = f
        f = e
        e = d
        d = c
        c = b
        b = a
        a = x[t] * 1.5
    return (a * b + b * c + c * d + d * e + e * f + f * g + g * h + h * i + i * j)


def shift_register_20(x):
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    s4 = 0.0
    s5 = 0.0
    s6 = 0.0
    s7 = 0.0
    s8 = 0.0
    s9 = 0.0
    s10 = 0.0
    s11 = 0.0
    s12 = 0.0
    s13 = 0.0
    s14 = 0.0
    s15 = 0.0
    s16 = 0.0
    s17 = 0.0
    s18 = 0.0
    s19 = 0.0
    for t in range(x.shape[0]):
        s19 = s18
        s18 = s17
        s17 = s16
        s16 = s15
        s15 = s14
        s14 = s13
        s13 = s12
        s12 = s11
        s11 = s10
        s10 = s9
        s9 = s8
        s8 = s7
        s7 = s6
        s6 = s5
        s5 = s4
        s4 = s3
        s3 = s2
        s2 = s1
        s1 = s0
        s0 = x[t] * 1.5
    return (s0 * s1 + s1 * s2 + s2 * s3 + s3 * s4 + s4 * s5 + s5 * s6 + s6 * s7 + s7 * s8 +
            s8 * s9 + s9 * s10 + s10 * s11 + s11 * s12 + s12 * s13 + s13 * s14 + s14 * s15 +
            s15 * s16 + s16 * s17 + s17 * s18 + s18 * s19)


def shift_register_50(x):
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    s4 = 0.0
    s5 = 0.0
    s6 = 0.0
    s7 = 0.0
    s8 = 0.0
    s9 = 0.0
    s10 = 0.0
    s11 = 0.0
    s12 = 0.0
    s13 = 0.0
    s14 = 0.0
    s15 = 0.0
    s16 = 0.0
    s17 = 0.0
    s18 = 0.0
    s19 = 0.0
    s20 = 0.0
    s21 = 0.0
    s22 = 0.0
    s23 = 0.0
    s24 = 0.0
    s25 = 0.0
    s26 = 0.0
    s27 = 0.0
    s28 = 0.0
    s29 = 0.0
    s30 = 0.0
    s31 = 0.0
    s32 = 0.0
    s33 = 0.0
    s34 = 0.0
    s35 = 0.0
    s36 = 0.0
    s37 = 0.0
    s38 = 0.0
    s39 = 0.0
    s40 = 0.0
    s41 = 0.0
    s42 = 0.0
    s43 = 0.0
    s44 = 0.0
    s45 = 0.0
    s46 = 0.0
    s47 = 0.0
    s48 = 0.0
    s49 = 0.0
    for t in range(x.shape[0]):
        s49 = s48
        s48 = s47
        s47 = s46
        s46 = s45
        s45 = s44
        s44 = s43
        s43 = s42
        s42 = s41
        s41 = s40
        s40 = s39
        s39 = s38
        s38 = s37
        s37 = s36
        s36 = s35
        s35 = s34
        s34 = s33
        s33 = s32
        s32 = s31
        s31 = s30
        s30 = s29
        s29 = s28
        s28 = s27
        s27 = s26
        s26 = s25
        s25 = s24
        s24 = s23
        s23 = s22
        s22 = s21
        s21 = s20
        s20 = s19
        s19 = s18
        s18 = s17
        s17 = s16
        s16 = s15
        s15 = s14
        s14 = s13
        s13 = s12
        s12 = s11
        s11 = s10
        s10 = s9
        s9 = s8
        s8 = s7
        s7 = s6
        s6 = s5
        s5 = s4
        s4 = s3
        s3 = s2
        s2 = s1
        s1 = s0
        s0 = x[t] * 1.5
    return (s0 * s1 + s1 * s2 + s2 * s3 + s3 * s4 + s4 * s5 + s5 * s6 + s6 * s7 + s7 * s8 +
            s8 * s9 + s9 * s10 + s10 * s11 + s11 * s12 + s12 * s13 + s13 * s14 + s14 * s15 +
            s15 * s16 + s16 * s17 + s17 * s18 + s18 * s19 + s19 * s20 + s20 * s21 + s21 * s22 +
            s22 * s23 + s23 * s24 + s24 * s25 + s25 * s26 + s26 * s27 + s27 * s28 + s28 * s29 +
            s29 * s30 + s30 * s31 + s31 * s32 + s32 * s33 + s33 * s34 + s34 * s35 + s35 * s36 +
            s36 * s37 + s37 * s38 + s38 * s39 + s39 * s40 + s40 * s41 + s41 * s42 + s42 * s43 +
            s43 * s44 + s44 * s45 + s45 * s46 + s46 * s47 + s47 * s48 + s48 * s49)



def shift_register_arrays(X):
    """Ten array-valued variables shift one place per step."""
    a = np.zeros(X.shape[1])
    b = a
    c = a
    d = a
    e = a
    f = a
    g = a
    h = a
    i = a
    j = a
    for t in range(X.shape[0]):
        j = i
        i = h
        h = g
        g = f
        f = e
        e = d
        d = c
        c = b
        b = a
        a = np.tanh(X[t]) * 1.5
    return np.sum(a * b + c * d + e * f + g * h + i * j)


def rotate_tuple_12(x):
    a, b, c, d, e, f, g, h, i, j, k, m = (0.0,) * 12
    for t in range(x.shape[0]):
        a, b, c, d, e, f, g, h, i, j, k, m = x[t] * 1.5, a, b, c, d, e, f, g, h, i, j, k
    return a * m + b * k + c * j + d * i + e * h + f * g


def shift_register_in_place(X):
    """The head is updated in place after the shift: b = a; a += ... changes b too."""
    a = np.zeros(X.shape[1])
    b = np.zeros(X.shape[1])
    c = np.zeros(X.shape[1])
    d = np.zeros(X.shape[1])
    for t in range(X.shape[0]):
        d = c
        c = b
        b = a
        a = a * 0.5
        a += X[t]
    return np.sum(a * b + c * d)


# == the table ====================================================================================

class F:
    """A float64 array of `shape`, uniform in [lo, hi), from the program's seeded RNG."""

    def __init__(self, *shape, lo=-1.0, hi=1.0):
        self.shape, self.lo, self.hi = shape, lo, hi

    def draw(self, rng):
        return rng.uniform(self.lo, self.hi, size=self.shape)


class S:
    """A Python float uniform in [lo, hi)."""

    def __init__(self, lo=-1.0, hi=1.0):
        self.lo, self.hi = lo, hi

    def draw(self, rng):
        return float(rng.uniform(self.lo, self.hi))


class Case:
    """One corpus program: its class, arguments (name -> F, S or a fixed value) and wrt (an
    index or a tuple of indices); hvp=False where the Hessian-vector product is not checked."""

    def __init__(self, cls, func, args, wrt=0, hvp=True):
        self.cls, self.func, self.args, self.wrt, self.hvp = cls, func, args, wrt, hvp
        self.name = func.__name__

    def make_args(self):
        import zlib
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        return [spec.draw(rng) if isinstance(spec, (F, S)) else np.array(spec, copy=True)
                for spec in self.args.values()]


IDX6 = [0, 2, 2, 1, 0, 3]        # repeated indices into a length-4 array
C = Case
CASES = [
    C("0 control", ctl_mlp, dict(W=F(4, 3), x=F(3), b=F(4)), wrt=(0, 1)),
    C("0 control", ctl_standardise, dict(X=F(5, 3), w=F(3)), wrt=(0, 1)),
    C("0 control", ctl_relu_where, dict(W=F(4, 3), x=F(3)), wrt=(0, 1)),
    C("0 control", ctl_fill_loop, dict(x=F(5))),
    C("0 control", ctl_scalar_accumulators, dict(x=F(5))),

    C("1 views", view_slice_imul, dict(x=F(4))),
    C("1 views", view_slice_add, dict(x=F(5))),
    C("1 views", view_row_increment, dict(x=F(4))),
    C("1 views", view_ravel_scale, dict(W=F(3, 4))),
    C("1 views", view_transpose_add, dict(A=F(3, 3), C=F(3, 3)), wrt=(0, 1)),
    C("1 views", standardise_columns, dict(X=F(5, 3), w=F(3)), wrt=(0, 1)),
    C("1 views", view_helper_center, dict(X=F(4, 3), w=F(3)), wrt=(0, 1)),
    C("1 views", view_helper_bump, dict(x=F(5))),
    C("1 views", view_alias_argument, dict(x=F(4))),
    C("1 views", view_ellipsis, dict(W=F(3, 3), x=F(3)), wrt=(0, 1)),
    C("1 views", view_reshape_rows, dict(x=F(6))),
    C("1 views", view_decay_loop, dict(H=F(3, 4), x=F(4)), wrt=(0, 1)),
    C("1 views", view_swap_columns, dict(A=F(4, 3), w=F(3)), wrt=(0, 1)),
    C("1 views", swap_columns_copied, dict(A=F(4, 3), w=F(3)), wrt=(0, 1)),
    C("1 views", tuple_write_then_index, dict(x=F(4))),
    C("1 views", copyto_overlapping_strided, dict(x=F(8))),
    C("1 views", assign_overlapping_strided, dict(x=F(8))),
    C("1 views", assign_overlapping_shift, dict(x=F(6))),
    C("1 views", alias_argument_rows_in_loop, dict(x=F(3), W=F(3, 4)), wrt=(0, 1)),
    C("1 views", standardise_some_columns, dict(X=F(5, 3), w=F(3)), wrt=(0, 1)),
    C("1 views", view_and_base_written_in_loop, dict(x=F(4))),
    C("1 views", alias_written_in_branch, dict(x=F(4))),
    C("1 views", view_renamed_after_base_rebound, dict(x=F(6))),
    C("1 views", view_read_in_loop_base_written, dict(x=F(8))),
    C("1 views", view_read_after_base_iadd, dict(x=F(8), W=F(2, 4)), wrt=(0, 1)),
    C("1 views", view_from_branch_read_in_loop, dict(x=F(8))),
    C("1 views", view_overlap_shift, dict(x=F(5))),
    C("1 views", view_split_halves, dict(x=F(6))),
    C("1 views", view_kept_then_base_filled, dict(x=F(3), W=F(2, 2)), wrt=(0, 1)),
    C("1 views", view_from_list_then_base_bumped, dict(x=F(8), W=F(2, 4))),

    C("2 out=", out_multiply, dict(x=F(5))),
    C("2 out=", out_exp_mean, dict(x=F(5))),
    C("2 out=", out_matmul, dict(A=F(3, 4), x=F(4)), wrt=(0, 1)),
    C("2 out=", out_dot_layers, dict(W=F(4, 4), x=F(4)), wrt=(0, 1)),
    C("2 out=", out_accumulate, dict(X=F(4, 3), w=F(4)), wrt=(0, 1)),
    C("2 out=", out_where, dict(x=F(6))),
    C("2 out=", out_self, dict(x=F(5))),
    C("2 out=", out_into_rows, dict(W=F(4, 4), x=F(4)), wrt=(0, 1)),
    C("2 out=", out_tuple, dict(x=F(5))),
    C("2 out=", out_matmul_into_row, dict(x=F(4))),
    C("2 out=", out_overlapping_slices, dict(x=F(4))),
    C("2 out=", out_subtract_argument, dict(x=F(4), y=F(4)), wrt=(0, 1)),

    C("3 copyto/at", copyto_basic, dict(x=F(5))),
    C("3 copyto/at", copyto_where, dict(x=F(6), z=F(6)), wrt=(0, 1)),
    C("3 copyto/at", copyto_into_view, dict(x=F(4))),
    C("3 copyto/at", copyto_into_fancy_copy, dict(x=F(4))),
    C("3 copyto/at", add_at_into_slice, dict(x=F(6), idx=IDX6)),
    C("3 copyto/at", add_at_segment_sum, dict(x=F(6), idx=IDX6)),
    C("3 copyto/at", add_at_embedding, dict(E=F(4, 3), ids=[1, 3, 1, 0], w=F(4)), wrt=(0, 2)),
    C("3 copyto/at", subtract_at_loop, dict(x=F(6), idx=IDX6)),
    C("3 copyto/at", multiply_at, dict(x=F(6, lo=0.5, hi=1.5), idx=IDX6)),
    C("3 copyto/at", maximum_at, dict(x=F(6), idx=IDX6)),
    C("3 copyto/at", minimum_at, dict(x=F(6, lo=0.0, hi=2.0), idx=IDX6)),

    C("4 fancy", fancy_assign_repeated, dict(x=F(6), idx=IDX6)),
    C("4 fancy", fancy_iadd_repeated, dict(x=F(6), idx=IDX6)),
    C("4 fancy", fancy_2d_pairs, dict(x=F(4))),
    C("4 fancy", fancy_loop_accumulate, dict(x=F(6), idx=IDX6)),
    C("4 fancy", fancy_literal_imul, dict(x=F(5))),
    C("4 fancy", fancy_helper_scatter, dict(x=F(6), idx=IDX6)),
    C("4 fancy", fancy_isub_list_index, dict(x=F(6))),

    C("5 mask", relu_mask, dict(W=F(5, 3), x=F(3)), wrt=(0, 1)),
    C("5 mask", leaky_mask, dict(W=F(5, 3), x=F(3)), wrt=(0, 1)),
    C("5 mask", clip_by_masks, dict(x=F(6))),
    C("5 mask", relu_two_layers, dict(W1=F(5, 3), W2=F(4, 5), x=F(3)), wrt=(0, 1, 2)),
    C("5 mask", threshold_small, dict(x=F(6, lo=-1.5, hi=1.5))),
    C("5 mask", mask_argument, dict(x=F(6))),
    C("5 mask", mask_moves_in_loop, dict(x=F(8), W=F(8))),
    C("5 mask", mask_shrinks_in_while, dict(x=F(8), W=F(8))),
    C("5 mask", index_moves_in_loop, dict(x=F(6), W=F(6))),
    C("5 mask", mask_name_rebound, dict(x=F(8), W=F(8))),
    C("5 mask", relu_loop, dict(W=F(4, 4), x=F(4)), wrt=(0, 1)),

    C("6 methods", fill_then_add, dict(x=F(5))),
    C("6 methods", fill_row_of_matrix, dict(x=F(4))),
    C("6 methods", sort_tail_in_place, dict(x=F(5))),
    C("6 methods", put_into_column, dict(x=F(4))),
    C("6 methods", fill_fancy_copy, dict(x=F(4))),
    C("6 methods", sort_weighted, dict(x=F(5), w=F(5)), wrt=(0, 1)),
    C("6 methods", sort_rows, dict(A=F(3, 4))),
    C("6 methods", put_method, dict(x=F(4))),
    C("6 methods", np_put, dict(x=F(5))),
    C("6 methods", fill_diagonal_value, dict(A=F(3, 2), s=S()), wrt=(0, 1)),
    C("6 methods", fill_diagonal_const, dict(A=F(3, 3))),
    C("6 methods", place_negative, dict(x=F(6))),
    C("6 methods", clip_method_out, dict(x=F(6))),
    C("6 methods", clip_out_loop, dict(W=F(4, 4), x=F(4)), wrt=(0, 1)),

    C("7 lists", list_append_alias, dict(x=F(3))),
    C("7 lists", list_history, dict(W=F(3, 3), x=F(3)), wrt=(0, 1)),
    C("7 lists", list_helper_push, dict(x=F(3))),
    C("7 lists", list_item_alias, dict(x=F(3))),
    C("7 lists", list_iadd_alias, dict(x=F(3))),
    C("7 lists", list_extend_insert, dict(x=F(3))),
    C("7 lists", list_pop_alias, dict(x=F(3))),
    C("7 lists", list_states_mutated, dict(W=F(3, 3), x=F(3)), wrt=(0, 1)),

    C("8 chained", chained_zeros, dict(x=F(5))),
    C("8 chained", chained_scalar, dict(x=F(5))),
    C("8 chained", adam_moments, dict(g=F(4))),
    C("8 chained", chained_from_expression, dict(x=F(5))),
    C("8 chained", chained_three, dict(x=F(5))),
    C("8 chained", chained_rebind, dict(x=F(5))),
    C("8 chained", chained_subscript, dict(x=F(3))),

    C("9 argument", mut_increment, dict(x=F(5))),
    C("9 argument", mut_scale_and_zero, dict(x=F(5))),
    C("9 argument", mut_slice_tanh, dict(x=F(5))),
    C("9 argument", mut_center, dict(x=F(5))),
    C("9 argument", mut_helper_normalise, dict(x=F(4), w=F(4)), wrt=(0, 1)),
    C("9 argument", helper_writes_and_returns, dict(x=F(4))),
    C("9 argument", helper_in_loop_writes_rows, dict(W=F(2, 3), x=F(4)), wrt=(0, 1)),
    C("9 argument", nested_helper_for_effect, dict(x=F(5))),
    C("9 argument", mut_sgd_step, dict(W=F(3), X=F(5, 3), y=F(5)), wrt=(0, 1)),
    C("9 argument", mut_sort_argument, dict(x=F(5), w=F(5)), wrt=(0, 1)),
    C("9 argument", mut_other_argument, dict(x=F(4), b=F(4)), wrt=(0, 1)),
    C("9 argument", mut_scale_row, dict(W=F(2, 3), x=F(2)), wrt=(0, 1)),
    C("9 argument", mut_cumsum_in_place, dict(x=F(5))),

    C("10 chains", shift_register_9, dict(x=F(12))),
    C("10 chains", shift_register_10, dict(x=F(13))),
    C("10 chains", shift_register_20, dict(x=F(23))),
    C("10 chains", shift_register_50, dict(x=F(53))),
    C("10 chains", shift_register_arrays, dict(X=F(13, 2))),
    C("10 chains", rotate_tuple_12, dict(x=F(14))),
    C("10 chains", shift_register_in_place, dict(X=F(6, 3))),
]
del C
