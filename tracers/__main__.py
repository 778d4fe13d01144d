"""``python -m tracers``: see ``tracers.cli``."""
import sys

from tracers.cli import main

if __name__ == "__main__":
    sys.exit(main())
