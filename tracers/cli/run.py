"""``python -m tracers run``: start a program with the hook and a chosen mode."""
from __future__ import annotations

import os
import sys
from typing import Optional, Sequence

from .. import _config
from .._config import BACKENDS
from .._errors import ConfigError

USAGE = ("usage: python -m tracers run [--backend NAME | --off] [--strict] (SCRIPT | -m MODULE) [ARGS...]\n"
         f"  --backend NAME  trace with NAME: auto, {', '.join(BACKENDS)} (default: the TRACERS setting)\n"
         "  --off           tracing off: probe statements are deleted\n"
         "  --strict        raise on probe arguments that do not fit (for tests)")


def run(args: Sequence[str]) -> int:
    """Parse options up to the program, fix the mode, install the hook, run the program."""
    try:
        mode, strict, module, target, rest = _parse(list(args))
    except ValueError as problem:
        print(f"tracers run: {problem}\n{USAGE}", file=sys.stderr)
        return 2
    if strict:
        os.environ[_config.ENV_STRICT] = "1"
    try:
        if mode is not None:
            _config.launch(mode)
        else:
            _config.current()
    except ConfigError as error:
        print(f"tracers: {error}", file=sys.stderr)
        return 2

    from ..importhook import _runner, install
    install()
    try:
        if module:
            _runner.run_module(target, rest)
        else:
            _runner.run_script(target, rest)
    except SystemExit:
        raise
    except Exception as error:
        _runner.report_and_exit(error)
    return 0


def _parse(args: list[str]) -> tuple[Optional[str], bool, bool, str, list[str]]:
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
