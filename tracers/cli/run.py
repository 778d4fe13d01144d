"""``python -m tracers run``: start a program with the hook and a chosen mode."""

import os
import sys

from .. import _config
from .._config import BACKENDS
from .._errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Optional, Sequence

USAGE = ("usage: python -m tracers run [--backend NAME | --off] [--strict] (SCRIPT | -m MODULE) [ARGS...]\n"
         f"  --backend NAME  fire probes with backend NAME: auto, {', '.join(BACKENDS)} (default: the TRACERS setting)\n"
         "  --off           tracing off: probe statements are deleted\n"
         "  --strict        raise on probe arguments that do not fit (for tests)")


def run(args: "Sequence[str]") -> int:
    """Parse options up to the program, fix the mode, install the hook, run the program."""
    try:
        mode, strict, module, target, rest = _parse(list(args))
    except ValueError as problem:
        print(f"tracers run: {problem}\n{USAGE}", file=sys.stderr)
        return 2
    if strict:
        os.environ[_config.ENV_STRICT] = "1"
    if mode is not None and not _valid(mode):
        print(f"tracers run: unknown backend {mode!r}; use one of: {', '.join(_CHOICES)} "
              f"(or --off)\n{USAGE}", file=sys.stderr)
        return 2
    try:
        if mode is not None:
            _config.launch(mode)
        else:
            _config.from_environment()
    except ConfigError as error:
        print(f"tracers: {error}", file=sys.stderr)
        return 2

    from ..importhook import ENV_HOOK, _runner, install
    if not module and not os.path.isfile(target):
        # As python does: exit 2 before anything runs, with errno's words.
        reason = "is a directory" if os.path.isdir(target) else "No such file or directory"
        print(f"tracers run: can't open file {os.path.abspath(target)!r}: {reason}", file=sys.stderr)
        return 2
    install()
    os.environ[ENV_HOOK] = "1"  # child processes install the hook as they start (tracers-importhook.pth)
    try:
        if module:
            _runner.run_module(target, rest)
        else:
            _runner.run_script(target, rest)
    except SystemExit:
        raise
    except ImportError as error:
        if module and _is_missing_target(error):
            print(f"tracers run: {error}", file=sys.stderr)  # python -m prints 'No module named ...'
            return 1
        _runner.raise_uncaught(error)
    except BaseException as error:  # Python itself reports it and ends the process (KeyboardInterrupt: by SIGINT)
        _runner.raise_uncaught(error)
    return 0


_CHOICES = ("auto",) + BACKENDS


def _valid(mode: str) -> bool:
    try:
        _config.parse_mode(mode)
    except ConfigError:
        return False
    return True


def _is_missing_target(error: "ImportError") -> bool:
    """Whether runpy could not find the module to run (not an import inside it)."""
    if error.__traceback__ is None:
        return False
    tb = error.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = tb.tb_frame.f_code.co_filename
    return filename.startswith("<frozen runpy") or filename.endswith("runpy.py")


def _parse(args: list[str]) -> "tuple[Optional[str], bool, bool, str, list[str]]":
    mode: Optional[str] = None
    strict = False
    while args:
        word = args.pop(0)
        if word == "--off":
            mode = "off"
        elif word == "--backend" or word.startswith("--backend="):
            value = word.partition("=")[2] if "=" in word else (args.pop(0) if args else "")
            if not value:
                raise ValueError("--backend needs a name")
            mode = value
        elif word == "--strict":
            strict = True
        elif word == "-m":
            if not args:
                raise ValueError("-m needs a module name")
            return mode, strict, True, args[0], args[1:]
        elif word in ("-h", "--help"):
            print(USAGE)
            raise SystemExit(0)
        elif word.startswith("-") and word != "-":
            raise ValueError(f"unknown option {word}")
        else:
            return mode, strict, False, word, args
    raise ValueError("no script or -m MODULE given")
