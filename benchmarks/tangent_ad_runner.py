"""Time one problem's gradient with the Tangent fork (`pip install tangent-ad`, import name
`tangent`) in its own interpreter, for run.py's `tangent-ad` column.

tangent-ad pins old dependencies, so it lives in a virtual environment of its own; run.py
starts this script with that environment's python (--tangent-ad-python) once per problem and
size. The script builds the same case from problems.py / problems_gradbench.py, compares
tangent's gradient with the reference gradient run.py hands over (an .npz file: tangent_lite's
or the hand-written one, already checked against finite differences), then times it
round-robin against the same baseline run.py uses (the hand-written gradient, or the objective
itself), so that the ratio is measured within one process like every other column. It prints
one JSON object; a tangent failure is a result ("fails" and the error), not a crash.

    python tangent_ad_runner.py --problem gmm --size d2k5 --reference ref.npz
"""
import argparse
import gc
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import numpy as np   # noqa: E402


def build_case(problem, size):
    import problems
    import problems_gradbench
    if problem in problems_gradbench.PROBLEMS:
        return problems_gradbench.make_case(problem, size)
    return problems.make_case(problem, None if size in (None, "None") else _size(size))


def _size(text):
    try:
        return int(text)
    except ValueError:
        return text


def max_rel_error(got, want):
    worst = 0.0
    for g, w in zip(got, want):
        g, w = np.asarray(g, dtype=np.float64), np.asarray(w, dtype=np.float64)
        if g.shape != w.shape:
            return float("inf"), f"shape {g.shape}, expected {w.shape}"
        if not np.all(np.isfinite(g)):
            return float("inf"), "not finite"
        scale = max(float(np.max(np.abs(w))) if w.size else 0.0, 1e-300)
        worst = max(worst, float(np.max(np.abs(g - w))) / scale if w.size else 0.0)
    return worst, ""


def sample(call, number):
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(number):
        call()
    return time.perf_counter() - t0, time.process_time() - c0


def calibrate(call, min_time):
    number = 1
    while True:
        elapsed = min(sample(call, number))
        if elapsed >= min_time or number >= 10 ** 7:
            return number
        number = min(10 ** 7, number * 100, max(number * 2,
                                                int(number * 1.2 * min_time / max(elapsed, 1e-9)) + 1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", required=True)
    parser.add_argument("--size")
    parser.add_argument("--reference", required=True, help=".npz with arrays g0, g1, ...")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--min-time", type=float, default=0.02)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    parser.add_argument("--rtol", type=float, default=1e-6)
    args = parser.parse_args(argv)

    out = {}
    try:
        import tangent
        out["version"] = getattr(tangent, "__version__", "?")
    except ImportError as exc:
        print(json.dumps({"status": "not installed", "error": str(exc)}))
        return 0
    case = build_case(args.problem, args.size)
    with np.load(args.reference) as ref:
        want = [ref[f"g{i}"] for i in range(len(ref.files))]
    try:
        t0 = time.perf_counter()
        df = tangent.grad(case.func, wrt=tuple(case.wrt), verbose=0)
        out["prepare_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        got = df(*case.args)
        out["first_call_s"] = time.perf_counter() - t0
    except Exception as exc:   # tangent's refusal or crash is the result
        lines = str(exc).strip().splitlines()
        out.update(status="fails", error=f"{type(exc).__name__}: {lines[0][:160] if lines else ''}")
        print(json.dumps(out))
        return 0
    got = got if isinstance(got, (tuple, list)) else (got,)
    err, why = max_rel_error(got, want)
    out["max_rel_error"] = err
    if not err <= args.rtol:
        out.update(status="wrong", error=why or f"max relative error {err:.3g} > {args.rtol:g}")
        print(json.dumps(out))
        return 0

    baseline = case.hand if case.hand is not None else case.func
    cargs = case.args
    calls = {"baseline": lambda: baseline(*cargs), "tangent": lambda: df(*cargs)}
    numbers = {k: calibrate(c, args.min_time) for k, c in calls.items()}
    samples = {k: {"wall": [], "cpu": []} for k in calls}
    order = list(calls)
    for r in range(args.repeats):
        for key in order[r % 2:] + order[:r % 2]:
            wall, cpu = sample(calls[key], numbers[key])
            samples[key]["wall"].append(wall / numbers[key])
            samples[key]["cpu"].append(cpu / numbers[key])
    mine, base = samples["tangent"][args.clock], samples["baseline"][args.clock]
    out.update(status="ok", number=numbers["tangent"], median_s=statistics.median(mine),
               baseline_median_s=statistics.median(base),
               ratio=statistics.median([t / b for t, b in zip(mine, base)]),
               wall_samples_s=samples["tangent"]["wall"],
               cpu_samples_s=samples["tangent"]["cpu"])
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
