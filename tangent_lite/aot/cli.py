"""The `tangent-lite` command line: show, gen, demo.

Thin on purpose: finding the function is targets.py's job, writing modules module.py's. What
lives here is the user-facing contract: every failure the user can fix (a wrong path, a missing
function, code tangent_lite cannot differentiate, a file it will not overwrite) is one line on
stderr and exit status 1, never a traceback; usage errors exit with 2, as argparse does.
"""
import argparse
import importlib.util
import os
import shlex
import sys

from .._version import __version__
from ..errors import TangentLiteError
from . import targets
from .module import derivative, generate_module, module_source

EXAMPLES = """examples:
  tangent-lite show examples/walkthrough.py:doubling
  tangent-lite show mypackage.model:loss --wrt W1,b1
  tangent-lite gen mypackage.model:loss mypackage.model:step --wrt W -o mypackage/grads.py
"""
MODES = ("reverse", "forward")


def _show(args):
    func = targets.load(args.target)
    text = derivative(func, targets.parse_wrt(args.wrt), args.mode, for_module=False).source
    sys.stdout.write(_highlight(text) if _use_color(args.color) else text)
    return 0


def _gen(args):
    functions = [targets.load(spec) for spec in args.targets]
    wrt = targets.parse_wrt(args.wrt)
    names = [n.strip() for n in args.name.split(",")] if args.name else None
    command = args.command_line   # recorded in the header: it regenerates the file
    if args.output is None:
        sys.stdout.write(module_source(functions, wrt=wrt, name=names, command=command,
                                       mode=args.mode))
        return 0
    path = generate_module(functions, args.output, wrt=wrt, name=names, force=args.force,
                           command=command, mode=args.mode)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _demo(args):
    from ..examples import walkthrough   # only the demo needs the examples
    return 0 if walkthrough.main() else 1


def _use_color(choice):
    """Highlight when asked to, or on a terminal (unless NO_COLOR is set); pygments is optional,
    without it the code is printed plain."""
    if choice == "never" or (choice == "auto" and (os.environ.get("NO_COLOR")
                                                    or not sys.stdout.isatty())):
        return False
    return importlib.util.find_spec("pygments") is not None


def _highlight(text):
    from pygments import highlight
    from pygments.formatters import TerminalFormatter
    from pygments.lexers import PythonLexer
    return highlight(text, PythonLexer(), TerminalFormatter())


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tangent-lite", epilog=EXAMPLES, formatter_class=argparse.RawTextHelpFormatter,
        description="Source-to-source automatic differentiation for Python and NumPy.")
    parser.add_argument("--version", action="version", version=f"tangent-lite {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    target_help = "the function, as path/to/file.py:NAME or package.module:NAME"
    mode_help = ("reverse: the gradient grad_FUNC (default); forward: jvp_FUNC, which returns "
                 "the value and its directional derivative along tangents given by keyword")
    wrt_help = ("the argument(s) to differentiate with respect to: names or indices, comma "
                "separated (default: the first argument)")

    show = sub.add_parser("show", help="print the gradient code tangent_lite generates",
                          description="Print the gradient code tangent_lite generates for a "
                                      "function (highlighted on a terminal when pygments is "
                                      "installed).")
    show.add_argument("target", metavar="PATH_OR_MODULE:FUNC", help=target_help)
    show.add_argument("--wrt", metavar="NAMES", help=wrt_help)
    show.add_argument("--mode", choices=MODES, default="reverse", help=mode_help)
    show.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                      help="syntax highlighting (default: auto, on a terminal)")
    show.set_defaults(run=_show)

    gen = sub.add_parser("gen", help="write gradients into a standalone Python module",
                         description="Write the gradients of one or more functions into a "
                                     "module that needs only numpy (and your own module "
                                     "where the gradients call your helpers).")
    gen.add_argument("targets", nargs="+", metavar="PATH_OR_MODULE:FUNC", help=target_help)
    gen.add_argument("--wrt", metavar="NAMES", help=wrt_help + "; applies to every FUNC")
    gen.add_argument("--name", metavar="NAME", help="the name(s) of the gradient function(s), "
                                                    "comma separated, one per FUNC (default: "
                                                    "grad_FUNC)")
    gen.add_argument("-o", "--output", metavar="OUT.py",
                     help="the file to write (default: print the module)")
    gen.add_argument("--mode", choices=MODES, default="reverse", help=mode_help)
    gen.add_argument("--force", action="store_true",
                     help="replace OUT.py even if tangent_lite did not generate it")
    gen.set_defaults(run=_gen)

    demo = sub.add_parser("demo", help="run the walkthrough: differentiate the examples, print "
                                       "the generated code and each gradient beside its "
                                       "analytic value")
    demo.set_defaults(run=_demo)
    return parser


def main(argv=None):
    """Run the command in `argv` (default: sys.argv[1:]); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    args.command_line = shlex.join(["tangent-lite", *argv])
    try:
        return args.run(args)
    except (targets.TargetError, OSError) as exc:
        return _fail(str(exc))
    except TangentLiteError as exc:
        return _fail(_one_line(exc))


def _fail(message):
    print(f"tangent-lite: error: {message}", file=sys.stderr)
    return 1


def _one_line(exc):
    """A TangentLiteError as one line: where, what, and what to do instead."""
    message = getattr(exc, "message", None)
    if message is None:
        return str(exc).splitlines()[0]
    where = f"{exc.filename}:{exc.lineno}: " if exc.filename and exc.lineno else ""
    hint = f" ({exc.hint})" if getattr(exc, "hint", None) else ""
    return " ".join(f"{where}{message}{hint}".split())


if __name__ == "__main__":
    sys.exit(main())
