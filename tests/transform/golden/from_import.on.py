from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_SimpleProbes_greeting = _tracers_LazyGate(globals(), '_tracers_gate_0_SimpleProbes_greeting', ('SimpleProbes', 'greeting'))
_tracers_gate_1_SimpleProbes_farewell = _tracers_LazyGate(globals(), '_tracers_gate_1_SimpleProbes_farewell', ('SimpleProbes', 'farewell'))
from tracers import probe
from .probes import SimpleProbes

if _tracers_gate_0_SimpleProbes_greeting:
    SimpleProbes.greeting.fire("hello", "world")


def greet(name):
    if _tracers_gate_0_SimpleProbes_greeting:
        SimpleProbes.greeting.fire("hello", name)
    return name


def farewell(name):
    if _tracers_gate_1_SimpleProbes_farewell:
        SimpleProbes.farewell.fire(name)
