"""Side-by-side gradient benchmark (issue 6): tangent_lite, autograd, JAX and PyTorch against a
hand-written NumPy gradient, all in one process, single-threaded.

For every problem and size it verifies each tool's gradient against the hand-written one (and
stops with exit status 1 when any disagrees), then times them round-robin and reports the median
time per gradient of each as a ratio to the hand-written gradient's median. Tools that are not
installed are skipped. It also measures tangent_lite's own costs (first compile of a ~50-line
function, cached lookup, @differentiate dispatch) and the peak memory of its gradient for a long
RNN. Nothing here asserts anything about time: see README.md in this folder.

    python benchmarks/run.py                          # everything installed, full sizes
    python benchmarks/run.py --quick                  # smallest sizes, few repeats (CI smoke run)
    python benchmarks/run.py --problems mlp,rnn --tools tangent_lite,torch
"""
import os
import sys

# Single-threaded everything, set before numpy (or anything linking a BLAS) is imported.
SINGLE_THREAD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "JAX_PLATFORMS": "cpu",
}
XLA_SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _force_single_thread_env():
    """Set the thread variables; True when something had to change."""
    changed = False
    for name, value in SINGLE_THREAD_ENV.items():
        if os.environ.get(name) != value:
            os.environ[name] = value
            changed = True
    xla = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in xla:
        os.environ["XLA_FLAGS"] = (xla + " " + XLA_SINGLE_THREAD).strip()
        changed = True
    return changed


# glibc's allocator, pinned. By default glibc returns freed blocks over 128 KB to the kernel
# (mmap) and trims the heap top, and it moves that threshold with the history of frees, so
# whether a program's arrays are faulted in again at every call depends on what ran before:
# ~2 us a 4 KB page, it can decide a ratio (np.sum(x[1:] * x[:-1]) at n = 10^5: 554 faults, 15x
# slower a call). Pinned, freed memory is kept for reuse in every tool's process alike (the
# objective, the hand-written gradient and each tool are measured with the same allocator).
# `--allocator default` measures glibc's own behaviour instead. glibc reads these variables at
# start-up only, hence the re-exec below.
PINNED_ALLOCATOR_ENV = {
    "MALLOC_TRIM_THRESHOLD_": "4000000000",
    "MALLOC_MMAP_THRESHOLD_": "4000000000",
}


def _wants_default_allocator(argv):
    return "--allocator=default" in argv or any(
        a == "--allocator" and b == "default" for a, b in zip(argv, argv[1:]))


def _force_allocator_env(argv):
    """Pin (or unpin) glibc's thresholds; True when something had to change."""
    changed = False
    for name, value in PINNED_ALLOCATOR_ENV.items():
        wanted = None if _wants_default_allocator(argv) else value
        if os.environ.get(name) != wanted:
            if wanted is None:
                del os.environ[name]
            else:
                os.environ[name] = wanted
            changed = True
    return changed


if __name__ == "__main__" and not os.environ.get("TANGENT_LITE_BENCH_REEXEC"):
    _threads_changed = _force_single_thread_env() and "numpy" in sys.modules
    if _force_allocator_env(sys.argv[1:]) or _threads_changed:
        # Start again so the variables take effect (glibc's at start-up; the thread variables
        # when numpy came in first through sitecustomize or a wrapper).
        os.environ["TANGENT_LITE_BENCH_REEXEC"] = "1"
        os.execv(sys.executable, [sys.executable] + sys.argv)
else:
    _force_single_thread_env()

import argparse          # noqa: E402
import datetime          # noqa: E402
import gc                # noqa: E402
import json              # noqa: E402
import platform          # noqa: E402
import statistics        # noqa: E402
import subprocess        # noqa: E402
import time              # noqa: E402
import tracemalloc       # noqa: E402
import types             # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import numpy as np       # noqa: E402

import problems as P     # noqa: E402
import problems_gradbench as GB   # noqa: E402

perf_counter = time.perf_counter


class BenchmarkError(Exception):
    """A tool's gradient disagrees with the hand-written one, or tangent_lite failed."""


# --- tools ---------------------------------------------------------------------------------------

def _as_tuple(grads):
    return grads if isinstance(grads, (tuple, list)) else (grads,)


class Tool:
    key = label = dist = ""
    module = None            # set by load()

    def load(self):
        """Import the tool; return its version. Raises ImportError when it is not installed."""
        raise NotImplementedError

    def prepare(self, case):
        """(call, to_numpy): call() computes the gradient once; to_numpy(result) gives a tuple
        of NumPy arrays for comparison."""
        raise NotImplementedError

    def supports(self, case):
        """Whether the tool has a version of the problem (PyTorch needs a torch translation)."""
        return True

    @staticmethod
    def wrt_arg(case, names=False):
        seq = case.wrt_names if names else case.wrt
        return seq[0] if len(seq) == 1 else tuple(seq)


