"""Loops to checkpoint, written as users write them: a recurrent cell with a branch, early
exits, nested loops, helper calls, subscript writes, grad_of hooks, iteration over rows, lists
and zip, and while loops (tests/checkpoint/test_checkpoint.py differentiates each one with and
without checkpointing)."""
import numpy as np

import tangent_lite as tl


def rnn(W, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        if np.sum(h) > 0:
            h = h * 1.1
        else:
            h = h - 0.1
    return np.sum(h ** 2)


def early_exit(x, vs):
    total = 0.0
    for v in vs:
        if v > 4.0:
            break
        if v < 0:
            continue
        x = np.sin(x) * v + 0.1
        total = total + np.sum(x)
    return total + np.sum(x * x)


def returns_inside(x, n):
    for i in range(n):
        x = np.cos(x) * 1.5
        if np.sum(x) < -1.0:
            return np.sum(x) * 2.0
    return np.sum(x ** 3)


def nested(x, a):
    acc = np.zeros_like(x)
    for t in range(6):
        for j in range(3):
            x = x * a + np.sin(x) * 0.3
        acc = acc + x * t
    return np.sum(acc)


def cell(x, a):
    """A helper called in the loop body: differentiated from its own source."""
    return a * np.tanh(x) + 0.5 * x


def helper_calls(x, a):
    for _ in range(7):
        x = cell(x, a)
    return np.sum(x * x)


def subscript_writes(x, T):
    ys = np.zeros((T, x.shape[0]))
    for t in range(T):
        x = np.sin(x) + 0.25 * x
        ys[t] = x * t
    return np.sum(ys * ys)


def carried_buffer(x, T):
    buf = np.ones(3)
    for t in range(T):
        buf[t % 3] = buf[(t + 1) % 3] * np.sum(np.sin(x * t))
        x = x * 0.9 + buf
    return np.sum(x) + np.sum(buf ** 2)


def hooked(h, w):
    for t in range(6):
        h = np.tanh(h * w + 0.2)
        with tl.grad_of(h) as dh:
            dh = np.clip(dh, -0.5, 0.5)
    return np.sum(h)


def rows(X, h):
    for row in X:
        h = np.tanh(row * h + row)
    return np.sum(h)


def zipped(xs, ws, h):
    out = []
    for i, (x, w) in enumerate(zip(xs, ws)):
        h = np.sin(h * w) + x * i
        out.append(h)
    return np.sum(np.stack(out) ** 2)


def grows(x):
    while np.sum(x * x) < 60.0:
        x = x * 1.3 + 0.1
    return np.sum(np.sin(x))


def counted_while(x, n):
    i = 0
    while i < n:
        x = np.tanh(x) * 2.0 + 0.01 * i
        i += 1
        if np.max(x) > 50.0:
            break
    return np.sum(x * x)


def marked_for(W, h):
    for t in tl.checkpointed(range(9), snapshots=3):
        h = np.tanh(W @ h)
        if np.sum(h) > 0:
            h = h * 2.0
    return np.sum(h)


def unmarked_for(W, h):
    for t in range(9):
        h = np.tanh(W @ h)
        if np.sum(h) > 0:
            h = h * 2.0
    return np.sum(h)


def marked_while(x):
    k = 0
    while tl.checkpointed(k < 11, snapshots=2):
        x = np.sin(x) * 1.2 + 0.1
        k = k + 1
    return np.sum(x ** 2)


def unmarked_while(x):
    k = 0
    while k < 11:
        x = np.sin(x) * 1.2 + 0.1
        k = k + 1
    return np.sum(x ** 2)


def overwritten_before(x):
    """y is bound before the loop, read by the backward sweep of code before it, and
    overwritten in every step without being carried: kept at entry."""
    y = x * 2.0
    z = np.sin(y)
    for t in range(5):
        y = x * (t + 1.0)
        z = z + y * np.cos(z)
    return np.sum(z) + np.sum(y)


def stepped_range(x):
    for t in range(10, 0, -3):
        x = np.sin(x * t * 0.1) + x
    return np.sum(x ** 2)


def whiles_in_a_loop(x):
    for k in range(3):
        n = 0
        while n < k + 2:
            x = np.cos(x) + 0.3 * x
            n += 1
    return np.sum(x)


def inner_exits(x, a):
    """A `break` and a `return` inside a loop nested in the checkpointed one end that inner
    loop (and the function), not the replayed step (found by the random programs of
    tests/test_control_flow.py)."""
    s = x[0] * 1.0
    for t in range(6):
        for j in range(3):
            s = np.tanh(s * a) + x[1] * 0.3
            if s > 0.6:
                break
            if s < -0.9:
                return s * x[2]
        s = s * 0.9 - x[2] * 0.4
    return s
