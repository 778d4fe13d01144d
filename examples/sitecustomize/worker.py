"""An ordinary module; the hook installed by sitecustomize rewrites it on import."""
from tracers import probe, tracer


@tracer
class WorkerProbes:
    def step(index: int, done: bool): ...


def work(steps: int) -> int:
    total = 0
    for index in range(steps):
        total += index
        probe(WorkerProbes.step(index, index == steps - 1))
    return total
