"""Sixteen small programs structured as people write them (issue 13's "What fails today"),
each with a check of its gradient against finite differences: `python
tools/compare_structured.py --tool tangent_lite|tangent|autograd` runs them through a tool.
tests/test_structured_programs.py runs them through tangent_lite."""
import numpy as np, math, functools
CASES = {}
def fd(f, args, i=0, eps=1e-6):
    x = np.array(args[i], dtype=float); g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        a = list(args); xp = x.copy(); xp[k] += eps; a[i] = xp if x.ndim else float(xp)
        fp = f(*a); xm = x.copy(); xm[k] -= eps; a[i] = xm if x.ndim else float(xm)
        g[k] = (fp - f(*a)) / (2 * eps)
    return g
def close(a, b): return np.allclose(np.asarray(a, float), b, rtol=1e-5, atol=1e-7)

def tup(params, x):
    W = params[0]; b = params[1]
    return np.sum(np.tanh(np.dot(x, W) + b))
P0 = (np.ones((3, 4)) * .1, np.zeros(4)); X = np.ones((5, 3))
CASES["tuple_index"] = (tup, (P0, X), lambda g: close(g[0], fd(lambda W: tup((W, P0[1]), X), (P0[0],))))
def unpack(params, x):
    W, b = params
    return np.sum(np.tanh(np.dot(x, W) + b))
CASES["unpack"] = (unpack, (P0, X), lambda g: close(g[0], fd(lambda W: unpack((W, P0[1]), X), (P0[0],))))
def mlp_dict(params, x):
    h = np.tanh(np.dot(x, params['W1']) + params['b1'])
    return np.sum(np.dot(h, params['W2']) ** 2)
PD = {'W1': np.ones((3, 4)) * .1, 'b1': np.zeros(4), 'W2': np.ones((4, 2)) * .2}
CASES["dict"] = (mlp_dict, (PD, X), lambda g: close(g['W1'], fd(lambda W: mlp_dict(dict(PD, W1=W), X), (PD['W1'],))))
def ode(theta, x):
    a, b, c, d = theta
    return a * x[0] - b * x[0] * x[1] + c * d
T = np.array([1., 2, 3, 4]); Z = np.array([1., 2.])
CASES["unpack_array"] = (ode, (T, Z), lambda g: close(g, fd(ode, (T, Z))))
def mathf(x):
    return math.sin(x) * math.exp(x) + math.log(x)
CASES["math"] = (mathf, (1.3,), lambda g: close(g, fd(mathf, (1.3,))))
def genexp(x):
    return sum(x[i] ** 2 for i in range(3))
V = np.array([1., 2, 3])
CASES["genexp"] = (genexp, (V,), lambda g: close(g, 2 * V))
def comp(x):
    return sum([x[i] ** 2 for i in range(3)])
CASES["listcomp"] = (comp, (V,), lambda g: close(g, 2 * V))
class Model:
    def __init__(self): self.X = np.ones((4, 3))
    def loss(self, w):
        return np.sum(np.dot(self.X, w) ** 2)
M = Model()
CASES["bound_method"] = (M.loss, (np.ones(3),), lambda g: close(g, fd(M.loss, (np.ones(3),))))
def huber(x, delta):
    return np.sum(np.where(np.abs(x) < delta, x ** 2, delta * np.abs(x)))
H = functools.partial(huber, delta=1.0)
CASES["partial"] = (H, (np.array([0.5, 2.0]),), lambda g: close(g, [1.0, 1.0]))
def diff(x):
    return np.sum(np.diff(x) ** 2)
CASES["np.diff"] = (diff, (np.array([1., 3, 2]),), lambda g: close(g, fd(diff, (np.array([1., 3, 2]),))))
def walrus(x):
    if (n := np.sum(x)) > 0:
        return n * 2
    return n
CASES["walrus"] = (walrus, (np.ones(3),), lambda g: close(g, 2 * np.ones(3)))
def raising(x):
    if x.ndim != 1:
        raise ValueError("bad")
    return np.sum(x ** 2)
CASES["raise"] = (raising, (np.ones(3),), lambda g: close(g, 2 * np.ones(3)))
def items(params):
    t = 0.0
    for name, p in params.items():
        t = t + np.sum(p ** 2)
    return t
PI = {'a': np.ones(2), 'b': np.ones(3)}
CASES["items"] = (items, (PI,), lambda g: close(g['a'], 2 * np.ones(2)))
def layers(ls, x):
    h = x
    for W, b in ls:
        h = np.tanh(np.dot(h, W) + b)
    return np.sum(h)
L = [(np.ones((3, 3)) * .1, np.zeros(3))] * 2
CASES["for_unpack"] = (layers, (L, X), lambda g: close(g[0][0], fd(lambda W: layers([(W, L[0][1]), L[1]], X), (L[0][0],))))
def svd_loss(A):
    U, s, Vt = np.linalg.svd(A)
    return np.sum(s)
A = np.arange(6.).reshape(2, 3) + 1
CASES["svd_unpack"] = (svd_loss, (A,), lambda g: close(g, fd(svd_loss, (A,))))
def flat(x):
    return np.sum(x.flatten() ** 2)
CASES["flatten"] = (flat, (np.ones((2, 2)),), lambda g: close(g, 2 * np.ones((2, 2))))
