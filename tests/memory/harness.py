"""Run the memory corpus and random programs through an AD tool and judge every answer.

    python -m tests.memory.harness [--corpus] [--fuzz N] [--seed S]
                                   [--tool tangent_lite|tangent|autograd] [--apis grad,vjp,jvp,hvp]

The ground truth is always central finite differences of the program as NumPy runs it (float64,
eps 1e-6, every evaluation on fresh copies of the arguments, since programs may mutate them);
nothing is derived by hand. Each answer gets one verdict:

    correct          agrees with finite differences and leaves the caller's arguments unchanged
    wrong            a wrong gradient (or value, or shape, or a non-finite number): the bug class
    mutated caller   a right gradient, but the call changed the caller's arguments
    refused          a clear refusal: TangentLiteError for tangent_lite; for tangent its own
                     error classes and "not supported" messages; for autograd, which has no
                     error class of its own, any exception (see Autograd)
    internal error   any other exception, or a timeout
    bad sample       the harness's fault: finite differences at two step sizes disagree (the
                     sample point is at a kink); never expected for the corpus

Checks per program (tangent_lite; tangent and autograd are run through grad only):
    grad   tool.grad(f, wrt)(*args) vs finite differences of sum(f); with several arguments,
           also each one alone (wrt=i: the others are then constants, a case of its own for
           the activity analysis and the stack plan)
    vjp    the pullback of random weights w vs finite differences of sum(w * f)
    jvp    the directional derivative along random tangents vs finite differences along them
    hvp    the Hessian-vector product vs mixed second differences of sum(f) (step 1e-4; a
           second difference at 1e-6 is rounding noise), w.r.t. the first differentiated argument

tangent and autograd live in a separate venv (/work/venv-tangent, or $MEMORY_TOOL_PYTHON): when
they cannot be imported here, the harness reruns itself under that interpreter.
"""
import argparse
import collections
import contextlib
import copy
import importlib.util
import io
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

import numpy as np

from tests.helpers import numeric_grad

VERDICTS = ("correct", "wrong", "mutated caller", "refused", "internal error", "bad sample")
SHORT = {"correct": "ok", "wrong": "WRONG", "mutated caller": "MUTATED", "refused": "refused",
         "internal error": "INTERNAL", "bad sample": "bad-sample", None: "-"}
APIS = ("grad", "vjp", "jvp", "hvp")
EPS = 1e-6          # finite differences of first derivatives
EPS_CHECK = 1e-4    # the second step size that tells a smooth sample point from a kink
EPS_HVP = 1e-4      # mixed second differences
TOL = 1e-5          # max |got - fd| / max(1, max |fd|), first derivatives
TOL_HVP = 1e-4
TIMEOUT = 120       # seconds for one tool call
VENV_TANGENT = os.environ.get("MEMORY_TOOL_PYTHON", "/work/venv-tangent/bin/python")


# -- tools -------------------------------------------------------------------------------------

class Tool:
    """How one AD tool differentiates a function; load() gives the function the tool sees
    (autograd needs its own copy of the module, with np bound to autograd.numpy)."""
    name, apis = None, ("grad",)

    def load(self, module, name):
        return getattr(module, name)

    def refusal(self, exc):
        return False


class TangentLite(Tool):
    name, apis = "tangent_lite", APIS

    def __init__(self):
        import tangent_lite
        self.tl = tangent_lite

    def refusal(self, exc):
        return isinstance(exc, self.tl.TangentLiteError)

    def grad(self, f, wrt, args):
        return self.tl.grad(f, wrt=wrt)(*args)

    def vjp(self, f, wrt, args, weights):
        value, pullback = self.tl.vjp(f, *args, wrt=wrt)
        return value, pullback(weights)

    def jvp(self, f, args, tangents):
        return self.tl.jvp(f, tuple(args), tuple(tangents))

    def hvp(self, f, i, args, v):
        return self.tl.hvp(f, wrt=i)(*args, v)


