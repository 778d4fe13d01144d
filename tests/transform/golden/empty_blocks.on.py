from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Flow_taken = _tracers_LazyGate(globals(), '_tracers_gate_0_Flow_taken', ('Flow', 'taken'))
_tracers_gate_1_Flow_none = _tracers_LazyGate(globals(), '_tracers_gate_1_Flow_none', ('Flow', 'none'))
_tracers_gate_2_Flow_skipped = _tracers_LazyGate(globals(), '_tracers_gate_2_Flow_skipped', ('Flow', 'skipped'))
_tracers_gate_3_Flow_item = _tracers_LazyGate(globals(), '_tracers_gate_3_Flow_item', ('Flow', 'item'))
_tracers_gate_4_Flow_exhausted = _tracers_LazyGate(globals(), '_tracers_gate_4_Flow_exhausted', ('Flow', 'exhausted'))
_tracers_gate_5_Flow_waiting = _tracers_LazyGate(globals(), '_tracers_gate_5_Flow_waiting', ('Flow', 'waiting'))
_tracers_gate_6_Flow_still_waiting = _tracers_LazyGate(globals(), '_tracers_gate_6_Flow_still_waiting', ('Flow', 'still_waiting'))
_tracers_gate_7_Flow_done = _tracers_LazyGate(globals(), '_tracers_gate_7_Flow_done', ('Flow', 'done'))
_tracers_gate_8_Flow_locked = _tracers_LazyGate(globals(), '_tracers_gate_8_Flow_locked', ('Flow', 'locked'))
_tracers_gate_9_Flow_trying = _tracers_LazyGate(globals(), '_tracers_gate_9_Flow_trying', ('Flow', 'trying'))
_tracers_gate_10_Flow_failed = _tracers_LazyGate(globals(), '_tracers_gate_10_Flow_failed', ('Flow', 'failed'))
_tracers_gate_11_Flow_succeeded = _tracers_LazyGate(globals(), '_tracers_gate_11_Flow_succeeded', ('Flow', 'succeeded'))
_tracers_gate_12_Flow_cleaned = _tracers_LazyGate(globals(), '_tracers_gate_12_Flow_cleaned', ('Flow', 'cleaned'))
_tracers_gate_13_Flow_only = _tracers_LazyGate(globals(), '_tracers_gate_13_Flow_only', ('Flow', 'only'))
_tracers_gate_14_Flow_class_only = _tracers_LazyGate(globals(), '_tracers_gate_14_Flow_class_only', ('Flow', 'class_only'))
from tracers import probe
from app.probes import Flow


def branches(x):
    if x:
        if _tracers_gate_0_Flow_taken:
            Flow.taken.fire()
    elif x is None:
        if _tracers_gate_1_Flow_none:
            Flow.none.fire()
    else:
        if _tracers_gate_2_Flow_skipped:
            Flow.skipped.fire()


def loops(items):
    for item in items:
        if _tracers_gate_3_Flow_item:
            Flow.item.fire(item)
    else:
        if _tracers_gate_4_Flow_exhausted:
            Flow.exhausted.fire()
    while items:
        if _tracers_gate_5_Flow_waiting:
            Flow.waiting.fire()
        if _tracers_gate_6_Flow_still_waiting:
            Flow.still_waiting.fire()
    else:
        if _tracers_gate_7_Flow_done:
            Flow.done.fire()


def contexts(lock):
    with lock:
        if _tracers_gate_8_Flow_locked:
            Flow.locked.fire()


def handlers():
    try:
        if _tracers_gate_9_Flow_trying:
            Flow.trying.fire()
    except ValueError:
        if _tracers_gate_10_Flow_failed:
            Flow.failed.fire()
    else:
        if _tracers_gate_11_Flow_succeeded:
            Flow.succeeded.fire()
    finally:
        if _tracers_gate_12_Flow_cleaned:
            Flow.cleaned.fire()


def only_probe():
    if _tracers_gate_13_Flow_only:
        Flow.only.fire()


class OnlyProbe:
    if _tracers_gate_14_Flow_class_only:
        Flow.class_only.fire()
