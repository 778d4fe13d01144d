from tracers import probe
from app.probes import T


def generic[T](value: T) -> T:
    return value


class Box[T]:
    def get(self):
        pass


def plain():
    pass
