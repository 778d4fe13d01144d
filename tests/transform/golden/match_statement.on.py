from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Parse_go = _tracers_LazyGate(globals(), '_tracers_gate_0_Parse_go', ('Parse', 'go'))
_tracers_gate_1_Parse_unknown = _tracers_LazyGate(globals(), '_tracers_gate_1_Parse_unknown', ('Parse', 'unknown'))
from tracers import probe
from app.probes import Parse


def parse(command):
    match command:
        case ["go", direction]:
            if _tracers_gate_0_Parse_go:
                Parse.go.fire(direction)
        case Parse(events=[*rest]):
            if (_tracers_event := rest.first).gate:
                _tracers_event.fire()
        case {"x": 1, **extra}:
            if (_tracers_event := extra.keyed).gate:
                _tracers_event.fire()
        case _:
            if _tracers_gate_1_Parse_unknown:
                Parse.unknown.fire(command)


def value_capture(command):
    match command:
        case {"probe": probe}:
            probe(Parse.captured())


def star_capture(command):
    match command:
        case [*probe]:
            probe(Parse.starred())


def rest_capture(command):
    match command:
        case {**probe}:
            probe(Parse.rest())
