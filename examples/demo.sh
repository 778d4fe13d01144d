#!/usr/bin/env bash
# Set up a virtual environment with tracers and bpftrace, then run the main
# demo: a service with three worker processes (examples/workers.py) with USDT
# probes, all traced by one `python -m tracers trace` command.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v bpftrace >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q bpftrace
fi
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
python3 -m venv .venv
.venv/bin/python -m pip install -q -e .
.venv/bin/python examples/trace_demo.py
