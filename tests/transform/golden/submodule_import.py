# sites: 1
import tracers.runtime
from app.probes import Boot

tracers.probe(Boot.started())
