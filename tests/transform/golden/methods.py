# sites: 4
from tracers import probe
from app.probes import Cache


class Store:
    probes = Cache

    def get(self, key):
        probe(self.probes.lookup(key))
        probe(Cache.lookup(key))
        return self.data[key]

    @staticmethod
    def make(Cache):
        probe(Cache.created())

    @classmethod
    def build(cls):
        probe(cls.probes.built(cls.__name__))
