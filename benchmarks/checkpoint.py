"""Memory and time of gradients of long loops, with and without binomial checkpointing
(revolve, issue 15).

Two problems, each a loop of T steps:
- rnn: a recurrent cell, hidden size 256, batch 8: `h = tanh(W @ h + b)`, loss sum(h * h);
  the gradient with respect to W.
- ode: an RK4 integrator of dy/dt = tanh(A y) on a 64-dimensional state; the gradient of
  sum(y(T)^2) with respect to A.

For each T, tangent_lite's gradient recording every step (no checkpointing) and with
grad(f, checkpoint=s) for s in --snapshots; beside them, where installed, JAX (a `lax.scan`
jitted, without and with `jax.checkpoint` around the step) and PyTorch (eager, without and
with `torch.utils.checkpoint` over s segments). Every configuration runs in a fresh process:

- time: one gradient, after a warm-up that compiles it (JAX's compile is not counted);
- RSS: the process's peak resident memory during that gradient, less the resident memory
  before it (`resource.getrusage` ru_maxrss; /proc/self/statm);
- tracemalloc: the peak of NumPy and Python allocations during a second run (tangent_lite and
  NumPy only: tracemalloc does not see XLA's or PyTorch's allocator);
- model: (s + 1) loop states plus the working set (the tracemalloc peak of the recorded
  gradient with T = 1), the issue's target being a peak within 10% of it.

Time ratios are to tangent_lite without checkpointing at the same T, measured in the same run.
Nothing here is asserted: see benchmarks/README.md.

    python benchmarks/checkpoint.py                       # T = 10^4, s = 10, 20, 100
    python benchmarks/checkpoint.py --steps 10000,100000  # both sizes (the 10^5 runs take minutes)
    python benchmarks/checkpoint.py --plot docs/checkpoint.png --markdown table.md
    python benchmarks/checkpoint.py --from-json a.json b.json --plot docs/checkpoint.png
"""
import os
import sys

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")

import argparse      # noqa: E402
import importlib.util  # noqa: E402
import json          # noqa: E402
import pathlib       # noqa: E402
import resource      # noqa: E402
import subprocess    # noqa: E402
import time          # noqa: E402
import tracemalloc   # noqa: E402

import numpy as np   # noqa: E402

HIDDEN, BATCH, DIM, DT = 256, 8, 64, 0.01


# -- the problems, as tangent_lite users write them -------------------------------------------

def rnn_loss(W, b, h, T):
    for t in range(T):
        h = np.tanh(W @ h + b)
    return np.sum(h * h)


def rk4_loss(A, y, T):
    dt = DT
    for t in range(T):
        k1 = np.tanh(A @ y)
        k2 = np.tanh(A @ (y + 0.5 * dt * k1))
        k3 = np.tanh(A @ (y + 0.5 * dt * k2))
        k4 = np.tanh(A @ (y + dt * k3))
        y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.sum(y * y)


def inputs(problem):
    rng = np.random.default_rng(0)
    if problem == "rnn":
        W = rng.normal(size=(HIDDEN, HIDDEN)) / np.sqrt(HIDDEN)
        return (W, rng.normal(size=(HIDDEN, 1)) * 0.1, rng.normal(size=(HIDDEN, BATCH)))
    return (rng.normal(size=(DIM, DIM)) / np.sqrt(DIM), rng.normal(size=DIM))


def state_bytes(problem):
    """The bytes of one loop state (what a snapshot holds)."""
    return 8 * (HIDDEN * BATCH if problem == "rnn" else DIM)


# -- one configuration, in its own process ----------------------------------------------------

def _rss_now():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _tangent_lite(problem, steps, snapshots):
    import tangent_lite as tl
    f = rnn_loss if problem == "rnn" else rk4_loss
    df = tl.grad(f, checkpoint=snapshots or None)
    args = inputs(problem)
    return lambda T: df(*args, T)


def _jax(problem, steps, remat):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    args = [jnp.asarray(a) for a in inputs(problem)]

    if problem == "rnn":
        def loss(W, b, h, T):
            def step(h, _):
                return jnp.tanh(W @ h + b), None
            h, _ = jax.lax.scan(jax.checkpoint(step) if remat else step, h, None, length=T)
            return jnp.sum(h * h)
    else:
        def loss(A, y, T):
            def step(y, _):
                k1 = jnp.tanh(A @ y)
                k2 = jnp.tanh(A @ (y + 0.5 * DT * k1))
                k3 = jnp.tanh(A @ (y + 0.5 * DT * k2))
                k4 = jnp.tanh(A @ (y + DT * k3))
                return y + DT / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4), None
            y, _ = jax.lax.scan(jax.checkpoint(step) if remat else step, y, None, length=T)
            return jnp.sum(y * y)
    df = jax.jit(jax.grad(loss), static_argnums=(len(args),))
    df(*args, steps).block_until_ready()     # compile for this T: not timed
    return lambda T: df(*args, T).block_until_ready()


