"""Stage 1, static: what a candidate may say, judged from its source alone.

A candidate is a small module: an optional header comment and docstring, imports of
`re`, `datetime`, `decimal` and `extractors.runtime` only, module-level constants, helper
functions and `def extract(doc)`. Everything else is rejected before any of it runs:
unknown or dangerous names (`open`, `eval`, `getattr`, ...), any attribute that starts
with `_` and any dunder name (the way into `().__class__.__base__.__subclasses__()`; plain
local names like `_sep` are harmless and allowed), `global` and
`nonlocal`, classes, `with`, async code, attribute assignment, mutation of module-level
state from functions, default arguments other than literal constants, `while True` with no
way out, size and cyclomatic-complexity limits; calls of anything but a builtin, an import or
the module's own functions by name (a function passed as a value hides recursion); module-level
iterators, generators and calls of the module's own functions (state shared by documents).

The vocabulary (allowed builtins, forbidden names, limits, `ModuleInfo`) is in `static_rules`,
the individual passes in `static_checks`; this module runs them (`analyse`, `check_static`)
and re-exports their public names.
"""
from __future__ import annotations

import ast

from extractors.validation.problems import Problem
from extractors.validation.static_checks import (_bound_names, _check_calls, _check_defaults, _check_imports,
                                                 _check_module_values, _check_top_level, _dedupe, _local_names,
                                                 _root_name, _unbounded_while)
from extractors.validation.static_rules import (  # noqa: F401  (re-exported: callers import them from here)
    ALLOWED_BUILTINS, DEFAULT_MAX_BYTES, DEFAULT_MAX_COMPLEXITY, DEFAULT_MAX_LINES, DEFAULT_MAX_NODES, FORBIDDEN_NAMES,
    FORBIDDEN_NODES, FUNCTION_ARG_CALLS, MODULE_ATTRS, MODULE_LEVEL_DENIED_CALLS, MUTATING_METHODS, RUNTIME_MODULE,
    STAGE, ModuleInfo, _p, cyclomatic, parse, runtime_public_names)


