# sites: 3
import tracers
import tracers.runtime
from app import probes


def handle(request):
    tracers.probe(probes.Http.request(request.method, request.path))
    tracers.probe(probes.Http.request(request.method, request.path))
    tracers.tracer(request)
    tracers.probe(request)
    tracers.probe(probes.Http.done())
