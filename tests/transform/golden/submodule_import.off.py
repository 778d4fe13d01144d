import tracers.runtime
from app.probes import Boot
