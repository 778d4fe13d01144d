# requires: 3.10
# sites: 4
from tracers import probe
from app.probes import Parse


def parse(command):
    match command:
        case ["go", direction]:
            probe(Parse.go(direction))
        case Parse(events=[*rest]):
            probe(rest.first())
        case {"x": 1, **extra}:
            probe(extra.keyed())
        case _:
            probe(Parse.unknown(command))


def value_capture(command):
    match command:
        case {"probe": probe}:
            probe(Parse.captured())


def star_capture(command):
    match command:
        case [*probe]:
            probe(Parse.starred())


def rest_capture(command):
    match command:
        case {**probe}:
            probe(Parse.rest())
