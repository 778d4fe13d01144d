# sites: 6
from tracers import probe
import app.probes
from app.probes import Net, Disk


def a():
    probe(Net.sent(1))
    probe(Disk.read(2))


def b():
    probe(Net.sent(3))
    probe(app.probes.Net.sent(4))
    probe(Disk.read(5))


probe(Net.recv(6))
