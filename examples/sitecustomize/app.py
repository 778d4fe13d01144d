"""Run with the hook active through sitecustomize:

    PYTHONPATH=examples/sitecustomize TRACERS=record python examples/sitecustomize/app.py
"""
import worker

if __name__ == "__main__":
    print(worker.work(3))
