import sys
from pathlib import Path
from extractors.schema import load_sample_set
from extractors.compiler import ingest_samples, field_module
from extractors.synth import learn_plan
from extractors.candidates import plan_candidates
from extractors import artifacts
from extractors.scoring import plain
def main():
    dt, fname, variant = sys.argv[1], sys.argv[2], sys.argv[3]
    which = sys.argv[4] if len(sys.argv) > 4 else "samples"
    ss = load_sample_set(Path("data/samples")/dt); docs = ingest_samples(ss); gold = {s.id: s.golden for s in ss.samples}
    plan = learn_plan(ss.schema_, docs, gold)
    print(plan.fields.get(fname))
    c = [c for c in plan_candidates(plan, "synth") if c.field == fname and c.variant == variant][0]
    fn = artifacts.load_source(field_module(c, plan.date_order, plan.vocabulary), "x")
    if which != "samples":
        ss = load_sample_set(Path("tests/heldout")/dt); docs = ingest_samples(ss); gold = {s.id: s.golden for s in ss.samples}
    for sid in sorted(docs):
        got = plain(fn(docs[sid])[fname]); want = gold[sid].get(fname)
        if fname in ss.schema_.table_fields():
            print(sid, len(got or []), len(want or []), (got or [None])[:2], want[:2]); continue
        print(("OK " if str(got)==str(want) else "XX ") + sid, repr(got), "|", repr(want))
if __name__ == "__main__": main()
