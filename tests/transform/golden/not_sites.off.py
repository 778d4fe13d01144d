from tracers import probe
import tracers
from app.probes import P

callback = lambda: probe(P.event(1))
events = [probe(P.event(i)) for i in range(3)]
lazy = (probe(P.event(i)) for i in range(3))
result = probe(P.event(2))
probe(P.event(3)) or None
probe(P.event(4), P.event(5))
probe(P.event(6), mode="fast")
probe(event=P.event(7))
probe(*events)
probe(ready)
probe(P.event)
probe(make_event(8))
probe(events[0].fire(9))
probe(P().event(10))
probe(P.event(11)).result
tracers.probe(P.event(12), extra=1)
tracers.sub.probe(P.event(13))
tracers.probe.fire(P.event(14))
P.probe(P.event(15))


def f():
    return probe(P.event(16))
