"""Command line: ``python -m tracers COMMAND``, one module per command.

Each command's module (listed in COMMANDS) defines ``configure(parser)``,
which adds its arguments, and ``main(options) -> int``, which runs it. Only
the module of the command given is imported. ``run`` parses its own
arguments, since everything after its target belongs to the program.
"""

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    import argparse
    from typing import Optional, Sequence

#: command -> (its module in tracers.cli, one line of help)
COMMANDS = {
    "run": ("run", "run a script or module with the import hook (see: run --help)"),
    "show": ("show", "print a module's source as tracers rewrites it"),
    "list": ("listing", "list providers and probes, with a bpftrace line for each"),
    "trace": ("trace", "watch probes fire in running programs (through bpftrace)"),
    "doctor": ("doctor", "report the platform, backends, tracer tools and runtime directory"),
    "sitecustomize": ("snippet", "print (or --write) the lines that activate the hook"),
    "compile": ("compiling", "write the rewritten bytecode of modules with probe sites ahead of time"),
}

EXIT_OK = 0
EXIT_FAILED = 1  # nothing found, or a target could not be imported
EXIT_USAGE = 2  # bad option, no such file or module, invalid TRACERS
EXIT_PIPE = 141  # standard output was closed early; 128 + SIGPIPE, as a shell reports a program it ended

EXIT_STATUS = """\
exit status:
  0    success
  1    nothing found, a module could not be imported, a file could not be compiled (run: the program's status)
  2    usage error: unknown option, no such file or module, invalid TRACERS
  141  standard output closed early (... | head): output stops quietly"""


def main(argv: "Optional[Sequence[str]]" = None) -> int:
    """Entry point; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:
        from .run import run  # the program's output is the program's: not guarded below
        return run(args[1:])
    try:
        try:
            return _dispatch(args)
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader has gone (| head): drop what is still buffered, without a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_PIPE


def _dispatch(args: list[str]) -> int:
    from .._errors import ConfigError  # not for run, which starts the program as soon as it can

    parser = _parser(args[0] if args else None)
    options = parser.parse_args(args)
    if options.main is None:  # `run` after "--": it parses its own arguments, so it must come first
        parser.error(f"start with the command: {parser.prog} {options.command} ...")
    try:
        return int(options.main(options))
    except ConfigError as error:
        print(f"tracers: {error}", file=sys.stderr)
        return EXIT_USAGE


def _parser(command: "Optional[str]") -> "argparse.ArgumentParser":
    """The parser, with the arguments of ``command`` only (its module is the only one imported)."""
    import argparse
    import importlib

    from .. import __version__

    prog = _prog()
    parser = argparse.ArgumentParser(
        prog=prog, description="Typed probes that compile away when tracing is off.",
        epilog=EXIT_STATUS, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tracers {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, prog=prog)
    for name, (module_name, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(main=None)
        if name == command and name != "run":
            module = importlib.import_module(f"{__name__}.{module_name}")
            module.configure(sub)
            sub.set_defaults(main=module.main)
    return parser


def _prog() -> str:
    """``tracers`` when started by the console script, else ``python -m tracers``."""
    return "tracers" if os.path.basename(sys.argv[0]) == "tracers" else "python -m tracers"
