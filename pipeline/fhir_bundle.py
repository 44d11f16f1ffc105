"""Build one FHIR R4 transaction Bundle per exported document, from declarative mappings.

    bundle = build_bundle(result)          # result = one line of OUT/results.jsonl
    write_bundle(bundle, OUT / "fhir")     # OUT/fhir/<sha256>.json, byte-identical run to run
    write_ndjson(bundles, OUT / "ndjson")  # OUT/ndjson/<ResourceType>.ndjson

What becomes which resource is data: `fhir/mappings/<doc_type>.yaml` plus terminology tables in
`fhir/terminology/` (format in docs/fhir.md). This module only interprets them:

- every resource gets a business identifier; the first one present is its conditional-create key
  (`request.ifNoneExist`), and resources with no natural identifier get one derived from the
  document sha256 + mapping key (+ row), so re-sending a document creates nothing new;
- fullUrls are `urn:uuid:` uuid5(document sha256, key[/row]): deterministic;
- two resources of one type with the same key collapse into one entry (references follow);
- a DocumentReference for the source document and a Provenance over everything are added;
- every resource is validated with the `fhir.resources` R4B models and the required bindings of
  `pipeline.fhir_codes`; JSON is written with sorted keys.

The work is split by job; this module keeps the public names: `pipeline.fhir_common` (paths,
namespace, errors), `pipeline.fhir_terminology` (terminology tables), `pipeline.fhir_mapping`
(mapping files, checks, defaults), `pipeline.fhir_values` (value conversion), `pipeline.fhir_build`
(the interpreter), `pipeline.fhir_assemble` (`build_bundle`: the Bundle around its resources),
`pipeline.fhir_ndjson` (Bundle and NDJSON files).
"""
from __future__ import annotations

from pipeline.fhir_common import (  # noqa: F401
    BuildError,
    FHIR_DIR,
    IDENTIFIER_TYPES,
    MEDIA_TYPES,
    MappingError,
    NAMESPACE,
    OPTION_KEYS,
    SOURCE_KEYS,
    V2_0203,
)
from pipeline.fhir_terminology import (  # noqa: F401
    Concept,
    Terminology,
    _codekey,
    _words,
)
from pipeline.fhir_mapping import (  # noqa: F401
    CERTAIN_NAMES,
    DEFAULT_MAPPING_VERSION,
    GENDER_MAP,
    MAPPING_KEYS,
    MAPPING_STATUSES,
    Mapping,
    ResourceSpec,
    TARGETS,
    _check_spec,
    _load_mapping,
    _terminology,
    certain_targets,
    default_mapping,
    default_mapping_data,
    load_mapping,
    mapping_path,
    mapping_sha256,
    mapping_status,
    mappings_dir,
    parse_mapping,
)
from pipeline.fhir_values import (  # noqa: F401
    _BOUND,
    _COMPARATOR,
    _RANGE,
    _SUFFIX,
    _TITLE,
    _VALUE,
    _cell,
    _json_number,
    human_name,
    slug,
)
from pipeline.fhir_build import (  # noqa: F401
    _Builder,
    _Ctx,
    _Instance,
    _bad,
    _where,
)
from pipeline.fhir_assemble import (  # noqa: F401
    _if_none_exist,
    _recorded,
    _validate,
    build_bundle,
    set_source_title,
    source_title,
)
from pipeline.fhir_ndjson import (  # noqa: F401
    bundle_path,
    bundle_resources,
    dumps,
    ndjson_resources,
    write_bundle,
    write_ndjson,
)