class Hand(Tool):
    key, label = "hand", "hand-written"
    dist = "numpy"

    def load(self):
        return np.__version__

    def prepare(self, case):
        hand, args = case.hand, case.args
        return (lambda: hand(*args)), (lambda g: tuple(np.asarray(v) for v in _as_tuple(g)))


class TangentLite(Tool):
    key, label = "tangent_lite", "tangent_lite"
    dist = "tangent_lite"

    def load(self):
        import tangent_lite
        self.module = tangent_lite
        return tangent_lite.__version__

    def prepare(self, case):
        df = self.module.grad(case.func, wrt=self.wrt_arg(case, names=True))
        args = case.args
        return (lambda: df(*args)), (lambda g: tuple(np.asarray(v) for v in _as_tuple(g)))


class Autograd(Tool):
    key, label = "autograd", "autograd"
    dist = "autograd"

    def load(self):
        import autograd
        import autograd.numpy as anp
        self.module, self.anp = autograd, anp
        try:
            from importlib.metadata import version
            return version("autograd")
        except Exception:  # pragma: no cover
            return "?"

    def prepare(self, case):
        g = self.module.grad(P.rebind(case.func, self.anp), argnum=self.wrt_arg(case))
        args = case.args
        return (lambda: g(*args)), (lambda r: tuple(np.asarray(v) for v in _as_tuple(r)))


class JaxEager(Tool):
    key, label = "jax_eager", "JAX eager"
    dist = "jax"
    jit = False

    def load(self):
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        self.module, self.jnp = jax, jnp
        return jax.__version__

    def prepare(self, case):
        jax = self.module
        g = jax.grad(P.rebind(case.func, self.jnp), argnums=self.wrt_arg(case))
        # A Python int that is not differentiated (a step count, a degree of freedom) stays a
        # Python int: a loop's trip count must be known when jax.jit traces.
        static = tuple(i for i, a in enumerate(case.args) if _is_static(case, i))
        if self.jit:
            g = jax.jit(g, static_argnums=static)
        args = tuple(a if i in static else self.jnp.asarray(a)
                     for i, a in enumerate(case.args))
        block = jax.block_until_ready
        return (lambda: block(g(*args))), (lambda r: tuple(np.asarray(v) for v in _as_tuple(r)))


def _is_static(case, i):
    a = case.args[i]
    return i not in case.wrt and isinstance(a, (int, float)) and not isinstance(a, bool)


class JaxJit(JaxEager):
    key, label = "jax_jit", "jax.jit"
    jit = True


class Torch(Tool):
    key, label = "torch", "PyTorch"
    dist = "torch"

    def load(self):
        import torch
        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # already set, or parallel work already started
            pass
        import problems_torch
        self.module, self.funcs = torch, {"problems_torch": problems_torch}
        return torch.__version__

    def _funcs(self, case):
        if case.torch_module not in self.funcs:
            import importlib
            self.funcs[case.torch_module] = importlib.import_module(case.torch_module)
        return self.funcs[case.torch_module]

    def supports(self, case):
        return bool(case.torch_name) and hasattr(self._funcs(case), case.torch_name)

    def prepare(self, case):
        torch = self.module
        fn = getattr(self._funcs(case), case.torch_name)
        targs = []
        for i, a in enumerate(case.args):
            if _is_static(case, i):
                targs.append(a)
                continue
            if np.issubdtype(np.asarray(a).dtype, np.integer) and i not in case.wrt:
                targs.append(torch.from_numpy(np.asarray(a, dtype=np.int64)))
                continue
            t = torch.from_numpy(np.array(a, dtype=np.float64))
            if i in case.wrt:
                t.requires_grad_(True)
            targs.append(t)
        wrt = [targs[i] for i in case.wrt]
        autograd_grad = torch.autograd.grad

        def call():
            return autograd_grad(fn(*targs), wrt)

        return call, (lambda r: tuple(v.detach().numpy() for v in r))


