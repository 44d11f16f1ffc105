import sys, time, json
from pathlib import Path
from extractors.schema import load_sample_set
from extractors.compiler import ingest_samples, score_candidates, run_trusted, _label_signatures
from extractors.synth import learn_plan
from extractors.candidates import plan_candidates
from extractors.folds import layout_groups, make_folds
from extractors.scoring import Counts

def main():
    dt = sys.argv[1]
    ss = load_sample_set(Path("data/samples")/dt)
    t=time.time(); docs = ingest_samples(ss); print("ingest", round(time.time()-t,1), "s", len(docs))
    gold = {s.id: s.golden for s in ss.samples}
    sig = _label_signatures(ss.schema_, docs, gold)
    groups = layout_groups(sig); print("groups", [len(g) for g in groups], [g[0] for g in groups])
    ho = load_sample_set(Path("tests/heldout")/dt)
    hdocs = ingest_samples(ho); hgold = {s.id: s.golden for s in ho.samples}
    plan = learn_plan(ss.schema_, docs, gold)
    for n, fp in plan.fields.items(): print(n, fp.labels, fp.relations, dict(list(fp.keywords.items())[:6]))
    for n, tp in plan.tables.items(): print(n, [(c.name, c.labels) for c in tp.columns])
    cands = plan_candidates(plan, "synth")
    for name, d, g in (("samples", docs, gold), ("heldout", hdocs, hgold)):
        sc = score_candidates(cands, d, g, ss.schema_, plan, run_trusted)
        print("==", name)
        for i, c in enumerate(cands):
            print(f"  {c.field:22s} {c.key:22s} f1={sc[i].f1:.2f} tp={sc[i].tp} fp={sc[i].fp} fn={sc[i].fn}")

if __name__ == '__main__':
    main()
