"""Run tools/structured_programs.py through an AD tool and count the right gradients.

    python tools/compare_structured.py --tool tangent_lite
    /work/venv-tangent/bin/python tools/compare_structured.py --tool tangent    # tangent-ad
    /work/venv-tangent/bin/python tools/compare_structured.py --tool autograd
"""
import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import structured_programs as P  # noqa: E402


def grad_of(tool):
    if tool == "tangent":
        import tangent
        return lambda f: tangent.grad(f, wrt=(0,), verbose=0)
    if tool == "autograd":
        import autograd
        return lambda f: autograd.grad(f, 0)
    import tangent_lite
    return tangent_lite.grad


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tool", default="tangent_lite", choices=["tangent_lite", "tangent",
                                                               "autograd"])
    tool = p.parse_args().tool
    warnings.simplefilter("ignore")
    grad = grad_of(tool)
    right = 0
    for name, (f, args, check) in P.CASES.items():
        try:
            good = bool(check(grad(f)(*args)))
            verdict = "right" if good else "WRONG"
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            good, verdict = False, f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
        right += good
        print(f"{name:14s} {verdict}")
    print(f"{tool}: {right} of {len(P.CASES)} right")


if __name__ == "__main__":
    main()
