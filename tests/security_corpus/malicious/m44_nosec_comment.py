# evasion: a nosec comment must not silence Bandit; shell use through the allowed-looking runtime
from extractors import runtime
import subprocess  # nosec


def extract(doc):
    subprocess.run(["id"])  # nosec B603
    return {"mrn": runtime.Found("x")}
