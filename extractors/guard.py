"""Run-time guards shared by the sandbox child and the batch workers.

Static rules say what generated code may *write*; these check what it *built*:
- `freeze_namespace`: after a candidate module is executed, its module-level values become
  read-only (dict -> mapping proxy, list -> tuple, set -> frozenset, recursively) and anything
  that could carry state from one document to the next (an iterator, a generator, a closure,
  a function with a mutable default, an unknown object) is a violation;
- `check_output`: `extract(doc)` returned only JSON-native values (None, bool, int, float, str,
  Decimal, date/datetime/time, lists/tuples of those, `Found`, table rows of `Found`), every
  string at most `MAX_VALUE_CHARS`. Anything else would be `str()`-ed by a serializer.

Both raise `GuardError` whose message never contains document text or field values (it names
types and sizes only), so it may go into review reasons and logs.
"""
from __future__ import annotations

import __future__
import dataclasses
import datetime as _dt
import re
import types
from decimal import Decimal
from typing import Any

from pipeline.errors import DoccError

MAX_VALUE_CHARS = 16_384        # one field value or source text; a real value is far shorter
MAX_ROWS = 2_000                # rows of one table field
MAX_DEPTH = 6

_SCALARS = (type(None), bool, int, float, str, Decimal, _dt.date, _dt.datetime, _dt.time)
_IMMUTABLE_LEAVES = _SCALARS + (_dt.timedelta, _dt.tzinfo, re.Pattern, range, type, types.ModuleType, types.BuiltinFunctionType,
                                types.BuiltinMethodType, __future__._Feature)


class GuardError(DoccError):
    """Generated code built or returned something it must not (message free of document data)."""


# ------------------------------------------------------------------ module namespaces


def _freeze(value: Any, where: str, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise GuardError(f"{where}: nested too deeply")
    if isinstance(value, str) and len(value) > 100_000:
        raise GuardError(f"{where}: string constant of {len(value)} characters")
    if isinstance(value, _IMMUTABLE_LEAVES):
        return value
    if isinstance(value, (tuple, list)):
        return tuple(_freeze(v, where, depth + 1) for v in value)
    if isinstance(value, (frozenset, set)):
        return frozenset(_freeze(v, where, depth + 1) for v in value)
    if isinstance(value, (dict, types.MappingProxyType)):
        return types.MappingProxyType({_freeze(k, where, depth + 1): _freeze(v, where, depth + 1)
                                       for k, v in value.items()})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        params = getattr(type(value), "__dataclass_params__", None)
        if params is None or not params.frozen:
            raise GuardError(f"{where}: mutable object of type {type(value).__name__}")
        changes = {f.name: _freeze(getattr(value, f.name), where, depth + 1) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    raise GuardError(f"{where}: a {type(value).__name__} at module level can carry state between documents")


def _check_function(fn: types.FunctionType, where: str) -> None:
    if fn.__closure__:
        raise GuardError(f"{where}: function closes over state")
    for d in (fn.__defaults__ or ()) + tuple((fn.__kwdefaults__ or {}).values()):
        if not _immutable(d):
            raise GuardError(f"{where}: function has a mutable default argument")


def _immutable(v: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(v, _IMMUTABLE_LEAVES):
        return True
    if type(v) in (tuple, frozenset):
        return all(_immutable(x, depth + 1) for x in v)
    return False


def freeze_namespace(ns: dict[str, Any], module_name: str, trusted: tuple[Any, ...] = ()) -> None:
    """Make a freshly executed candidate module's values read-only, in place.

    `trusted` are objects the candidate may bind as they are (modules and runtime helpers it
    imported). Raises GuardError when a value could hold state."""
    trusted_ids = {id(t) for t in trusted}
    for name, value in list(ns.items()):
        if name.startswith("__") and name.endswith("__"):
            continue
        where = f"module-level {name!r}"
        if id(value) in trusted_ids:
            continue
        if isinstance(value, types.FunctionType):
            if value.__module__ == module_name:
                _check_function(value, where)
                continue
            raise GuardError(f"{where}: a function from outside the module")
        ns[name] = _freeze(value, where)


# ------------------------------------------------------------------ outputs


def _check_value(v: Any, where: str, found_type: type, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise GuardError(f"{where}: nested too deeply")
    if isinstance(v, str):
        if len(v) > MAX_VALUE_CHARS:
            raise GuardError(f"{where}: string of {len(v)} characters (limit {MAX_VALUE_CHARS})")
        return
    if type(v) in _SCALARS or isinstance(v, (Decimal, _dt.date, _dt.time)):
        if isinstance(v, Decimal) and len(str(v)) > 200:
            raise GuardError(f"{where}: number of {len(str(v))} digits")
        if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > 256:
            raise GuardError(f"{where}: integer of {v.bit_length()} bits")
        return
    if isinstance(v, (list, tuple)) and type(v) in (list, tuple):
        if len(v) > MAX_ROWS:
            raise GuardError(f"{where}: {len(v)} items (limit {MAX_ROWS})")
        for x in v:
            if type(x) is dict:
                for k, cell in x.items():
                    if type(k) is not str or len(k) > 200:
                        raise GuardError(f"{where}: table column name is not a short string")
                    _check_cell(cell, where, found_type, depth + 1)
            elif type(x) is found_type:  # a list of candidate values (the alternates artifact)
                _check_cell(x, where, found_type, depth + 1)
            else:
                _check_value(x, where, found_type, depth + 1)
        return
    raise GuardError(f"{where}: value of type {type(v).__name__} is not JSON-native")


def _check_cell(c: Any, where: str, found_type: type, depth: int) -> None:
    if type(c) is found_type:
        _check_value(c.value, where, found_type, depth + 1)
        if type(c.text) is not str or len(c.text) > MAX_VALUE_CHARS:
            raise GuardError(f"{where}: source text is not a string of at most {MAX_VALUE_CHARS} characters")
        if c.page is not None and type(c.page) is not int:
            raise GuardError(f"{where}: page is not an integer")
        if c.bbox is not None and not (type(c.bbox) in (tuple, list) and len(c.bbox) == 4
                                       and all(type(x) in (int, float) for x in c.bbox)):
            raise GuardError(f"{where}: bbox is not four numbers")
        if type(c.confidence) not in (int, float):
            raise GuardError(f"{where}: confidence is not a number")
        return
    _check_value(c, where, found_type, depth + 1)


def check_output(out: Any, found_type: type) -> None:
    """Raise GuardError unless `out` is `{str: Found | JSON-native value | None}` within the caps."""
    if type(out) is not dict:
        raise GuardError(f"extract returned {type(out).__name__}, not dict")
    if len(out) > 500:
        raise GuardError(f"extract returned {len(out)} fields")
    for k, v in out.items():
        if type(k) is not str or len(k) > 200:
            raise GuardError("a field name is not a short string")
        _check_cell(v, "field", found_type, 0)
