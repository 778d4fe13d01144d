# sites-on: 4
# sites-off: 5
from tracers import probe
from app.probes import Audit as _Service__Audit, Audit as __Audit


class Service:
    probe(__Audit.defined())

    def run(self):
        probe(__Audit.run(self.__name))
        probe(self.__probes.local())

    class _Nested:
        def run(self):
            probe(__Audit.nested())


def outside():
    probe(__Audit.outside())
