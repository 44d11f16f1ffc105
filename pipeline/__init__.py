"""docc run time: ingest, classify, extract with locked code, validate, map to FHIR."""
