# requires: 3.12
# sites: 3
from tracers import probe
from app.probes import T


def generic[T](value: T) -> T:
    probe(T.checked())
    return value


class Box[T]:
    def get(self):
        probe(T.got())


def plain():
    probe(T.plain())
