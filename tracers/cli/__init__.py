"""Command line: ``python -m tracers run|show|list|doctor|sitecustomize``."""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from .._errors import ConfigError

_USAGE = """\
python -m tracers run [--backend NAME | --off] [--strict] (SCRIPT | -m MODULE) [ARGS...]
       python -m tracers show FILE_OR_MODULE [--on | --off] [--diff]
       python -m tracers list (FILE_OR_MODULE | --pid PID)
       python -m tracers doctor
       python -m tracers sitecustomize [--write [DIR]]"""


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "run":
        from .run import run  # argv after the target belongs to the program: parsed by hand
        return run(args[1:])
    parser = _parser()
    options = parser.parse_args(args)
    try:
        return int(options.command(options) or 0)
    except ConfigError as error:
        print(f"tracers: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tracers", usage=_USAGE,
                                     description="Typed probes that compile away when tracing is off.")
    commands = parser.add_subparsers(metavar="COMMAND", required=True)
    commands.add_parser("run", help="run a script or module with the import hook (see usage)")

    show = commands.add_parser("show", help="print a module's source as tracers rewrites it")
    show.add_argument("target", metavar="FILE_OR_MODULE")
    mode = show.add_mutually_exclusive_group()
    mode.add_argument("--on", dest="enabled", action="store_const", const=True,
                      help="rewrite as with tracing on (default: the TRACERS setting)")
    mode.add_argument("--off", dest="enabled", action="store_const", const=False,
                      help="rewrite as with tracing off")
    show.add_argument("--diff", action="store_true", help="print a unified diff against the original")
    show.set_defaults(command=_show)

    listing = commands.add_parser("list", help="list providers and probes, with a bpftrace line for each")
    source = listing.add_mutually_exclusive_group(required=True)
    source.add_argument("target", nargs="?", metavar="FILE_OR_MODULE", help="a file or module defining providers")
    source.add_argument("--pid", type=int, help="a running process with tracing on")
    listing.set_defaults(command=_list)

    doctor = commands.add_parser("doctor", help="report the platform, backends, tracer tools and runtime directory")
    doctor.set_defaults(command=_doctor)

    snippet = commands.add_parser("sitecustomize", help="print (or --write) the lines that activate the hook")
    snippet.add_argument("--write", nargs="?", const="", metavar="DIR",
                         help="append them to DIR/sitecustomize.py (default DIR: this interpreter's site-packages)")
    snippet.set_defaults(command=_sitecustomize)
    return parser


def _show(options: argparse.Namespace) -> int:
    from .show import show
    return show(options.target, options.enabled, options.diff)


def _list(options: argparse.Namespace) -> int:
    from .listing import list_target
    return list_target(options.target, options.pid)


def _doctor(options: argparse.Namespace) -> int:
    from .doctor import doctor
    return doctor()


def _sitecustomize(options: argparse.Namespace) -> int:
    from .snippet import sitecustomize
    return sitecustomize(options.write)


