"""An ordinary module; the hook installed by sitecustomize rewrites it on import."""
from tracers import ProbeCall, probe, tracer


@tracer
class WorkerProbes:
    @staticmethod
    def step(index: int, done: bool) -> ProbeCall: ...


def work(steps: int) -> int:
    total = 0
    for index in range(steps):
        total += index
        probe(WorkerProbes.step(index, index == steps - 1))
    return total