def _torch(problem, steps, segments):
    import torch
    from torch.utils.checkpoint import checkpoint
    torch.set_num_threads(1)
    args = [torch.tensor(a) for a in inputs(problem)]
    args[0].requires_grad_(True)
    if problem == "rnn":
        W, b, h0 = args

        def run(h, n):
            for _ in range(n):
                h = torch.tanh(W @ h + b)
            return h
        start = h0
    else:
        A, y0 = args

        def run(y, n):
            for _ in range(n):
                k1 = torch.tanh(A @ y)
                k2 = torch.tanh(A @ (y + 0.5 * DT * k1))
                k3 = torch.tanh(A @ (y + 0.5 * DT * k2))
                k4 = torch.tanh(A @ (y + DT * k3))
                y = y + DT / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            return y
        start = y0

    def gradient(T):
        x = start
        if segments:
            size = -(-T // segments)
            done = 0
            while done < T:
                n = min(size, T - done)
                x = checkpoint(run, x, n, use_reentrant=False)
                done += n
        else:
            x = run(x, T)
        (g,) = torch.autograd.grad(torch.sum(x * x), [args[0]])
        return g
    return gradient


def measure_one(problem, tool, steps, snapshots, trace):
    make = {"tangent_lite": _tangent_lite, "jax": _jax, "torch": _torch}[tool]
    gradient = make(problem, steps, snapshots)
    gradient(2)                                  # warm up: compile, caches
    base = _rss_now()
    t0 = time.perf_counter()
    gradient(steps)
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "rss": max(0, _peak_rss() - base)}
    if trace:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        gradient(steps)
        out["traced"] = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
    return out


def working_set(problem):
    """The tracemalloc peak of the recorded gradient for one step: arguments' gradients, one
    step's tape and temporaries (T = 1)."""
    gradient = _tangent_lite(problem, 1, 0)
    gradient(1)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    gradient(1)
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peak


# -- the driver -----------------------------------------------------------------------------

