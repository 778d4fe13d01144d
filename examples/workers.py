"""A service with several worker processes, all traced by one command.

    TRACERS=usdt python -m tracers run examples/workers.py --workers 3 --forever &
    sudo python -m tracers trace jobs          # every worker, and workers started later

Every worker defines the same provider, so every worker maps the same object
file, and one tracer attached by its path sees them all.
"""
import argparse
import multiprocessing
import os
import time

from tracers import ProbeCall, U32, probe, tracer


@tracer
class Jobs:
    @staticmethod
    def started(worker: int) -> ProbeCall:
        """A worker process is ready."""

    @staticmethod
    def done(worker: int, job: U32, result: str) -> ProbeCall:
        """A worker finished a job."""


def work(job: int) -> str:
    result = f"job {job} done by {os.getpid()}"
    probe(Jobs.done(os.getpid(), job, result))
    time.sleep(0.05)
    return result


def announce() -> None:
    probe(Jobs.started(os.getpid()))


def main() -> None:
    parser = argparse.ArgumentParser(description="A service with several worker processes.")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=12, help="jobs per round")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of jobs to submit")
    parser.add_argument("--forever", action="store_true", help="keep submitting rounds of jobs")
    options = parser.parse_args()
    with multiprocessing.Pool(options.workers, initializer=announce) as pool:
        print(f"ready: {options.workers} workers", flush=True)
        rounds = 0
        while options.forever or rounds < options.rounds:
            for line in pool.map(work, range(options.jobs)):
                print(line, flush=True)
            rounds += 1
        pool.close()  # the workers finish and exit by themselves
        pool.join()


if __name__ == "__main__":
    main()
