"""The main demo: run examples/simple.py with USDT probes and watch it with bpftrace.

Starts the example under ``python -m tracers run --backend usdt``, asks
``python -m tracers list --pid`` where its probe object is, attaches bpftrace
to two probes, prints what bpftrace sees for a few iterations, then stops
both. Needs root (bpftrace) and tracefs mounted.
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EVENTS = 6


def main() -> int:
    app = subprocess.Popen(
        [sys.executable, "-m", "tracers", "run", "--backend", "usdt",
         os.path.join(HERE, "simple.py"), "--forever", "--interval", "0.2"],
        stdout=subprocess.PIPE, text=True)
    assert app.stdout is not None
    try:
        print(f"app (pid {app.pid}) says: {app.stdout.readline().strip()}")
        listing = subprocess.run([sys.executable, "-m", "tracers", "list", "--pid", str(app.pid)],
                                 capture_output=True, text=True, check=True).stdout
        print("python -m tracers list --pid:\n" + listing)
        path = next(line.split("object: ", 1)[1] for line in listing.splitlines() if "object: " in line)
        program = (
            f'usdt:{path}:simple_probes:greeting {{ printf("greeting: %s, %s\\n", str(arg0), str(arg1)); }}\n'
            f'usdt:{path}:simple_probes:counter {{ printf("counter: %ld\\n", arg0); @n++; '
            f'if (@n == {EVENTS}) {{ exit(); }} }}\n'
            'END { clear(@n); }'
        )
        print(f"bpftrace -p {app.pid} -e '{program}'\n")
        started = time.monotonic()
        traced = subprocess.run(["bpftrace", "-p", str(app.pid), "-e", program],
                                capture_output=True, text=True, timeout=60)
        print(traced.stdout.strip())
        print(f"\nbpftrace exited with {traced.returncode} after {time.monotonic() - started:.1f}s")
        return traced.returncode
    finally:
        app.terminate()
        app.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
