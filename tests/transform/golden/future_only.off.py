from __future__ import annotations
from tracers import probe
from app.probes import Boot


def main() -> None:
    pass