class TangentAD(Tool):
    """The Tangent fork (`tangent-ad`), which pins old dependencies and so runs in a virtual
    environment of its own: tangent_ad_runner.py, started with that environment's python
    (--tangent-ad-python), checks and times it against the same baseline in its process."""
    key, label = "tangent_ad", "tangent-ad"
    dist = "tangent-ad"
    python = None     # set from --tangent-ad-python

    def load(self):
        if not self.python:
            raise ImportError("no --tangent-ad-python given", name="tangent (tangent-ad)")
        probe = subprocess.run([self.python, "-c", "import tangent; print(getattr(tangent, "
                                "'__version__', '?'))"], capture_output=True, text=True,
                               timeout=120)
        if probe.returncode != 0:
            raise ImportError(probe.stderr.strip().splitlines()[-1] if probe.stderr.strip()
                              else "tangent", name="tangent (tangent-ad)")
        return probe.stdout.strip()

    def measure(self, case, want, repeats, min_time):
        """The runner's JSON for one case; `want` is the verified reference gradient."""
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            ref = os.path.join(tmp, "reference.npz")
            np.savez(ref, **{f"g{i}": np.asarray(g) for i, g in enumerate(want)})
            cmd = [self.python, os.path.join(HERE, "tangent_ad_runner.py"),
                   "--problem", case.problem, "--size", str(case.size), "--reference", ref,
                   "--repeats", str(repeats), "--min-time", str(min_time), "--clock", CLOCK,
                   "--rtol", str(RTOL)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
            except subprocess.TimeoutExpired:
                return {"status": "fails", "error": "timed out after 1800 s"}
        try:
            return json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            return {"status": "fails", "error": tail[:160]}


TOOLS = [TangentLite(), Autograd(), JaxEager(), JaxJit(), Torch(), TangentAD()]
TOOL_ALIASES = {"jax": ["jax_eager", "jax_jit"], "jit": ["jax_jit"], "pytorch": ["torch"],
                "tangent": ["tangent_lite"], "tl": ["tangent_lite"],
                "tangent-ad": ["tangent_ad"]}


# --- timing --------------------------------------------------------------------------------------

CLOCKS = {"wall": perf_counter, "cpu": time.process_time}
CLOCK = "wall"     # the clock the ratios use; --clock changes it


def sample(call, number):
    """(wall seconds, CPU seconds of the whole process) for `number` calls of call(), after a
    gc.collect (GC stays enabled: a tool's garbage is part of its cost)."""
    gc.collect()
    c0, t0 = time.process_time(), perf_counter()
    for _ in range(number):
        call()
    t1, c1 = perf_counter(), time.process_time()
    return t1 - t0, c1 - c0


def calibrate(call, min_time):
    """The number of inner loops that makes one sample last at least min_time."""
    number = 1
    while True:
        # The lesser of the two clocks: on a busy machine the wall clock includes time spent
        # waiting for a CPU, which would leave too few loops for the real samples.
        elapsed = min(sample(call, number))
        if elapsed >= min_time or number >= 10 ** 7:
            return number
        grow = 1.2 * min_time / max(elapsed, 1e-9)
        number = min(10 ** 7, number * 100, max(number * 2, int(number * grow) + 1))


class Timing:
    """Per-call seconds of one call's samples, by both clocks; `samples` and `median` are by
    the selected clock."""

    def __init__(self, number):
        self.number, self.wall, self.cpu = number, [], []

    @property
    def samples(self):
        return self.wall if CLOCK == "wall" else self.cpu

    @property
    def median(self):
        return statistics.median(self.samples)

    def as_json(self):
        return {"median_s": self.median, "wall_samples_s": self.wall,
                "cpu_samples_s": self.cpu, "wall_median_s": statistics.median(self.wall),
                "cpu_median_s": statistics.median(self.cpu), "number": self.number}


def time_round_robin(calls, repeats, min_time):
    """{key: Timing} for a dict of calls, timed round-robin: one sample of each per round, the
    order rotating, so that load drifting on the machine hits them all alike."""
    timings = {key: Timing(calibrate(call, min_time)) for key, call in calls.items()}
    order = list(calls)
    for r in range(repeats):
        for key in order[r % len(order):] + order[:r % len(order)]:
            timing = timings[key]
            wall, cpu = sample(calls[key], timing.number)
            timing.wall.append(wall / timing.number)
            timing.cpu.append(cpu / timing.number)
    return timings


# --- verification --------------------------------------------------------------------------------

def max_rel_error(got, want):
    """Largest |got - want| relative to the largest |want| of each gradient."""
    if len(got) != len(want):
        return float("inf"), f"{len(got)} gradients, expected {len(want)}"
    worst = 0.0
    for i, (g, w) in enumerate(zip(got, want)):
        g, w = np.asarray(g, dtype=np.float64), np.asarray(w, dtype=np.float64)
        if g.shape != w.shape:
            return float("inf"), f"gradient {i} has shape {g.shape}, expected {w.shape}"
        if not np.all(np.isfinite(g)):
            return float("inf"), f"gradient {i} is not finite"
        scale = max(float(np.max(np.abs(w))) if w.size else 0.0, 1e-300)
        worst = max(worst, float(np.max(np.abs(g - w))) / scale if w.size else 0.0)
    return worst, ""


RTOL = 1e-6


def check_hand_gradient(case, eps=1e-6, grads=None, what="the hand-written gradient"):
    """Check the hand-written gradient (or `grads`, the reference gradient of a problem that
    has none) against central finite differences of the function in float64: for each
    differentiated argument, along that gradient's own direction (any error in its size shows)
    and along a random one, both of unit length (two calls of f each, so it runs at every size;
    a step this short crosses no ReLU kink). Raises BenchmarkError when they disagree."""
    grads = _as_tuple(case.hand(*case.args) if grads is None else grads)
    f0 = float(case.func(*case.args))
    rng = np.random.default_rng(1)
    for i, g in zip(case.wrt, grads):
        x, g = case.args[i], np.asarray(g, dtype=np.float64)
        directions = [g, rng.normal(size=np.shape(x))]
        for v in directions:
            norm = float(np.sqrt(np.sum(v * v)))
            if norm == 0.0:
                continue
            v = v / norm

            def moved(sign):
                args = list(case.args)
                args[i] = (type(x)(x + sign * eps * float(v)) if isinstance(x, float)
                           else x + sign * eps * v)      # a float stays a float, np.float64 too
                return float(case.func(*args))

            numeric = (moved(1.0) - moved(-1.0)) / (2 * eps)
            analytic = float(np.sum(g * v))
            if not abs(numeric - analytic) <= (1e-5 * max(abs(analytic), abs(numeric))
                                               + 1e-8 * (abs(f0) + 1.0)):
                name = case.func.__code__.co_varnames[i]
                raise BenchmarkError(f"{what} of {case.key} with respect to "
                                     f"{name} disagrees with finite differences: {analytic!r} "
                                     f"vs {numeric!r} along a direction")


def short_error(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160] if text else ''}"


