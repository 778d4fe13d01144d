import tracers
import tracers.runtime
from app import probes


def handle(request):
    tracers.tracer(request)
    tracers.probe(request)
