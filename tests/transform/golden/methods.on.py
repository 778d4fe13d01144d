from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Cache_lookup = _tracers_LazyGate(globals(), '_tracers_gate_0_Cache_lookup', ('Cache', 'lookup'))
from tracers import probe
from app.probes import Cache


class Store:
    probes = Cache

    def get(self, key):
        if (_tracers_event := self.probes.lookup).gate:
            _tracers_event.fire(key)
        if _tracers_gate_0_Cache_lookup:
            Cache.lookup.fire(key)
        return self.data[key]

    @staticmethod
    def make(Cache):
        if (_tracers_event := Cache.created).gate:
            _tracers_event.fire()

    @classmethod
    def build(cls):
        if (_tracers_event := cls.probes.built).gate:
            _tracers_event.fire(cls.__name__)