def check_static(source: str, *, max_lines: int = DEFAULT_MAX_LINES,
                 max_complexity: int = DEFAULT_MAX_COMPLEXITY,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> list[Problem]:
    """All static problems of one candidate; empty when it passes."""
    problems, _ = analyse(source, max_lines=max_lines, max_complexity=max_complexity, max_bytes=max_bytes)
    return problems


def analyse(source: str, *, max_lines: int = DEFAULT_MAX_LINES, max_complexity: int = DEFAULT_MAX_COMPLEXITY,
            max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[list[Problem], ModuleInfo | None]:
    problems: list[Problem] = []
    if not isinstance(source, str):
        return [_p("not-text", "candidate source must be text")], None
    if len(source.encode("utf-8", "surrogatepass")) > max_bytes:
        return [_p("too-large", f"source exceeds {max_bytes} bytes")], None
    n_lines = source.count("\n") + 1
    if n_lines > max_lines:
        problems.append(_p("too-long", f"source has {n_lines} lines (limit {max_lines})"))
    tree, err = parse(source)
    if err:
        return problems + [err], None
    info = ModuleInfo(tree=tree)
    n_nodes = sum(1 for _ in ast.walk(tree))
    if n_nodes > DEFAULT_MAX_NODES:
        problems.append(_p("too-large", f"{n_nodes} syntax nodes (limit {DEFAULT_MAX_NODES})"))

    _check_imports(tree, info, problems)
    _check_top_level(tree, info, problems)
    bound = _bound_names(tree)
    import_bound = set(info.module_aliases) | set(info.imported_names)

    for node in ast.walk(tree):
        kind = type(node)
        if kind in FORBIDDEN_NODES:
            problems.append(_p("forbidden-syntax", FORBIDDEN_NODES[kind], node))
        if isinstance(node, ast.Name):
            name = node.id
            if name.startswith("__"):
                problems.append(_p("underscore-name", f"dunder name {name!r} is not allowed", node))
            elif name in FORBIDDEN_NAMES:
                problems.append(_p("forbidden-name", f"{name!r} is not allowed ({FORBIDDEN_NAMES[name]})", node))
            elif isinstance(node.ctx, ast.Load) and name not in bound and name not in ALLOWED_BUILTINS:
                problems.append(_p("unknown-name", f"name {name!r} is not defined or not an allowed builtin", node))
            elif isinstance(node.ctx, (ast.Store, ast.Del)) and name in import_bound:
                problems.append(_p("rebind-import", f"imported name {name!r} must not be reassigned", node))
        elif isinstance(node, ast.arg) and node.arg.startswith("__"):
            problems.append(_p("underscore-name", f"dunder parameter {node.arg!r} is not allowed", node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name.startswith("__"):
                problems.append(_p("underscore-name", f"function {node.name!r} is a dunder name", node))
            if node.name in FORBIDDEN_NAMES or node.name in import_bound:
                problems.append(_p("forbidden-name", f"function name {node.name!r} shadows a reserved name", node))
            if isinstance(node, ast.FunctionDef):
                if node.decorator_list:
                    problems.append(_p("forbidden-syntax", "decorators are not allowed", node))
                _check_defaults(node, node.name, problems)
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                problems.append(_p("underscore-attribute", f"attribute {node.attr!r} starts with an underscore", node))
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                problems.append(_p("attribute-assignment", f"assigning or deleting attribute {node.attr!r} is not allowed", node))
            if isinstance(node.value, ast.Name):
                mod = info.module_aliases.get(node.value.id)
                if mod in MODULE_ATTRS and node.attr not in MODULE_ATTRS[mod]:
                    problems.append(_p("forbidden-attribute", f"{mod}.{node.attr} is not allowed", node))
                elif mod == "extractors" and node.attr != "runtime":
                    problems.append(_p("forbidden-attribute", f"extractors.{node.attr} is not allowed", node))
                elif mod == RUNTIME_MODULE and node.attr not in runtime_public_names():
                    problems.append(_p("forbidden-attribute", f"runtime.{node.attr} is not a public runtime helper", node))
            elif (isinstance(node.value, ast.Attribute) and node.value.attr == "runtime"
                  and isinstance(node.value.value, ast.Name)
                  and info.module_aliases.get(node.value.value.id) == "extractors"
                  and node.attr not in runtime_public_names()):
                problems.append(_p("forbidden-attribute", f"extractors.runtime.{node.attr} is not a public runtime helper", node))
        elif isinstance(node, ast.Lambda):
            _check_defaults(node, "lambda", problems)
        elif isinstance(node, ast.ExceptHandler):
            if node.type is None:
                problems.append(_p("bare-except", "bare `except:` also swallows sandbox limits; catch specific errors", node))
        elif isinstance(node, ast.While) and _unbounded_while(node):
            problems.append(_p("unbounded-loop", "`while True` loop with no break, return or raise", node))
        elif isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            problems.append(_p("bytes-literal", "bytes literals are not needed to extract fields", node))

    # complexity, per function
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        c = cyclomatic(fn)
        if c > max_complexity:
            problems.append(_p("too-complex", f"{fn.name}: cyclomatic complexity {c} (limit {max_complexity})", fn))

    # module-level state must not be mutated from functions
    # (also through a local alias, `t = runtime.CODE_PATTERNS; t[k] = v`, and through unbound
    # methods, `list.append(SEEN, x)`)
    imports = set(info.module_aliases) | set(info.imported_names)
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        local = _local_names(fn)
        shared = (info.module_level | imports) - local - set(info.functions)
        for node in ast.walk(fn):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and _root_name(node.value) in shared):
                shared.add(node.targets[0].id)
        for node in ast.walk(fn):
            base = None
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
                base = node.value
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in MUTATING_METHODS):
                base = node.func.value
                if isinstance(base, ast.Name) and base.id in ("list", "dict", "set") and base.id not in local:
                    problems.append(_p("module-state-mutation", f"{fn.name} calls {base.id}.{node.func.attr} "
                                       "as an unbound method", node))
            elif isinstance(node, ast.AugAssign) and not isinstance(node.target, ast.Name):
                base = node.target
            root = _root_name(base) if base is not None else None
            if root in shared:
                problems.append(_p("module-state-mutation", f"{fn.name} mutates module-level or imported {root!r}", node))
    _check_calls(tree, info, problems)
    _check_module_values(tree, info, problems)
    return _dedupe(problems), info
