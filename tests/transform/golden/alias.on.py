from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Net_send = _tracers_LazyGate(globals(), '_tracers_gate_0_Net_send', ('Net', 'send'))
_tracers_gate_1_Net_recv = _tracers_LazyGate(globals(), '_tracers_gate_1_Net_recv', ('Net', 'recv'))
from tracers import probe as p
from app.probes import Net


def send(sock, data):
    if _tracers_gate_0_Net_send:
        Net.send.fire(len(data))
    sock.sendall(data)
    probe(Net.send(0))
    if _tracers_gate_1_Net_recv:
        Net.recv.fire(sock.fileno())