class Tangent(Tool):
    """Refusals: tangent's own error classes, and the ValueErrors whose message says the
    construct is not supported."""
    name = "tangent"
    MESSAGES = ("not yet supported", "no support for", "not supported")

    def __init__(self):
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import tangent
            from tangent import error_handlers, errors
        self.tangent = tangent
        self.own = tuple(c for m in (errors, error_handlers) for c in vars(m).values()
                         if isinstance(c, type) and issubclass(c, BaseException)
                         and c.__module__.startswith("tangent"))

    def refusal(self, exc):
        return isinstance(exc, self.own) or any(m in str(exc) for m in self.MESSAGES)

    def grad(self, f, wrt, args):
        several = isinstance(wrt, tuple)
        g = self.tangent.grad(f, wrt=wrt if several else (wrt,), verbose=0)(*args)
        if not several and isinstance(g, tuple) and len(g) == 1:
            g = g[0]
        return g


class Autograd(Tool):
    """autograd traces through autograd.numpy: the program's module is loaded again and its
    `np` rebound, so helpers it calls trace too. Assignment into arrays is documented as
    unsupported and autograd has no error class of its own: every exception it ends in is loud
    (the exception's type and message are in the table's notes), so all count as refusals."""
    name = "autograd"

    def __init__(self):
        import autograd
        import autograd.numpy
        self.autograd, self.anp, self.copies = autograd, autograd.numpy, {}

    def load(self, module, name):
        path = module.__file__
        if path not in self.copies:
            spec = importlib.util.spec_from_file_location(module.__name__ + "_autograd", path)
            twin = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(twin)
            twin.np = self.anp
            self.copies[path] = twin
        return getattr(self.copies[path], name)

    def refusal(self, exc):
        return True

    def grad(self, f, wrt, args):
        return self.autograd.grad(f, wrt)(*args)


TOOLS = {"tangent_lite": TangentLite, "tangent": Tangent, "autograd": Autograd}


# -- ground truth ------------------------------------------------------------------------------

def fresh(args):
    return copy.deepcopy(list(args))


def on_copies(f):
    return lambda *a: f(*fresh(a))


def total(value, weights=None):
    value = np.asarray(value, dtype=np.float64)
    return float(np.sum(value if weights is None else weights * value))


def fd_grad(f, args, i, eps=EPS, weights=None):
    """Central differences of sum(weights * f) w.r.t. args[i], each evaluation on copies."""
    g = on_copies(f)
    return numeric_grad(lambda *a: total(g(*a), weights), fresh(args), i, eps=eps)


def shifted(args, i, delta):
    out = fresh(args)
    x = out[i]
    out[i] = float(x + delta) if isinstance(x, float) else np.asarray(x, np.float64) + delta
    return out


def fd_jvp(f, args, where, tangents, eps=EPS):
    plus, minus = fresh(args), fresh(args)
    for i, t in zip(where, tangents):
        plus[i] = shifted(plus, i, eps * t)[i]
        minus[i] = shifted(minus, i, -eps * t)[i]
    hi = np.asarray(f(*plus), np.float64)
    lo = np.asarray(f(*minus), np.float64)
    return (hi - lo) / (2 * eps)


def fd_hvp(f, args, i, v, h=EPS_HVP):
    """(H v)[k] = [F(x+h e_k+h v) - F(x+h e_k-h v) - F(x-h e_k+h v) + F(x-h e_k-h v)] / 4h^2."""
    x = np.asarray(args[i], np.float64)
    v = np.asarray(v, np.float64)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = h
        acc = 0.0
        for se, sv in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            acc += se * sv * total(f(*shifted(args, i, se * e + sv * h * v)))
        out[k] = acc / (4 * h * h)
    return out


