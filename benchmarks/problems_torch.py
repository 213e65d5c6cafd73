"""The benchmark problems written with torch ops, line for line as in problems.py.

Imported only when the PyTorch tool runs (it imports torch).
"""
import torch


def mlp_loss(W1, b1, W2, b2, x, y):
    h = torch.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    return torch.mean((out - y) ** 2)


def rnn_loss(W, x, h):
    for t in range(x.shape[0]):
        h = torch.tanh(h @ W + x[t])
    return torch.sum(h * h)


def doubling(a):
    b = a * 2
    while torch.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def scalar_loop(a):
    s = 0.0
    for i in range(1000):
        s = s + torch.sin(a * i) * a
    return s
