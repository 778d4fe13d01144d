"""Module docstring."""
from __future__ import annotations
from __future__ import division

import os

from tracers import probe
from app.probes import Boot
