"""docc studio: a local browser app to label samples, work a run's review queue and recompile.

A top layer, like the CLI: it may import `pipeline`, `extractors` and `eval`; nothing imports it.

    labels.py     schema editing and golden values in the samples contract (type checks, conflicts)
    pages.py      documents opened for the browser: ingest words + page images rendered once, cached
    review.py     a run's review queue: corrections, approve (export) / reject, the audit file
    recompile.py  `docc compile` for one doc type in a staging folder, per-field F1 before/after, guard
    app.py        the FastAPI app (token-protected, loopback only) and its JSON API
    server.py     `docc studio`: token, uvicorn on 127.0.0.1
"""
