# sites: 4
from tracers import probe
from app.probes import Call


def calls(args, options, P):
    probe(Call.starred(*args))
    probe(Call.keyword(1, size=2))
    probe(Call.both(0, *args, **options))
    probe(P.local(*args))
