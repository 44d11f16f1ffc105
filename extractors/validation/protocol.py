"""Wire constants shared by the sandbox parent and child (kept import-free on purpose)."""
from __future__ import annotations

import struct

HEADER = struct.Struct(">I")        # every frame: 4-byte big-endian length, then the payload
MAX_OUTPUT_BYTES = 1_000_000        # one document's serialised output
CLONE_NEWNET = 0x40000000
PR_SET_NO_NEW_PRIVS = 38
