from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Cache_lookup = _tracers_LazyGate(globals(), '_tracers_gate_0_Cache_lookup', ('Cache', 'lookup'))
from tracers import probe
from app.probes import Cache


class Store:
    probes = Cache

    def get(self, key):
        if self.probes.lookup.gate:
            self.probes.lookup.fire(key)
        if _tracers_gate_0_Cache_lookup:
            Cache.lookup.fire(key)
        return self.data[key]

    @staticmethod
    def make(Cache):
        if Cache.created.gate:
            Cache.created.fire()

    @classmethod
    def build(cls):
        if cls.probes.built.gate:
            cls.probes.built.fire(cls.__name__)