def sample_is_smooth(f, args, where):
    """f runs, is finite, and finite differences at two step sizes agree for every wrt."""
    try:
        with np.errstate(all="ignore"):
            value = np.asarray(on_copies(f)(*args), np.float64)
            if not np.all(np.isfinite(value)):
                return False
            for i in where:
                a, b = fd_grad(f, args, i, EPS), fd_grad(f, args, i, EPS_CHECK)
                if not np.all(np.isfinite(a)) or scaled_error(a, b) > 10 * TOL:
                    return False
    except Exception:
        return False
    return True


# -- judging -----------------------------------------------------------------------------------

def scaled_error(got, expected):
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    return float(np.max(np.abs(got - expected), initial=0.0) /
                 max(1.0, float(np.max(np.abs(expected), initial=0.0))))


def same_value(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_value, a, b))
    return type(a) is type(b) and (a == b or (a != a and b != b))


def compare(got, expected, tol, what):
    """(error, note): note is None when they agree."""
    try:
        g = np.asarray(got, dtype=np.float64)
    except Exception:
        return float("inf"), f"{what}: not an array of numbers ({type(got).__name__})"
    if g.shape != np.shape(expected):
        return float("inf"), f"{what}: shape {g.shape}, expected {np.shape(expected)}"
    if not np.all(np.isfinite(g)):
        return float("inf"), f"{what}: not finite"
    err = scaled_error(g, expected)
    return err, (None if err <= tol else f"{what}: error {err:.2g}")


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout(f"no answer in {TIMEOUT} s")


@contextlib.contextmanager
def limits():
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), \
                np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def first_line(exc):
    text = str(exc).strip().splitlines()
    text = re.sub(r"(/[^\s:/]+)+/([^\s:/]+\.py)", r"\2", text[0] if text else "")
    return f"{type(exc).__name__}: {text}"[:160]


class Result:
    """The verdict of one check of one program."""
    __slots__ = ("verdict", "error", "note", "trace")

    def __init__(self, verdict, error=None, note=None, trace=None):
        self.verdict, self.error, self.note, self.trace = verdict, error, note, trace


def expectations(api, f, args, where, rng):
    """(what the tool is asked, [(label, expected, tol)]): the ground truth, computed before
    the tool runs. The tool's answer is a list in the order of the expectations."""
    if api == "grad":
        grads = [(f"d/d{i}", fd_grad(f, args, i), TOL) for i in where]
        alone = [(f"d/d{i} alone", exp, tol) for (_, exp, tol), i in zip(grads, where)] \
            if len(where) > 1 else []
        return None, grads + alone
    if api == "vjp":
        value = on_copies(f)(*args)
        weights = rng.standard_normal(np.shape(value))
        weights = float(weights) if np.ndim(weights) == 0 else weights
        return weights, [("value", np.asarray(value, np.float64), 1e-9)] + [
            (f"pullback d/d{i}", fd_grad(f, args, i, weights=weights), TOL) for i in where]
    if api == "jvp":
        tangents = [None] * len(args)
        for i in where:
            t = rng.standard_normal(np.shape(args[i]))
            tangents[i] = float(t) if isinstance(args[i], float) else t
        value = np.asarray(on_copies(f)(*args), np.float64)
        return tangents, [("value", value, 1e-9),
                          ("tangent", fd_jvp(f, args, where, [tangents[i] for i in where]), TOL)]
    i = where[0]
    v = rng.standard_normal(np.shape(args[i]))
    v = float(v) if isinstance(args[i], float) else v
    return v, [(f"hvp d/d{i}", fd_hvp(f, args, i, v), TOL_HVP)]