def _child(args):
    cmd = [sys.executable, __file__, "--one"] + [str(a) for a in args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _installed(name):
    return importlib.util.find_spec(name) is not None


def configurations(tools, snapshots):
    out = []
    if "tangent_lite" in tools:
        out.append(("tangent_lite", 0, "tangent_lite, every step recorded"))
        out += [("tangent_lite", s, f"tangent_lite, revolve s = {s}") for s in snapshots]
    if "jax" in tools:
        if _installed("jax"):
            out += [("jax", 0, "JAX lax.scan (jit)"),
                    ("jax", 1, "JAX lax.scan + jax.checkpoint(step)")]
        else:
            print("jax: not installed, skipped")
    if "torch" in tools:
        if _installed("torch"):
            out.append(("torch", 0, "PyTorch eager"))
            out += [("torch", s, f"PyTorch torch.utils.checkpoint, {s} segments")
                    for s in snapshots]
        else:
            print("torch: not installed, skipped")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="10000")
    parser.add_argument("--snapshots", default="10,20,100")
    parser.add_argument("--problems", default="rnn,ode")
    parser.add_argument("--tools", default="tangent_lite,jax,torch")
    parser.add_argument("--torch-steps-max", type=int, default=10_000,
                        help="run PyTorch only up to this T (eager PyTorch is slow on long "
                             "loops of small operations)")
    parser.add_argument("--json", default=None)
    parser.add_argument("--markdown", default=None)
    parser.add_argument("--plot", default=None)
    parser.add_argument("--from-json", nargs="+", default=None,
                        help="write the table and plot of earlier runs' JSON files instead")
    parser.add_argument("--one", nargs=5, default=None, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.from_json:
        rows = [r for path in opts.from_json for r in json.loads(pathlib.Path(path).read_text())]
        print(markdown(rows))
        if opts.markdown:
            pathlib.Path(opts.markdown).write_text(markdown(rows) + "\n")
        if opts.plot:
            plot(rows, opts.plot)
        return
    if opts.one:
        problem, tool, steps, snapshots, trace = opts.one
        if tool == "working_set":
            print(json.dumps({"traced": working_set(problem)}))
        else:
            print(json.dumps(measure_one(problem, tool, int(steps), int(snapshots),
                                         trace == "1")))
        return
    steps = [int(s) for s in opts.steps.split(",")]
    snapshots = [int(s) for s in opts.snapshots.split(",")]
    configs = configurations(opts.tools.split(","), snapshots)
    rows = []
    for problem in opts.problems.split(","):
        work = _child([problem, "working_set", 1, 0, 1])["traced"]
        for T in steps:
            base = None
            for tool, s, label in configs:
                if tool == "torch" and T > opts.torch_steps_max:
                    continue
                result = _child([problem, tool, T, s, int(tool == "tangent_lite")])
                row = dict(problem=problem, steps=T, tool=tool, snapshots=s, label=label,
                           **result)
                if tool == "tangent_lite" and s:
                    row["model"] = (s + 1) * state_bytes(problem) + work
                if tool == "tangent_lite" and not s:
                    base = row.get("seconds")
                if base and "seconds" in row:
                    row["ratio"] = row["seconds"] / base
                rows.append(row)
                print(_line(row), flush=True)
    table = markdown(rows)
    print()
    print(table)
    if opts.markdown:
        pathlib.Path(opts.markdown).write_text(table + "\n")
    path = opts.json or f"benchmarks/results/checkpoint-{time.strftime('%Y%m%d-%H%M%S')}.json"
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(path).write_text(json.dumps(rows, indent=1))
    if opts.plot:
        plot(rows, opts.plot)


def _mb(n):
    if n is None:
        return ""
    return f"{n / 2**20:.2f}" if n < 10 * 2**20 else f"{n / 2**20:.1f}"


def _line(row):
    if "error" in row:
        return f"{row['problem']} T={row['steps']} {row['label']}: {row['error']}"
    return (f"{row['problem']} T={row['steps']} {row['label']}: {row['seconds']:.2f} s "
            f"(x{row.get('ratio', float('nan')):.2f}), RSS {_mb(row['rss'])} MB, "
            f"traced {_mb(row.get('traced'))} MB")


def markdown(rows):
    out = ["| problem | T | gradient | time (s) | × recorded | peak RSS (MB) | "
           "tracemalloc peak (MB) | (s+1) states + working set (MB) | peak / model |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['problem']} | {r['steps']} | {r['label']} | failed: "
                       f"{r['error']} | | | | | |")
            continue
        model = r.get("model")
        fit = f"{r['traced'] / model:.2f}" if model and r.get("traced") else ""
        out.append(f"| {r['problem']} | {r['steps']:,} | {r['label']} | {r['seconds']:.2f} | "
                   f"{r.get('ratio', float('nan')):.2f} | {_mb(r['rss'])} | "
                   f"{_mb(r.get('traced'))} | {_mb(model)} | {fit} |")
    return "\n".join(out)


def plot(rows, path):
    """Peak memory and time against s, one line per problem and T (tangent_lite)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib: not installed, no plot")
        return
    fig, (mem, tim) = plt.subplots(1, 2, figsize=(10, 4))
    keys = sorted({(r["problem"], r["steps"]) for r in rows if r["tool"] == "tangent_lite"})
    for problem, T in keys:
        mine = [r for r in rows if r["tool"] == "tangent_lite" and r["problem"] == problem
                and r["steps"] == T and "seconds" in r]
        ck = sorted((r for r in mine if r["snapshots"]), key=lambda r: r["snapshots"])
        base = [r for r in mine if not r["snapshots"]]
        label = f"{problem}, T = {T:,}"
        line, = mem.plot([r["snapshots"] for r in ck], [r["traced"] / 2**20 for r in ck],
                         "o-", label=label)
        if base:
            mem.axhline(base[0]["traced"] / 2**20, color=line.get_color(), ls=":")
        tim.plot([r["snapshots"] for r in ck], [r["ratio"] for r in ck], "o-", label=label,
                 color=line.get_color())
    mem.set(xscale="log", yscale="log", xlabel="snapshots s",
            ylabel="tracemalloc peak (MB); dotted: recorded",
            title="memory of the gradient")
    tim.set(xscale="log", xlabel="snapshots s", ylabel="time / recorded gradient's time",
            title="time of the gradient")
    tim.axhline(1.0, color="grey", ls=":")
    mem.legend(fontsize=8)
    tim.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
