# sites: 2
from tracers import probe as p
from app.probes import Net


def send(sock, data):
    p(Net.send(len(data)))
    sock.sendall(data)
    probe(Net.send(0))  # `probe` is not bound in this module
    p(Net.recv(sock.fileno()))
