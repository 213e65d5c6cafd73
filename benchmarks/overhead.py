"""The compiler's own overheads: first compile, cached lookup, decorator dispatch.

Prints medians; asserts nothing about time (see README.md in this folder).
"""
import argparse
import statistics
import sys
import time

import numpy as np

import tangent_lite
from tangent_lite import cache


def mlp_loss(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


@tangent_lite.differentiate(wrt=0)
def decorated(x):
    return np.sum(x * x)


def plain(x):
    return np.sum(x * x)


def median_time(fn, number, repeat):
    """Median seconds per call of fn() over `repeat` batches of `number` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few repetitions (CI smoke run)")
    args = parser.parse_args(argv)
    number, repeat = (200, 3) if args.quick else (20000, 7)

    first = []
    for _ in range(3 if args.quick else 10):
        cache.clear()
        t0 = time.perf_counter()
        tangent_lite.grad(mlp_loss, wrt=(0, 1, 2, 3))
        first.append(time.perf_counter() - t0)
    lookup = median_time(lambda: tangent_lite.grad(mlp_loss, wrt=(0, 1, 2, 3)), number, repeat)

    x = np.ones(3)
    df = tangent_lite.grad(plain)
    decorated.grad(x)
    direct = median_time(lambda: df(x), number, repeat)
    via_decorator = median_time(lambda: decorated.grad(x), number, repeat)

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"tangent_lite {tangent_lite.__version__}")
    print(f"first grad(f) of a 3-line MLP loss:   {statistics.median(first) * 1e3:8.2f} ms")
    print(f"cached grad(f) lookup:                 {lookup * 1e6:8.2f} us   (target < 5 us)")
    print(f"df(x) called directly:                 {direct * 1e6:8.2f} us")
    print(f"@differentiate .grad(x):               {via_decorator * 1e6:8.2f} us   "
          f"(overhead {max(via_decorator - direct, 0) * 1e6:.2f} us, target < 1 us)")


if __name__ == "__main__":
    main()
