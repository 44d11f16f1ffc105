import sys
from pathlib import Path
from pipeline.ingest import ingest
def main():
    d = ingest(Path(sys.argv[1]))
    for p in d.pages:
        print(f"--- page {p.number} {p.source}")
        for l in p.lines:
            print(f"{l.bbox[0]:6.1f} {l.bbox[1]:6.1f} | " + "  ".join(w.text for w in l.words))
if __name__ == "__main__": main()
