from tracers import probe as p
from app.probes import Net


def send(sock, data):
    sock.sendall(data)
    probe(Net.send(0))
