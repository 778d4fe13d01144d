"""The main demo: a service with three worker processes, traced by one command.

Starts examples/workers.py under ``python -m tracers run --backend usdt``
(three pool workers, each firing ``jobs:done`` per job, for 40 rounds of
12 jobs), then runs
``python -m tracers trace jobs --count 12`` with no ``--pid``: bpftrace
attaches by the path of the one object every worker maps, and the events of
all three workers arrive in one stream.  Needs root (bpftrace) and tracefs.
"""
import collections
import os
import re
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
EVENTS = 12


def main() -> int:
    service = subprocess.Popen(
        [sys.executable, "-m", "tracers", "run", "--backend", "usdt",
         os.path.join(HERE, "workers.py"), "--workers", "3", "--rounds", "40"],
        stdout=subprocess.PIPE, text=True)
    try:
        status = trace_the_workers(service)
    finally:
        ended = wait_or_stop(service)
    return status if ended else 1


def trace_the_workers(service: "subprocess.Popen[str]") -> int:
    """List the service's probes, then trace all of its workers with one command."""
    assert service.stdout is not None
    print(f"service (pid {service.pid}) says: {service.stdout.readline().strip()}")
    threading.Thread(target=service.stdout.read, daemon=True).start()  # its job lines are not shown
    listing = subprocess.run([sys.executable, "-m", "tracers", "list", os.path.join(HERE, "workers.py")],
                             capture_output=True, text=True, check=True).stdout
    print("python -m tracers list examples/workers.py:\n" + listing)
    command = [sys.executable, "-m", "tracers", "trace", "jobs", "--count", str(EVENTS)]
    print("python -m tracers trace jobs --count", EVENTS)
    traced = subprocess.run(command, capture_output=True, text=True, timeout=120)
    print(traced.stdout.strip())
    if traced.returncode:
        print(traced.stderr.strip(), file=sys.stderr)
        return traced.returncode
    pids = collections.Counter(re.findall(r" pid (\d+) ", traced.stdout))
    print(f"\n{sum(pids.values())} events from {len(pids)} worker processes: "
          + ", ".join(f"pid {pid}: {count}" for pid, count in sorted(pids.items())))
    return 0


def wait_or_stop(service: "subprocess.Popen[str]") -> bool:
    """Wait for the service to end after its rounds; stop it (and say so) if it does not."""
    try:
        service.wait(timeout=120)
        return True
    except subprocess.TimeoutExpired:
        service.kill()
        service.wait()
        print(f"the service (pid {service.pid}) had not ended after its rounds: stopped", file=sys.stderr)
        return False


if __name__ == "__main__":
    sys.exit(main())
