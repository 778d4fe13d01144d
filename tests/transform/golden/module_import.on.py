from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_probes_Http_request = _tracers_LazyGate(globals(), '_tracers_gate_0_probes_Http_request', ('probes', 'Http', 'request'))
_tracers_gate_1_probes_Http_done = _tracers_LazyGate(globals(), '_tracers_gate_1_probes_Http_done', ('probes', 'Http', 'done'))
import tracers
import tracers.runtime
from app import probes


def handle(request):
    if _tracers_gate_0_probes_Http_request:
        probes.Http.request.fire(request.method, request.path)
    if _tracers_gate_0_probes_Http_request:
        probes.Http.request.fire(request.method, request.path)
    tracers.tracer(request)
    tracers.probe(request)
    if _tracers_gate_1_probes_Http_done:
        probes.Http.done.fire()
