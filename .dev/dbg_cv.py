from pathlib import Path
from extractors.schema import load_sample_set
from extractors.compiler import ingest_samples, field_module, run_trusted, _label_signatures, score_candidates, Generators
from extractors.folds import layout_groups, make_folds
def main():
    ss = load_sample_set(Path("data/samples/lab_report")); docs = ingest_samples(ss); gold = {s.id: s.golden for s in ss.samples}
    sig = _label_signatures(ss.schema_, docs, gold); groups = layout_groups(sig); print(groups)
    folds = make_folds(sorted(docs), groups)
    gens = Generators(names=["synth"])
    for train, test in folds[:1]:
        plan, cands = gens.propose(ss.schema_, {i: docs[i] for i in train}, {i: gold[i] for i in train})
        c = cands[1]; print(c.field, c.key); src = field_module(c, plan.date_order, plan.vocabulary); print(src[:300])
        out = run_trusted([src], [docs[i] for i in test]); print(out[0][:3])
        try:
            from extractors import artifacts
            fn = artifacts.load_source(src, "x"); print(fn(docs[test[0]]))
        except Exception as e:
            import traceback; traceback.print_exc()
if __name__ == "__main__": main()
