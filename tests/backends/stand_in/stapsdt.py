"""A stand-in for python-stapsdt's API, for machines without libstapsdt.

It records what tracers asks of the binding (types, loads, fires) so the
mapping can be checked here; the real library is exercised by
test_probes_load_through_libstapsdt where it is installed.
"""
from enum import IntEnum

calls = []
enabled = set()


class ArgTypes(IntEnum):
    noarg = 0
    uint8 = 1
    int8 = -1
    uint16 = 2
    int16 = -2
    uint32 = 4
    int32 = -4
    uint64 = 8
    int64 = -8


class Provider:
    def __init__(self, name):
        self._name = name
        self._provider = name

    def add_probe(self, name, *args):
        calls.append(("add_probe", self._name, name, [ArgTypes(a).name for a in args]))
        return Probe(self._name, name)


class Probe:
    def __init__(self, provider, name):
        self._key = f"{provider}:{name}"

    @property
    def is_enabled(self):
        return self._key in enabled

    def fire(self, *args):
        calls.append(("fire", self._key, args))
        return True


def providerLoad(provider):
    calls.append(("load", provider))
    return 0
