"""The `tangent-lite` command line."""
import argparse
import sys


def _demo(args):
    from .examples import walkthrough
    return 0 if walkthrough.main() else 1


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tangent-lite",
        description="Source-to-source automatic differentiation for Python and NumPy.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="run the walkthrough: differentiate the examples, print "
                                       "the generated code and each gradient beside its "
                                       "analytic value")
    demo.set_defaults(run=_demo)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
