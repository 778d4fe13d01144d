from tracers import probe
from app.probes import Audit as _Service__Audit, Audit as __Audit


class Service:

    def run(self):
        pass

    class _Nested:
        def run(self):
            pass


def outside():
    pass