# --- one problem at one size ---------------------------------------------------------------------

def reference(case):
    """(baseline call, verified reference gradient as NumPy arrays). With a hand-written
    gradient both are that gradient; without one (GradBench) the baseline is the objective and
    the reference is tangent_lite's gradient, checked here against finite differences."""
    if case.hand is not None:
        check_hand_gradient(case)
        hand_call, hand_np = Hand().prepare(case)
        return hand_call, hand_np(hand_call())
    import tangent_lite
    try:
        df = tangent_lite.grad(case.func, wrt=Tool.wrt_arg(case, names=True))
        want = tuple(np.asarray(v) for v in _as_tuple(df(*case.args)))
    except Exception as exc:
        raise BenchmarkError(f"tangent_lite failed on {case.key}: {short_error(exc)}") from exc
    check_hand_gradient(case, grads=want, what="tangent_lite's gradient")
    func, args = case.func, case.args
    return (lambda: func(*args)), want


def run_case(case, tools, repeats, min_time):
    hand_call, want = reference(case)
    calls = {"hand": hand_call}
    entry = {"problem": case.problem, "size": case.size, "label": case.label,
             "baseline": case.baseline, "target_tangent_lite": case.target, "tools": {}}
    mismatches = []
    subprocess_tools = []
    for tool in tools:
        if isinstance(tool, TangentAD):
            subprocess_tools.append(tool)
            continue
        if not tool.supports(case):
            entry["tools"][tool.key] = {"status": "n/a"}
            continue
        if GB.skipped(case, tool.key):
            entry["tools"][tool.key] = {"status": "skipped", "error": GB.skipped(case, tool.key)}
            continue
        info = {}
        try:
            t0 = perf_counter()
            call, to_np = tool.prepare(case)
            info["prepare_s"] = perf_counter() - t0
            t0 = perf_counter()
            got = to_np(call())       # the first call: jit compilation, warm caches
            info["first_call_s"] = perf_counter() - t0
        except Exception as exc:
            if tool.key == "tangent_lite":
                raise BenchmarkError(f"tangent_lite failed on {case.key}: {short_error(exc)}") \
                    from exc
            entry["tools"][tool.key] = {"status": "fails", "error": short_error(exc)}
            continue
        err, why = max_rel_error(got, want)
        info["max_rel_error"] = err
        if not err <= RTOL:
            mismatches.append(f"{tool.label} on {case.key}: "
                              f"{why or f'max relative error {err:.3g} > {RTOL:g}'}")
            continue
        info["status"] = "ok"
        entry["tools"][tool.key] = info
        calls[tool.key] = call
    gc.collect()
    gc.freeze()     # what setup left behind stays out of the timed collections
    if mismatches:
        raise BenchmarkError("gradient disagrees with the hand-written one:\n  "
                             + "\n  ".join(mismatches))

    timed = time_round_robin(calls, repeats, min_time)
    hand_t = timed.pop("hand")
    entry["hand_s"] = hand_t.median
    entry["hand"] = hand_t.as_json()
    for key, timing in timed.items():
        # The ratio is the median of the per-round ratios: each round samples every tool once,
        # close together in time, so load that drifts between rounds cancels out of the pairs.
        paired = [t / h for t, h in zip(timing.samples, hand_t.samples)]
        entry["tools"][key].update(timing.as_json(), ratio=statistics.median(paired),
                                   ratio_of_medians=timing.median / hand_t.median)
    for tool in subprocess_tools:
        if GB.skipped(case, tool.key):
            entry["tools"][tool.key] = {"status": "skipped", "error": GB.skipped(case, tool.key)}
            continue
        entry["tools"][tool.key] = tool.measure(case, want, repeats, min_time)
    return entry