def at_step(api, f, args, where, question, eps):
    """The first-derivative expectations again, for the same question, at step `eps`. Where
    f's values are large, the rounding noise of a 1e-6 step (|f| * 1e-16 / 1e-6) can exceed
    TOL, and the coarser step EPS_CHECK, whose truncation error sample_is_smooth bounds, is the
    better ground truth; where f's third derivatives are huge (a value doubled 16 times), the
    truncation error of the 1e-6 step itself exceeds TOL, and the finer step EPS / 10, a
    hundredth of it, is. None for hvp."""
    if api == "grad":
        grads = [fd_grad(f, args, i, eps) for i in where]
        return grads + grads if len(where) > 1 else grads
    if api == "vjp":
        return [None] + [fd_grad(f, args, i, eps, weights=question) for i in where]
    if api == "jvp":
        return [None, fd_jvp(f, args, where, [question[i] for i in where], eps)]
    return None


def ask(tool, api, g, wrt, given, where, question):
    """The tool's answers, in the order of expectations()."""
    several = isinstance(wrt, tuple)
    if api == "grad":
        got = tool.grad(g, wrt, given)
        got = list(got) if several and isinstance(got, (tuple, list)) else \
            [got] if not several else got
        if several and len(where) > 1 and isinstance(got, list):
            got += [tool.grad(g, i, given) for i in where]
        return got
    if api == "vjp":
        value, got = tool.vjp(g, wrt, given, question)
        grads = list(got) if several and isinstance(got, (tuple, list)) else \
            [got] if not several else got
        return [value] + grads if isinstance(grads, list) else grads
    if api == "jvp":
        return list(tool.jvp(g, given, question))
    return [tool.hvp(g, where[0], given, question)]


def run_check(tool, api, f, g, args, where, wrt, rng):
    """One check: f is the function NumPy runs (ground truth), g the one the tool sees."""
    args = fresh(args)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        question, expected = expectations(api, f, args, where, rng)
    given = fresh(args)                 # what the tool is handed; must stay equal to args
    try:
        with limits():
            answers = ask(tool, api, g, wrt, given, where, question)
    except Exception as exc:  # noqa: BLE001 - every exception is judged
        verdict = "refused" if tool.refusal(exc) and not isinstance(exc, Timeout) \
            else "internal error"
        return Result(verdict, None, first_line(exc), traceback.format_exc())
    if not isinstance(answers, list) or len(answers) != len(expected):
        return Result("wrong", float("inf"), f"{len(expected)} results expected, got "
                      f"{len(answers) if isinstance(answers, list) else type(answers).__name__}")
    err, notes = 0.0, []
    for answer, (label, exp, tol) in zip(answers, expected):
        e, note = compare(answer, exp, tol, label)
        err = max(err, e)
        if note:
            notes.append(note)
    mutated = [k for k, (a, b) in enumerate(zip(args, given)) if not same_value(a, b)]
    if mutated:
        notes.append(f"changed the caller's argument(s) {mutated}")
    for eps in (EPS_CHECK, EPS / 10):
        if not (len(notes) > bool(mutated) and api != "hvp"):
            break
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            again = at_step(api, f, fresh(args), where, question, eps)
        rechecked = [compare(answer, exp if alt is None else alt, tol, label)
                     for answer, (label, exp, tol), alt in zip(answers, expected, again)]
        if all(note is None for _, note in rechecked):
            err = max(e for e, _ in rechecked)
            notes = notes[-1:] if mutated else []
    if len(notes) > bool(mutated):
        if api == "hvp" and not all(np.all(np.isfinite(exp)) for _, exp, _ in expected):
            return Result("bad sample", note="second differences overflow at this point")
        if api == "hvp" and scaled_error(fd_hvp(f, args, where[0], question, EPS_HVP / 2),
                                         expected[0][1]) > TOL_HVP:
            # a kink within reach of the second differences' stencil, not a wrong answer
            return Result("bad sample", note="second differences at two step sizes disagree")
        return Result("wrong", err, "; ".join(notes))
    if mutated:
        return Result("mutated caller", err, "; ".join(notes))
    return Result("correct", err)


