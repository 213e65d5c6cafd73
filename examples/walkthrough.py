"""The tangent_lite walkthrough: each step differentiates a small NumPy function, shows the
gradient code tangent_lite writes for it, and prints the gradient beside its analytic value.

Run it with `tangent-lite demo` or `python examples/walkthrough.py`.
"""
import numpy as np

import tangent_lite


# Step 1: a basic gradient. d/dx 2 x.x = 4x.
def dot_twice(x):
    return 2 * np.dot(x, x)


# Step 2: fresh gradients. Every call returns a new gradient: nothing accumulates between calls,
# so there is no zero_grad() to forget. To accumulate over mini-batches, add the results.
def total(x):
    return np.sum(x)


# Step 3: non-scalar outputs. grad of a non-scalar result is the gradient of the sum of its
# elements (as in MXNet and TensorFlow): here d/dx sum(x * x) = 2x.
def square(x):
    return x * x


# Step 4: detach. stop_gradient is the identity when run and a constant when differentiated:
# with u = stop_gradient(x * x), z = u * x has dz/dx = u.
def detach(x):
    u = tangent_lite.stop_gradient(x * x)
    z = u * x
    return z


# Step 5: control flow. The loop runs a data-dependent number of times and the branch depends
# on the data; the gradient code records both on a stack and replays them backwards.
# Whatever the branch and trip count, the result is a * 2**k (or -100 times that), so the
# gradient is f(a) / a.
def doubling(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


# Higher order: the gradient is itself differentiable. d2/dx2 x**3 = 6x.
def cube(x):
    return x ** 3


# Scalar code: plain arithmetic on floats in a loop. The function computes elementwise, so its
# gradient has a variant for numbers, which runs when a is a float: d/da sum sin(a i) a.
def sine_sum(a):
    s = 0.0
    for i in range(1000):
        s = s + np.sin(a * i) * a
    return s


# A loop that needs the stack: the backward sweep walks the time steps in reverse and pops the
# hidden state each step overwrote.
def rnn_loss(W, x, h):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h * h)


# A taste of real code: a two-layer network's loss, differentiated with respect to its weights.
def mlp_loss(W1, b1, W2, x, y):
    h = np.tanh(x @ W1 + b1)
    prediction = h @ W2
    return np.mean((prediction - y) ** 2)


def _step(title, func, args, expected, wrt=0, show_code=True):
    print(f"== {title}")
    if show_code:
        print(tangent_lite.source(func, wrt=wrt))
    got = tangent_lite.grad(func, wrt=wrt)(*args)
    got_list = got if isinstance(got, tuple) else (got,)
    exp_list = expected if isinstance(expected, tuple) else (expected,)
    ok = all(np.allclose(g, e, rtol=1e-7, atol=1e-10) for g, e in zip(got_list, exp_list))
    for g, e in zip(got_list, exp_list):
        print(f"gradient:  {np.array2string(np.asarray(g), precision=6)}")
        print(f"expected:  {np.array2string(np.asarray(e), precision=6)}")
    print("matches" if ok else "MISMATCH")
    print()
    return ok


def _mlp_expected(W1, b1, W2, x, y):
    # The gradient a careful person writes by hand.
    z = x @ W1 + b1
    h = np.tanh(z)
    r = h @ W2 - y
    dpred = 2 * r / r.size
    dW2 = h.T @ dpred
    dz = (dpred @ W2.T) * (1 - h * h)
    return x.T @ dz, dz.sum(axis=0), dW2


def _rnn_expected(W, xs, h):
    # Backpropagation through time, by hand.
    hs = [h]
    for x in xs:
        hs.append(np.tanh(W @ hs[-1] + x))
    dW = np.zeros_like(W)
    dh = 2 * hs[-1]
    for t in reversed(range(len(xs))):
        dz = dh * (1 - hs[t + 1] ** 2)
        dW += np.outer(dz, hs[t])
        dh = W.T @ dz
    return dW


def main():
    """Run every step; return True when every gradient matches its expected value."""
    x = np.arange(4.0)
    results = [
        _step("Step 1: the gradient of 2 * np.dot(x, x) is 4x", dot_twice, (x,), 4 * x),
        _step("Step 2: gradients are fresh on every call (np.sum(x) -> ones)", total, (x,),
              np.ones_like(x)),
    ]
    again = tangent_lite.grad(total)(x)
    print(f"second call: {again}  (the same, nothing accumulated)\n")
    results.append(np.array_equal(again, np.ones_like(x)))
    results.append(_step("Step 3: a non-scalar output x * x gives the gradient of its sum, 2x",
                         square, (x,), 2 * x))
    x3 = np.array([1.0, -2.0, 0.5])
    results.append(_step("Step 4: detach: u = stop_gradient(x * x); z = u * x has dz/dx = u",
                         detach, (x3,), x3 * x3))
    for a in (np.array([1.5, -0.5]), np.array([-3.0, 1.0])):
        results.append(_step(f"Step 5: control flow, a = {a}: the gradient is f(a) / a",
                             doubling, (a,), doubling(a) / a, show_code=a[0] > 0))
    second = tangent_lite.grad(tangent_lite.grad(cube))(2.0)
    print(f"== Higher order: grad(grad(cube))(2.0) = {second}   expected: 12.0\n")
    results.append(np.isclose(second, 12.0))
    a, da = np.array([1.5, -0.5]), np.array([1.0, 0.0])
    value, tangent = tangent_lite.jvp(doubling, (a,), (da,))
    expected = doubling(a) / a * da
    print(f"== Forward mode: jvp(doubling, (a,), (da,)) tangent = {tangent}   expected: "
          f"{expected}\n")
    results.append(np.allclose(tangent, expected))
    i = np.arange(1000)
    results.append(_step("Scalar code: the variant for numbers runs for a float", sine_sum,
                         (0.3,), np.sum(np.sin(0.3 * i) + 0.3 * i * np.cos(0.3 * i)),
                         show_code=False))
    print(tangent_lite.source(sine_sum, numbers=True))
    rng = np.random.default_rng(0)
    W, xs, h0 = 0.5 * rng.normal(size=(3, 3)), rng.normal(size=(4, 3)), rng.normal(size=3)
    results.append(_step("An RNN over 4 steps: the gradient with respect to W",
                         rnn_loss, (W, xs, h0), _rnn_expected(W, xs, h0)))
    W1, b1, W2 = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2))
    xb, yb = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    results.append(_step("A two-layer network: gradients with respect to W1, b1, W2", mlp_loss,
                         (W1, b1, W2, xb, yb), _mlp_expected(W1, b1, W2, xb, yb),
                         wrt=("W1", "b1", "W2")))
    print("All steps match." if all(results) else "Some steps did NOT match.")
    return all(results)


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
