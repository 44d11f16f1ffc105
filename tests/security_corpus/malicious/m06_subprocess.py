# attack: run a shell command
import subprocess


def extract(doc):
    out = subprocess.check_output("cat /etc/hostname", shell=True)
    return {"mrn": out.decode()}