def judge(tool, apis, f, g, args, wrt, hvp=True, seed=0):
    """{api: Result} for one program; f is what NumPy runs, g what the tool sees."""
    where = list(wrt) if isinstance(wrt, tuple) else [wrt]
    if not sample_is_smooth(f, args, where):
        return {api: Result("bad sample", note="finite differences disagree") for api in apis}
    out = {}
    for k, api in enumerate(apis):
        if api == "hvp" and not hvp:
            out[api] = None
            continue
        rng = np.random.default_rng([seed, k])
        out[api] = run_check(tool, api, f, g, args, where, wrt, rng)
    return out


# -- the corpus --------------------------------------------------------------------------------

def run_corpus(tool, apis, only=None):
    from tests.memory import corpus
    rows = []
    for case in corpus.CASES:
        if only and not any(o in case.name or o == case.cls.split()[0] for o in only):
            continue
        g = tool.load(corpus, case.name)
        results = judge(tool, apis, case.func, g, case.make_args(), case.wrt, case.hvp)
        rows.append((case.cls, case.name, results))
    return rows


# -- random programs ---------------------------------------------------------------------------

def fuzz_one(job):
    """Generate, pick a smooth sample point, judge. Runs in a worker process."""
    tool_name, apis, seed, k, directory = job
    from tests.memory.generator import find_program
    tool = _worker_tool(tool_name)
    try:
        found = find_program(seed, k, directory)
    except Exception as exc:  # noqa: BLE001 - a generator bug: shown, not fatal
        return (k, None, ["generator error"], [], {
            api: Result("bad sample", note="generator: " + first_line(exc)) for api in apis})
    if found is None:
        return (k, None, None, [], {api: Result("bad sample", note="no smooth sample point")
                                    for api in apis})
    module, args, features, families = found
    g = tool.load(module, "f")
    results = judge(tool, apis, module.f, g, args, (0, 1), True, seed=k)
    for r in results.values():
        if r is not None:
            r.trace = None
    return (k, module.__file__, features, families, results)


_TOOL = {}


def _worker_tool(name):
    if name not in _TOOL:
        _TOOL[name] = TOOLS[name]()
    return _TOOL[name]


def run_fuzz(tool_name, apis, n, seed, jobs, keep):
    directory = tempfile.mkdtemp(prefix=f"memfuzz_{seed}_")
    work = [(tool_name, apis, seed, k, directory) for k in range(n)]
    try:
        if jobs > 1:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(jobs, maxtasksperchild=200) as pool:
                rows = list(pool.imap(fuzz_one, work, chunksize=4))
        else:
            rows = [fuzz_one(job) for job in work]
    finally:
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)
    return rows, directory


# -- reports -----------------------------------------------------------------------------------

def cell(result):
    if result is None:
        return "-"
    if result.error is not None and np.isfinite(result.error) and result.verdict != "correct":
        return f"{SHORT[result.verdict]} {result.error:.1e}"
    return SHORT[result.verdict]


def print_table(rows, apis, verbose=False, fuzz=False):
    head = ["class", "program"] + list(apis) + ["max error", "first problem"]
    lines = []
    for cls, name, results in rows:
        errs = [r.error for r in results.values()
                if r is not None and r.error is not None and np.isfinite(r.error)]
        note = next((f"{api}: {r.note}" for api, r in results.items()
                     if r is not None and r.verdict != "correct" and r.note), "")
        lines.append([cls, name] + [cell(results[a]) for a in apis]
                     + [f"{max(errs):.1e}" if errs else "-", note[:110]])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)] if lines else []
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    print(fmt.format(*head))
    for line in lines:
        print(fmt.format(*line).rstrip())
    if verbose:
        for cls, name, results in rows:
            for api, r in results.items():
                if r is not None and r.trace and r.verdict == "internal error":
                    print(f"\n--- {name} {api}\n{r.trace}")