# --- tangent_lite's own costs --------------------------------------------------------------------

def measure_overheads(tl, trials, repeats, min_time):
    from tangent_lite import cache
    f = P.two_layer_rnn_loss
    wrt = P.TWO_LAYER_RNN_WRT
    clear = getattr(cache, "clear", lambda: None)

    def fresh():   # the same function, as a new object: never in the cache
        return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                                  f.__closure__)

    compile_times = []
    for _ in range(trials):
        clear()
        g = fresh()
        t0 = perf_counter()
        tl.grad(g, wrt=wrt)
        compile_times.append(perf_counter() - t0)
    args = P.two_layer_rnn_inputs()
    clear()
    df = tl.grad(f, wrt=wrt)
    t0 = perf_counter()
    df(*args)      # the first call with arrays compiles the shape-specialised variant
    first_call = perf_counter() - t0
    t0 = perf_counter()
    df(*args)
    second_call = perf_counter() - t0
    err = tl.check_grad(f, *args, wrt=wrt)    # the compiled code is right (raises if not)
    lines = len(__import__("inspect").getsource(f).splitlines())

    decorated = tl.differentiate(wrt=0)(P.square_sum)
    direct_df = tl.grad(P.square_sum)
    x = np.ones(3)
    decorated.grad(x)
    gc.collect()
    gc.freeze()
    timed = time_round_robin({
        "lookup": lambda: tl.grad(f, wrt=wrt),
        "direct": lambda: direct_df(x),
        "decorated": lambda: decorated.grad(x),
    }, 3 * repeats, min_time)     # microsecond differences: more samples
    return {
        "compile_function_lines": lines,
        "compile_first_s": compile_times[0],
        "compile_median_s": statistics.median(compile_times),
        "compile_samples_s": compile_times,
        "compile_check_grad_error": err,
        "cached_lookup_s": timed["lookup"].median,
        "first_call_s": first_call,
        "second_call_s": second_call,
        "df_direct_s": timed["direct"].median,
        "decorated_grad_s": timed["decorated"].median,
        "decorator_overhead_s": timed["decorated"].median - timed["direct"].median,
    }


