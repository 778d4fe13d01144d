from tracers import probe
from app.probes import P


def parameter(probe):
    probe(P.event(1))


def keyword_parameter(x, *, probe=print):
    probe(P.event(2))


def assignment():
    probe = print
    probe(P.event(3))


def assigned_later():
    probe(P.event(4))
    probe = None


def augmented():
    probe += 1
    probe(P.event(5))


def local_import():
    from other import probe
    probe(P.event(6))


def local_import_as():
    import other as probe
    probe(P.event(7))


def for_target(items):
    for probe in items:
        probe(P.event(8))


def with_target(ctx):
    with ctx as probe:
        probe(P.event(9))


def except_name():
    try:
        pass
    except Exception as probe:
        probe(P.event(10))


def walrus(x):
    if (probe := x):
        probe(P.event(11))


def deleted():
    del probe
    probe(P.event(12))


def nested_def():
    def probe(x):
        pass
    probe(P.event(13))


def nested_class():
    class probe:
        pass
    probe(P.event(14))


def varargs(*probe):
    probe(P.event(15))


def kwargs(**probe):
    probe(P.event(16))


def annotated():
    probe: object
    probe(P.event(17))


def local_tracers_import():
    from tracers import probe


def global_declaration():
    global probe


def comprehension_and_lambda(items):
    [probe for probe in items]
    (lambda probe: probe)
