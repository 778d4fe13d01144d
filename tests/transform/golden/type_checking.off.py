from typing import TYPE_CHECKING
import typing
import tracers

if TYPE_CHECKING:
    from tracers import probe
    from app.probes import Typed
else:
    from app.probes import Known

if typing.TYPE_CHECKING:
    import tracers as t


def f(x):
    probe(Known.first(x))
    t.probe(Known.second(x))
