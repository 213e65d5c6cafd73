"""The GradBench objectives of problems_gradbench.py written with torch ops, line for line.

Imported only when the PyTorch tool runs (it imports torch). Integer inputs (the observation
index of bundle adjustment, the step count of the ODE, the prior's degrees of freedom) arrive as
they are; float arrays arrive as float64 tensors.
"""
import math

import torch
from scipy.special import multigammaln

from problems_gradbench import lower_triangle_index


def logsumexp_rows(v):
    mx = torch.max(v, dim=1).values
    return torch.log(torch.sum(torch.exp(v - mx[:, None]), dim=1)) + mx


def gmm_objective(alpha, mu, q, l, x, gamma, m):
    n, d = x.shape
    k = alpha.shape[0]
    index = torch.from_numpy(lower_triangle_index(d))
    lower = torch.cat([torch.zeros((k, 1), dtype=l.dtype), l], dim=1)[:, index]
    Q = lower + torch.exp(q)[:, :, None] * torch.eye(d, dtype=q.dtype)
    xc = x[:, None, :] - mu[None, :, :]
    Qxc = torch.einsum("kij,nkj->nki", Q, xc)
    beta = alpha + torch.sum(q, dim=1) - 0.5 * torch.sum(Qxc ** 2, dim=2)
    amax = torch.max(alpha)
    lse_alpha = torch.log(torch.sum(torch.exp(alpha - amax))) + amax
    log_likelihood = (torch.sum(logsumexp_rows(beta))
                      - n * (lse_alpha + 0.5 * d * math.log(2 * math.pi)))
    nu = d + m + 1
    log_prior = (k * (nu * d * math.log(gamma / math.sqrt(2.0)) - multigammaln(0.5 * nu, d))
                 - 0.5 * gamma ** 2 * (torch.sum(torch.exp(2 * q)) + torch.sum(l ** 2))
                 + m * torch.sum(q))
    return log_likelihood + log_prior


def lstm_objective(main_params, extra_params, state, sequence):
    n_layers = main_params.shape[0] // 2
    b = sequence.shape[1]
    hidden = [state[2 * i].clone() for i in range(n_layers)]
    cell = [state[2 * i + 1].clone() for i in range(n_layers)]
    total = 0.0
    count = 0
    for t in range(sequence.shape[0] - 1):
        ypred = sequence[t] * extra_params[0]
        for i in range(n_layers):
            weight = main_params[2 * i]
            bias = main_params[2 * i + 1]
            forget = torch.sigmoid(ypred * weight[:b] + bias[:b])
            ingate = torch.sigmoid(hidden[i] * weight[b:2 * b] + bias[b:2 * b])
            outgate = torch.sigmoid(ypred * weight[2 * b:3 * b] + bias[2 * b:3 * b])
            change = torch.tanh(hidden[i] * weight[3 * b:] + bias[3 * b:])
            cell[i] = cell[i] * forget + ingate * change
            hidden[i] = outgate * torch.tanh(cell[i])
            ypred = hidden[i]
        ypred = ypred * extra_params[1] + extra_params[2]
        lse = torch.log(torch.sum(torch.exp(ypred)) + 2.0)
        total = total + torch.sum(sequence[t + 1] * (ypred - lse))
        count += b
    return -total / count


def ba_objective(cams, X, w, obs, feats):
    cam = cams[obs[:, 0]]
    Xo = X[obs[:, 1]] - cam[:, 3:6]
    rot = cam[:, 0:3]
    theta = torch.sqrt(torch.sum(rot * rot, dim=1))
    axis = rot / theta[:, None]
    costheta = torch.cos(theta)
    tmp = torch.sum(axis * Xo, dim=1) * (1.0 - costheta)
    Xcam = (Xo * costheta[:, None] + torch.linalg.cross(axis, Xo, dim=1)
            * torch.sin(theta)[:, None] + axis * tmp[:, None])
    proj = Xcam[:, :2] / Xcam[:, 2:3]
    rsq = torch.sum(proj * proj, dim=1)
    distortion = 1.0 + cam[:, 9] * rsq + cam[:, 10] * rsq * rsq
    proj = proj * (distortion * cam[:, 6])[:, None] + cam[:, 7:9]
    reproj_err = w[:, None] * (proj - feats)
    w_err = 1.0 - w * w
    return torch.sum(reproj_err ** 2) + torch.sum(w_err ** 2)


def kmeans_cost(centroids, points):
    d2 = torch.sum((points[:, None, :] - centroids[None, :, :]) ** 2, dim=2)
    return torch.sum(torch.min(d2, dim=1).values)


def kmeans_cost_dot(centroids, points):
    d2 = (torch.sum(points * points, dim=1)[:, None] - 2.0 * torch.matmul(points, centroids.T)
          + torch.sum(centroids * centroids, dim=1))
    return torch.sum(torch.min(d2, dim=1).values)


def ode_fun(x, y):
    return torch.cat([x[:1], x[1:] * y[:-1]])


def ode_last(x, s):
    h = 2.0 / s
    y = torch.zeros(x.shape[0], dtype=x.dtype)
    for _ in range(s):
        k1 = ode_fun(x, y)
        k2 = ode_fun(x, y + h * k1 / 2)
        k3 = ode_fun(x, y + h * k2 / 2)
        k4 = ode_fun(x, y + h * k3)
        y = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return y[-1]
