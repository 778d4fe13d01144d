from __future__ import annotations
from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Boot_main = _tracers_LazyGate(globals(), '_tracers_gate_0_Boot_main', ('Boot', 'main'))
from tracers import probe
from app.probes import Boot


def main() -> None:
    if _tracers_gate_0_Boot_main:
        Boot.main.fire()
