"""Required code bindings that `fhir.resources` does not check.

The pydantic models of `fhir.resources` check structure and datatypes but not terminology
bindings: `Observation(status="bogus")` validates. FHIR R4 makes a handful of status / intent /
use codes *required* bindings, and EHRs reject resources that break them. These are the ones
docc emits; `check_bindings(resource)` lists every violation in a resource (or a Bundle and all
its entries), `assert_bindings` raises `BindingError`.

Value sets are copied from the FHIR R4 (4.0.1) specification; each key is the element path.
"""
from __future__ import annotations

from typing import Any, Iterator

from pipeline.errors import DoccError

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VER_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

# (resource type, element path) -> allowed codes. Paths are dotted; a CodeableConcept path checks
# the codings whose system is given in CODEABLE_SYSTEMS.
REQUIRED: dict[tuple[str, str], frozenset[str]] = {
    ("Observation", "status"): frozenset(
        "registered preliminary final amended corrected cancelled entered-in-error unknown".split()),
    ("DiagnosticReport", "status"): frozenset(
        "registered partial preliminary final amended corrected appended cancelled entered-in-error unknown".split()),
    ("MedicationRequest", "status"): frozenset(
        "active on-hold cancelled completed entered-in-error stopped draft unknown".split()),
    ("MedicationRequest", "intent"): frozenset(
        "proposal plan order original-order reflex-order filler-order instance-order option".split()),
    ("Claim", "status"): frozenset("active cancelled draft entered-in-error".split()),
    ("Claim", "use"): frozenset("claim preauthorization predetermination".split()),
    ("Coverage", "status"): frozenset("active cancelled draft entered-in-error".split()),
    ("Encounter", "status"): frozenset(
        "planned arrived triaged in-progress onleave finished cancelled entered-in-error unknown".split()),
    ("Condition", "clinicalStatus"): frozenset(
        "active recurrence relapse inactive remission resolved".split()),
    ("Condition", "verificationStatus"): frozenset(
        "unconfirmed provisional differential confirmed refuted entered-in-error".split()),
    ("DocumentReference", "status"): frozenset("current superseded entered-in-error".split()),
    ("DocumentReference", "docStatus"): frozenset("preliminary final amended entered-in-error".split()),
    ("Provenance", "entity.role"): frozenset("derivation revision quotation source removal".split()),
    ("Patient", "gender"): frozenset("male female other unknown".split()),
    ("Bundle", "type"): frozenset(
        "document message transaction transaction-response batch batch-response history searchset collection".split()),
    ("Bundle", "entry.request.method"): frozenset("GET HEAD POST PUT DELETE PATCH".split()),
    ("Quantity", "comparator"): frozenset("< <= >= >".split()),
}

# CodeableConcept elements with a required binding: only codings in this system count, and at
# least one must be present.
CODEABLE_SYSTEMS: dict[tuple[str, str], str] = {
    ("Condition", "clinicalStatus"): CONDITION_CLINICAL,
    ("Condition", "verificationStatus"): CONDITION_VER_STATUS,
}


class BindingError(DoccError, ValueError):
    """A resource uses a code outside a required value set."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _walk(node: Any, parts: list[str]) -> Iterator[Any]:
    if not parts:
        yield node
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, parts)
        return
    if isinstance(node, dict) and parts[0] in node:
        yield from _walk(node[parts[0]], parts[1:])


def _resource_problems(resource: dict, where: str) -> list[str]:
    rtype = resource.get("resourceType", "?")
    problems: list[str] = []
    for (rt, path), allowed in REQUIRED.items():
        if rt != rtype:
            continue
        system = CODEABLE_SYSTEMS.get((rt, path))
        for value in _walk(resource, path.split(".")):
            if value is None:
                continue
            if system:  # CodeableConcept
                codes = [c.get("code") for c in (value.get("coding") or []) if c.get("system") == system]
                if not codes:
                    problems.append(f"{where}{rtype}.{path}: no coding from {system}")
                problems += [f"{where}{rtype}.{path}: {c!r} is not in the required value set" for c in codes if c not in allowed]
            elif isinstance(value, str) and value not in allowed:
                problems.append(f"{where}{rtype}.{path}: {value!r} is not in the required value set")
    # Quantity.comparator anywhere in the resource
    allowed = REQUIRED[("Quantity", "comparator")]
    for path, value in _find_key(resource, "comparator"):
        if value not in allowed:
            problems.append(f"{where}{rtype}.{path}: comparator {value!r} is not in the required value set")
    return problems


def _find_key(node: Any, key: str, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            sub = f"{path}.{k}" if path else k
            if k == key and isinstance(v, str):
                yield sub, v
            elif k != "resource":  # nested resources are checked on their own
                yield from _find_key(v, key, sub)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _find_key(item, key, f"{path}[{i}]")


def check_bindings(resource: dict) -> list[str]:
    """Every required-binding violation in `resource` (a Bundle's entries are checked too)."""
    problems = _resource_problems(resource, "")
    if resource.get("resourceType") == "Bundle":
        for i, entry in enumerate(resource.get("entry") or []):
            inner = entry.get("resource")
            if isinstance(inner, dict):
                problems += _resource_problems(inner, f"entry[{i}] ")
    return problems


def assert_bindings(resource: dict) -> None:
    """Raise BindingError when `resource` breaks a required binding."""
    problems = check_bindings(resource)
    if problems:
        raise BindingError(problems)
