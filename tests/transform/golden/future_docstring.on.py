"""Module docstring."""
from __future__ import annotations
from __future__ import division
from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Boot_started = _tracers_LazyGate(globals(), '_tracers_gate_0_Boot_started', ('Boot', 'started'))

import os

from tracers import probe
from app.probes import Boot

if _tracers_gate_0_Boot_started:
    Boot.started.fire(os.getpid())