def peak_memory(call):
    """Peak bytes traced by tracemalloc during call(), above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = call()
        peak = tracemalloc.get_traced_memory()[1] - before
        del result
    finally:
        tracemalloc.stop()
    return peak


def measure_memory(tools, steps, hidden):
    case = P.rnn_case(hidden, steps)
    hand_call, hand_np = Hand().prepare(case)
    want = hand_np(hand_call())
    out = {"problem": f"RNN, {steps} steps, hidden {hidden}, batch {P.RNN_BATCH}; grad wrt W",
           "steps": steps, "hidden": hidden, "hand_peak_bytes": peak_memory(hand_call),
           "tools": {}}
    for tool in tools:
        if tool.key not in ("tangent_lite", "autograd"):    # tracemalloc sees NumPy only
            continue
        call, to_np = tool.prepare(case)
        err, why = max_rel_error(to_np(call()), want)
        if not err <= RTOL:
            raise BenchmarkError(f"{tool.label} on the {steps}-step RNN: "
                                 f"{why or f'max relative error {err:.3g}'}")
        peak = peak_memory(call)
        out["tools"][tool.key] = {"peak_bytes": peak, "ratio": peak / out["hand_peak_bytes"]}
    return out


# --- reporting -----------------------------------------------------------------------------------

def fmt_time(s):
    if s is None:
        return "-"
    if s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def fmt_ratio(info):
    if info is None:
        return "-"
    if info.get("status") != "ok":
        return info.get("status", "-")
    r = info["ratio"]
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


PROBLEM_SHORT = {"mlp": "MLP", "rnn": "RNN", "doubling": "while-loop (walkthrough)",
                 "scalar_loop": "scalar loop x1000", "mlp_dot": "MLP np.dot",
                 "rnn_dot": "RNN np.dot", "logreg": "logistic regression",
                 "mlp_softmax": "MLP ReLU softmax", "lstm": "LSTM", "conv1d": "conv1d loop",
                 "layernorm": "layer norm", "gmm": "GMM", "lstm_adbench": "ADBench LSTM",
                 "ba": "bundle adjustment", "kmeans": "k-means", "kmeans_dot": "k-means np.dot",
                 "ode": "ODE"}


def table(results, tools, baseline="hand-written"):
    head = ["problem", "size", baseline] + [t.label for t in tools]
    if any(t.key == "tangent_lite" for t in tools):
        head.append("target (tangent_lite)")
    rows = []
    for e in results:
        row = [PROBLEM_SHORT.get(e["problem"], e["problem"]),
               "-" if e["size"] is None else str(e["size"]), fmt_time(e["hand_s"])]
        row += [fmt_ratio(e["tools"].get(t.key)) for t in tools]
        if any(t.key == "tangent_lite" for t in tools):
            row.append(f"<= {e['target_tangent_lite']:.2f}x")
        rows.append(row)
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    lines = ["  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in
                       enumerate(zip(head, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def cpu_model():
    model, family, number = "unknown CPU", None, None
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "model name" and model == "unknown CPU":
                    model = value
                elif key == "cpu family" and family is None:
                    family = value
                elif key == "model" and number is None:
                    number = value
    except OSError:
        model = platform.processor() or model
    if family is not None:
        model += f" (family {family}, model {number})"
    return model


def environment(versions, skipped):
    info = {
        "timestamp": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "versions": versions,
        "skipped": skipped,
        "threads_env": {k: os.environ.get(k) for k in list(SINGLE_THREAD_ENV) + ["XLA_FLAGS"]},
        "allocator_env": {k: os.environ.get(k) for k in PINNED_ALLOCATOR_ENV},
    }
    try:
        info["load_average"] = list(os.getloadavg())
    except (AttributeError, OSError):
        pass
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if os.environ.get(var):
            info[var] = os.environ[var]
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:
        pass
    try:   # which tangent_lite was measured: its checkout's commit, or at least its path
        import tangent_lite
        root = os.path.dirname(os.path.dirname(os.path.abspath(tangent_lite.__file__)))
        info["tangent_lite_path"] = root
        git = ["git", "-C", root]
        commit = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "--", "tangent_lite"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        if commit:
            info["git_commit"] = commit + (" (tangent_lite/ modified)" if dirty else "")
    except (ImportError, OSError, subprocess.SubprocessError):
        pass
    return info


def plot(results, tools, path, baseline="hand-written"):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot: matplotlib not installed, no PNG written")
        return None
    cases = [PROBLEM_SHORT.get(e["problem"], e["problem"]).replace(" ", "\n", 1)
             + ("" if e["size"] is None else f"\n{e['size']}") for e in results]
    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(cases)), 5.5))
    width = 0.8 / max(1, len(tools))
    for j, tool in enumerate(tools):
        xs, ys = [], []
        for i, e in enumerate(results):
            info = e["tools"].get(tool.key)
            if info and info.get("status") == "ok":
                xs.append(i + (j - (len(tools) - 1) / 2) * width)
                ys.append(info["ratio"])
        ax.bar(xs, ys, width, label=tool.label)
        if tool.key == "tangent_lite":
            for i, e in enumerate(results):
                x = i + (j - (len(tools) - 1) / 2) * width
                ax.hlines(e["target_tangent_lite"], x - width / 2, x + width / 2,
                          colors="black", linewidth=2,
                          label="tangent_lite target" if i == 0 else None)
        for i, e in enumerate(results):
            info = e["tools"].get(tool.key)
            if info and info.get("status") in ("fails", "skipped"):
                ax.annotate(info["status"], (i + (j - (len(tools) - 1) / 2) * width, 1.0),
                            ha="center", va="bottom", fontsize=7, rotation=90)
    ax.axhline(1.0, color="gray", linestyle="--", linewidth=1)
    ax.set_yscale("log")
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels(cases, fontsize=8)
    if baseline == "objective":
        ax.set_ylabel("gradient time / objective time (log)")
        ax.set_title("GradBench objectives: gradient time relative to the NumPy objective "
                     "(single thread, lower is better)")
    else:
        ax.set_ylabel("time / hand-written NumPy gradient (log)")
        ax.set_title("Gradient time relative to hand-written NumPy (single thread, lower is "
                     "better)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def shown_path(path):
    rel = os.path.relpath(os.path.abspath(path))
    return path if rel.startswith("..") else rel


# --- main ----------------------------------------------------------------------------------------

def parse_list(text, known, aliases, what):
    out = []
    for item in (s.strip().lower() for s in text.split(",") if s.strip()):
        for name in aliases.get(item, [item]):
            if name not in known:
                raise SystemExit(f"run.py: unknown {what} {item!r}; choose from "
                                 f"{', '.join(known)}")
            if name not in out:
                out.append(name)
    return out


SECTIONS = ["overhead", "memory"]

# name: (sizes, quick sizes, make_case(name, size)) for every problem of both suites
ALL_PROBLEMS = {name: (spec[1], spec[2], P.make_case) for name, spec in P.PROBLEMS.items()}
ALL_PROBLEMS.update({name: (spec[1], spec[2], GB.make_case)
                     for name, spec in GB.PROBLEMS.items()})
SUITES = {"issue6": list(P.PROBLEMS) + SECTIONS, "gradbench": list(GB.PROBLEMS)}
SUITES["all"] = SUITES["issue6"] + SUITES["gradbench"]


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Benchmark gradients against a hand-written NumPy baseline (issue 6).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smallest sizes, few repeats: the CI smoke run (asserts no times)")
    parser.add_argument("--problems", default="all",
                        help="comma separated: " + ", ".join(SUITES["all"])
                        + " (default: the whole --suite)")
    parser.add_argument("--suite", choices=sorted(SUITES), default="all",
                        help="issue6: the problems with a hand-written gradient, tangent_lite's "
                        "own costs and memory; gradbench: the GradBench objectives, each "
                        "against its objective's time; all (default): both")
    parser.add_argument("--tangent-ad-python", default=os.environ.get("TANGENT_AD_PYTHON"),
                        help="python of a virtual environment with tangent-ad installed: "
                        "adds the tangent-ad column (default $TANGENT_AD_PYTHON)")
    parser.add_argument("--tools", default="all",
                        help="comma separated: " + ", ".join(t.key for t in TOOLS)
                        + " (jax = both JAX modes; default all that are installed)")
    parser.add_argument("--repeats", type=int, help="timed samples per tool (15; quick 3)")
    parser.add_argument("--min-time", type=float,
                        help="seconds each sample lasts at least (0.02; quick 0.005)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="what the ratios compare: wall time (perf_counter, the default) or "
                        "the process's CPU time (process_time: steadier on a busy machine, but "
                        "charges a tool for all its threads); both are kept in the JSON")
    parser.add_argument("--allocator", choices=["pinned", "default"], default="pinned",
                        help="pinned (the default): glibc keeps freed memory for reuse "
                        "(MALLOC_TRIM_THRESHOLD_/MALLOC_MMAP_THRESHOLD_ set, the same for every "
                        "tool); default: glibc's own thresholds, which move with the history of "
                        "frees, so arrays may be faulted in again at every call")
    parser.add_argument("--json", help="where to write the results "
                        "(default benchmarks/results/bench-<timestamp>.json)")
    parser.add_argument("--plot", help="PNG bar chart of the ratios (default: beside the JSON; "
                        "needs matplotlib)")
    args = parser.parse_args(argv)

    global CLOCK
    CLOCK = args.clock
    repeats = args.repeats or (3 if args.quick else 15)
    min_time = args.min_time or (0.005 if args.quick else 0.02)
    known_problems = SUITES["all"]
    if args.problems == "all":
        selected = SUITES[args.suite]
    else:
        selected = parse_list(args.problems, known_problems, {k: [v] for k, v in
                                                              P.ALIASES.items()}, "problem")
    TangentAD.python = args.tangent_ad_python
    if args.tools == "all" and not args.tangent_ad_python:
        print("tangent-ad: no --tangent-ad-python (or $TANGENT_AD_PYTHON) given, skipped")
    tool_keys = ([t.key for t in TOOLS if t.key != "tangent_ad" or args.tangent_ad_python]
                 if args.tools == "all" else
                 parse_list(args.tools, [t.key for t in TOOLS], TOOL_ALIASES, "tool"))

    versions = {"numpy": np.__version__}
    tools, skipped = [], {}
    for tool in TOOLS:
        if tool.key not in tool_keys:
            continue
        try:
            versions[tool.dist] = tool.load()
            tools.append(tool)
        except ImportError as exc:
            print(f"{tool.label}: not installed ({exc.name or exc}), skipped")
            skipped[tool.key] = "not installed"
        except Exception as exc:   # installed but broken
            print(f"{tool.label}: unavailable ({short_error(exc)}), skipped")
            skipped[tool.key] = short_error(exc)
    if "tangent_lite" in tool_keys and "tangent_lite" not in versions:
        raise SystemExit("run.py: tangent_lite is not importable; `pip install .` first")

    gc.collect()
    gc.freeze()     # the tools' modules: a gc.collect before each sample then costs microseconds
    env = environment(versions, skipped)
    print(f"machine: {env['cpu']}, {env['cores']} cores; {env['platform']}")
    if "git_commit" in env or "tangent_lite_path" in env:
        print("tangent_lite: " + (f"commit {env['git_commit']}" if "git_commit" in env
                                  else f"from {env['tangent_lite_path']}"))
    print("versions: python " + env["python"] + ", "
          + ", ".join(f"{k} {v}" for k, v in versions.items())
          + (f"; BLAS {env['blas']}" if "blas" in env else ""))
    pinned = all(os.environ.get(k) == v for k, v in PINNED_ALLOCATOR_ENV.items())
    print("allocator: " + ("glibc thresholds pinned (freed memory kept for reuse)" if pinned
                           else "glibc's default thresholds (freed memory may be unmapped)"))
    print(f"single-threaded; float64 everywhere; {repeats} rounds of one sample (>= "
          f"{min_time * 1e3:.0f} ms) per tool; {CLOCK} clock; times are medians, ratios the "
          f"median of each round's tool time / hand-written time (lower is better)")
    if env.get("load_average") and env["load_average"][0] > max(1.0, (os.cpu_count() or 1) - 1):
        print(f"note: the machine is busy (load average {env['load_average'][0]:.1f} on "
              f"{os.cpu_count()} cores): wall times include waiting for a CPU; --clock cpu "
              "is steadier")
    print()

    results = []
    try:
        for name in [p for p in ALL_PROBLEMS if p in selected]:
            full, quick, make_case = ALL_PROBLEMS[name]
            for size in (quick if args.quick else full):
                case = make_case(name, size)
                t0 = perf_counter()
                entry = run_case(case, tools, repeats, min_time)
                results.append(entry)
                print(f"  {case.key:<16} {case.baseline} {fmt_time(entry['hand_s']):>10}   "
                      + "  ".join(f"{t.label} {fmt_ratio(entry['tools'].get(t.key))}"
                                  for t in tools)
                      + f"   ({perf_counter() - t0:.1f} s)", flush=True)

        overhead = memory = None
        tl = next((t.module for t in tools if t.key == "tangent_lite"), None)
        if tl is not None and "overhead" in selected:
            overhead = measure_overheads(tl, 3 if args.quick else 10, repeats, min_time)
        if tl is not None and "memory" in selected:
            memory = measure_memory(tools, steps=1000, hidden=256)
    except BenchmarkError as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 1

    groups = {}      # the ratios' baseline: the hand-written gradient, or the objective
    for e in results:
        groups.setdefault(e.get("baseline", "hand-written"), []).append(e)
    for baseline, group in groups.items():
        print()
        if baseline == "objective":
            print("GradBench objectives: gradient time / the objective's own time "
                  "(issue 14's target <= 3x)")
        print(table(group, tools, baseline))
    if overhead:
        print()
        print("tangent_lite's own costs:")
        print(f"  first grad(f) of a {overhead['compile_function_lines']}-line function with "
              f"loops and branches: {fmt_time(overhead['compile_first_s'])} first in this "
              f"process, {fmt_time(overhead['compile_median_s'])} median   (target < 100 ms)")
        print(f"  cached grad(f) lookup:        {fmt_time(overhead['cached_lookup_s']):>10}"
              f"   (target < 5 us)")
        if "first_call_s" in overhead:
            print(f"  its df's first call:          {fmt_time(overhead['first_call_s']):>10}"
                  f"   (compiles the shape-specialised variant; the second call took "
                  f"{fmt_time(overhead['second_call_s'])})")
        extra = overhead["decorator_overhead_s"]
        shown = fmt_time(extra) if extra > 0 else "none measurable"
        print(f"  @differentiate .grad overhead: {shown:>9}   over df called directly "
              f"({fmt_time(overhead['df_direct_s'])} vs {fmt_time(overhead['decorated_grad_s'])})"
              f"   (target < 1 us)")
    if memory:
        print()
        print(f"peak memory (tracemalloc), {memory['problem']}:")
        print(f"  hand-written   {memory['hand_peak_bytes'] / 2**20:8.1f} MiB")
        for key, m in memory["tools"].items():
            target = "   (target <= 1.2x)" if key == "tangent_lite" else ""
            print(f"  {key:<14} {m['peak_bytes'] / 2**20:8.1f} MiB   {m['ratio']:.2f}x{target}")

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    json_path = args.json or os.path.join(HERE, "results", f"bench-{stamp}.json")
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    try:
        env["load_average_end"] = list(os.getloadavg())
    except (AttributeError, OSError):
        pass
    report = {"environment": env,
              "settings": {"quick": args.quick, "repeats": repeats, "min_time_s": min_time,
                           "clock": CLOCK,
                           "rtol": RTOL, "tools": [t.key for t in tools],
                           "problems": selected},
              "results": results, "overhead": overhead, "memory": memory}
    with open(json_path, "w") as fh:
        json.dump(report, fh, indent=1)
    print()
    print(f"wrote {shown_path(json_path)}")
    for baseline, group in groups.items():
        png = args.plot or os.path.splitext(json_path)[0] + ".png"
        if baseline == "objective" and len(groups) > 1:
            png = os.path.splitext(png)[0] + "-gradbench.png"
        png = plot(group, tools, png, baseline)
        if png:
            print(f"wrote {shown_path(png)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
