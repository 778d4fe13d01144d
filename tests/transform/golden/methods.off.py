from tracers import probe
from app.probes import Cache


class Store:
    probes = Cache

    def get(self, key):
        return self.data[key]

    @staticmethod
    def make(Cache):
        pass

    @classmethod
    def build(cls):
        pass
