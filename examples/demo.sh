#!/usr/bin/env bash
# Set up a virtual environment with tracers and the Linux tracers, then run
# the main demo: examples/simple.py with USDT probes, watched by bpftrace.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v bpftrace >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q bpftrace
fi
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
python3 -m venv .venv
.venv/bin/python -m pip install -q -e .
.venv/bin/python examples/trace_demo.py
