from tracers import probe
from app.probes import Parse


def parse(command):
    match command:
        case ["go", direction]:
            pass
        case Parse(events=[*rest]):
            pass
        case {"x": 1, **extra}:
            pass
        case _:
            pass


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
