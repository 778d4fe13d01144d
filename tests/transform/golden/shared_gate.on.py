from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Net_sent = _tracers_LazyGate(globals(), '_tracers_gate_0_Net_sent', ('Net', 'sent'))
_tracers_gate_1_Disk_read = _tracers_LazyGate(globals(), '_tracers_gate_1_Disk_read', ('Disk', 'read'))
_tracers_gate_2_app_probes_Net_sent = _tracers_LazyGate(globals(), '_tracers_gate_2_app_probes_Net_sent', ('app', 'probes', 'Net', 'sent'))
_tracers_gate_3_Net_recv = _tracers_LazyGate(globals(), '_tracers_gate_3_Net_recv', ('Net', 'recv'))
from tracers import probe
import app.probes
from app.probes import Net, Disk


def a():
    if _tracers_gate_0_Net_sent:
        Net.sent.fire(1)
    if _tracers_gate_1_Disk_read:
        Disk.read.fire(2)


def b():
    if _tracers_gate_0_Net_sent:
        Net.sent.fire(3)
    if _tracers_gate_2_app_probes_Net_sent:
        app.probes.Net.sent.fire(4)
    if _tracers_gate_1_Disk_read:
        Disk.read.fire(5)


if _tracers_gate_3_Net_recv:
    Net.recv.fire(6)