def summary(rows, apis, key=lambda cls, name: cls):
    """{group: {api: Counter(verdict)}}"""
    out = collections.OrderedDict()
    for cls, name, results in rows:
        for group in ([key(cls, name)] if isinstance(key(cls, name), str) else key(cls, name)):
            for api in apis:
                r = results.get(api)
                if r is not None:
                    out.setdefault(group, {a: collections.Counter() for a in apis})[api][
                        r.verdict] += 1
    return out


def counts_text(counter):
    parts = [f"{counter[v]} {SHORT[v]}" for v in VERDICTS if counter[v]]
    return ", ".join(parts) if parts else "-"


def totals(rows, apis):
    """{api: Counter(verdict)} over all rows."""
    grand = {a: collections.Counter() for a in apis}
    for _, _, results in rows:
        for a in apis:
            if results.get(a) is not None:
                grand[a][results[a].verdict] += 1
    return grand


def print_summary(table, grand, apis, title):
    print(f"\n{title}")
    head = ["group", "n"] + list(apis)
    lines = []
    for group, per_api in table.items():
        n = max(sum(c.values()) for c in per_api.values())
        lines.append([group, str(n)] + [counts_text(per_api[a]) for a in apis])
    lines.append(["all", str(max((sum(c.values()) for c in grand.values()), default=0))]
                 + [counts_text(grand[a]) for a in apis])
    widths = [max(len(x) for x in col) for col in zip(head, *lines)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    print(fmt.format(*head))
    for line in lines:
        print(fmt.format(*line).rstrip())
    return grand


def markdown(table, grand, apis):
    """The summary as a markdown table (for BASELINE.md)."""
    lines = ["| class | n | " + " | ".join(apis) + " |",
             "| --- | --- | " + " | ".join("---" for _ in apis) + " |"]
    groups = list(table.items()) + [("**all**", grand)]
    for group, per_api in groups:
        n = max(sum(c.values()) for c in per_api.values())
        lines.append(f"| {group} | {n} | " + " | ".join(counts_text(per_api[a]) for a in apis)
                     + " |")
    return "\n".join(lines) + "\n"


# -- main --------------------------------------------------------------------------------------

def reexec_if_needed(tool_name):
    """tangent and autograd live in their own venv: rerun there when they are missing here."""
    if tool_name == "tangent_lite" or importlib.util.find_spec(tool_name) is not None:
        return
    if os.environ.get("MEMORY_HARNESS_REEXEC") or not os.path.exists(VENV_TANGENT):
        sys.exit(f"{tool_name} is not importable here and {VENV_TANGENT} does not exist; "
                 "see tests/memory/BASELINE.md for how to install it")
    env = dict(os.environ, MEMORY_HARNESS_REEXEC="1")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    sys.exit(subprocess.call([VENV_TANGENT, "-m", "tests.memory.harness", *sys.argv[1:]],
                             env=env, cwd=root))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tests.memory.harness", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", action="store_true", help="run the corpus (the default when "
                   "--fuzz is not given)")
    p.add_argument("--fuzz", type=int, default=0, metavar="N", help="N random programs")
    p.add_argument("--seed", type=int, default=0, help="seed of the random programs")
    p.add_argument("--tool", choices=sorted(TOOLS), default="tangent_lite")
    p.add_argument("--apis", default=None, help="comma-separated subset of grad,vjp,jvp,hvp "
                   "(default: all the tool has; tangent and autograd have grad only)")
    p.add_argument("--only", nargs="*", help="corpus programs whose name contains one of "
                   "these, or classes by number (e.g. --only 5 relu)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="worker processes for --fuzz")
    p.add_argument("--all-rows", action="store_true", help="--fuzz: print every program, "
                   "not only those not correct")
    p.add_argument("--rows", type=int, default=100, metavar="N", help="--fuzz: print at most "
                   "N rows (0: all)")
    p.add_argument("--problems", action="store_true", help="--fuzz: print only the programs "
                   "with a wrong, mutated or internal-error answer (refusals are left out)")
    p.add_argument("--keep", action="store_true", help="--fuzz: keep the generated files")
    p.add_argument("--show", type=int, metavar="K", help="print random program K of --seed "
                   "(with its sample point) and exit")
    p.add_argument("--markdown", metavar="FILE", help="append the summary as markdown to FILE")
    p.add_argument("-v", "--verbose", action="store_true", help="tracebacks of internal errors")
    a = p.parse_args(argv)

    if a.show is not None:
        from tests.memory.generator import find_program
        d = tempfile.mkdtemp()
        found = find_program(a.seed, a.show, d)
        if found is None:
            print("no smooth sample point")
        else:
            module, args, features, families = found
            print(open(module.__file__).read())
            print("# features:", ", ".join(features))
            print(f"\n# the sample point\nx = np.array({args[0].tolist()!r})")
            print(f"W = np.array({args[1].tolist()!r})")
            if len(args) > 2:   # the complex data argument (generator.complex_data)
                print(f"c = np.array({args[2].tolist()!r})")
        shutil.rmtree(d, ignore_errors=True)
        return 0

    reexec_if_needed(a.tool)
    warnings.simplefilter("ignore")
    tool = _worker_tool(a.tool)
    apis = tuple(a.apis.split(",")) if a.apis else tool.apis
    unknown = [x for x in apis if x not in tool.apis]
    if unknown:
        p.error(f"{a.tool} has no {', '.join(unknown)} here")
    run_corpus_too = a.corpus or not a.fuzz
    bad = collections.Counter()
    md = []
    if run_corpus_too:
        start = time.time()
        rows = run_corpus(tool, apis, a.only)
        print(f"== corpus, {a.tool}: {len(rows)} programs ({time.time() - start:.0f} s)\n")
        print_table(rows, apis, a.verbose)
        table, grand = summary(rows, apis), totals(rows, apis)
        print_summary(table, grand, apis, f"summary by class ({a.tool})")
        md.append(f"### corpus, {a.tool}\n\n" + markdown(table, grand, apis))
        for c in grand.values():
            bad.update(c)
    if a.fuzz:
        start = time.time()
        rows, directory = run_fuzz(a.tool, apis, a.fuzz, a.seed, max(1, a.jobs), a.keep)
        frows = [("fuzz " + "+".join(fam), f"seed {a.seed} #{k}", results)
                 for k, path, feats, fam, results in rows]
        hidden = ("correct", "refused", "bad sample") if a.problems else ("correct",)
        shown = frows if a.all_rows else [r for r in frows if any(
            x is not None and x.verdict not in hidden for x in r[2].values())]
        limit = len(shown) if a.rows == 0 else a.rows
        print(f"\n== {a.fuzz} random programs, seed {a.seed}, {a.tool} "
              f"({time.time() - start:.0f} s); {len(shown)} not correct, the first "
              f"{min(limit, len(shown))} shown (--rows, --all-rows; --show K --seed {a.seed} "
              "prints program K)" + (f"; files kept in {directory}" if a.keep else "") + "\n")
        print_table(shown[:limit], apis)
        feats = {f"seed {a.seed} #{k}": (feats or ["no memory write"])
                 for k, _, feats, _, _ in rows}
        table = summary(frows, apis, key=lambda cls, name: feats[name])
        table = collections.OrderedDict(sorted(table.items()))
        grand = totals(frows, apis)
        print_summary(table, grand, apis, f"random programs by construct used ({a.tool}; a "
                      "program counts once under each construct it uses)")
        md.append(f"### {a.fuzz} random programs (seed {a.seed}), {a.tool}\n\n"
                  + markdown(table, grand, apis))
        for c in grand.values():
            bad.update(c)
    if a.markdown:
        with open(a.markdown, "a") as fh:
            fh.write("\n".join(md) + "\n")
    print("\nverdicts: " + counts_text(bad))
    return 0


if __name__ == "__main__":
    sys.exit(main())
