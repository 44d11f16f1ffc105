"""Stage 1, static: what a candidate may say, judged from its source alone.

A candidate is a small module: an optional header comment and docstring, imports of
`re`, `datetime`, `decimal` and `extractors.runtime` only, module-level constants, helper
functions and `def extract(doc)`. Everything else is rejected before any of it runs:
unknown or dangerous names (`open`, `eval`, `getattr`, ...), any attribute that starts
with `_` and any dunder name (the way into `().__class__.__base__.__subclasses__()`; plain
local names like `_sep` are harmless and allowed), `global` and
`nonlocal`, classes, `with`, async code, attribute assignment, mutation of module-level
state from functions, mutable default arguments, `while True` with no way out, and
size and cyclomatic-complexity limits.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache

from extractors.validation.problems import Problem

STAGE = "static"

ALLOWED_BUILTINS = frozenset({
    "len", "range", "enumerate", "zip", "min", "max", "sorted", "str", "int", "float",
    "list", "dict", "set", "frozenset", "tuple", "any", "all", "abs", "round", "isinstance",
    "reversed", "sum", "bool", "map", "filter", "iter", "next", "divmod", "chr", "ord", "repr",
    "None", "True", "False",
    "Exception", "ValueError", "TypeError", "KeyError", "IndexError", "AttributeError",
    "ArithmeticError", "ZeroDivisionError", "LookupError", "StopIteration", "OverflowError",
})

FORBIDDEN_NAMES = {
    "exec": "runs arbitrary code", "eval": "runs arbitrary code", "compile": "builds code objects",
    "open": "file I/O", "__import__": "imports arbitrary modules", "globals": "reaches module state",
    "locals": "reaches frame state", "vars": "reaches object internals", "getattr": "string-built attribute access",
    "setattr": "attribute mutation", "delattr": "attribute mutation", "hasattr": "string-built attribute access",
    "type": "builds classes / walks the type graph", "object": "walks the type graph",
    "super": "walks the type graph", "breakpoint": "starts a debugger", "input": "reads stdin",
    "print": "writes to stdout", "help": "interactive", "dir": "introspection", "id": "nondeterministic",
    "hash": "nondeterministic across processes", "memoryview": "raw memory", "bytearray": "raw buffers",
    "classmethod": "class machinery", "staticmethod": "class machinery", "property": "class machinery",
    "exit": "ends the process", "quit": "ends the process", "BaseException": "swallows interrupts",
    "SystemExit": "process control", "KeyboardInterrupt": "process control", "GeneratorExit": "generator control",
    "MemoryError": "hides resource exhaustion", "RecursionError": "hides resource exhaustion",
}

# Public module attributes a candidate may use. Anything else on these modules (datetime.sys,
# re.enum, decimal.getcontext, ...) is a way out or shared mutable state.
MODULE_ATTRS: dict[str, frozenset[str]] = {
    "re": frozenset({
        "compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split",
        "escape", "error", "Pattern", "Match", "A", "ASCII", "I", "IGNORECASE", "M", "MULTILINE",
        "S", "DOTALL", "X", "VERBOSE", "U", "UNICODE", "NOFLAG",
    }),
    "datetime": frozenset({"date", "datetime", "time", "timedelta", "timezone", "MINYEAR", "MAXYEAR", "UTC"}),
    "decimal": frozenset({
        "Decimal", "InvalidOperation", "DecimalException", "ConversionSyntax", "DivisionByZero",
        "ROUND_05UP", "ROUND_CEILING", "ROUND_DOWN", "ROUND_FLOOR", "ROUND_HALF_DOWN",
        "ROUND_HALF_EVEN", "ROUND_HALF_UP", "ROUND_UP",
    }),
}
RUNTIME_MODULE = "extractors.runtime"


@lru_cache(maxsize=1)
def runtime_public_names() -> frozenset[str]:
    """What `runtime.<name>` may name: public functions, classes and constants of the runtime
    module, never a module it imported (`runtime.re` is fine to reach through `re` directly;
    a future `runtime.os` must not become a way out)."""
    import types

    import extractors.runtime as rt

    return frozenset(n for n, v in vars(rt).items() if not n.startswith("_") and not isinstance(v, types.ModuleType))

MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "add",
    "discard", "popitem", "sort", "reverse", "difference_update", "intersection_update",
    "symmetric_difference_update",
})

FORBIDDEN_NODES: dict[type, str] = {
    ast.Global: "`global` statements mutate module state",
    ast.Nonlocal: "`nonlocal` statements mutate enclosing state",
    ast.ClassDef: "class definitions are not allowed",
    ast.AsyncFunctionDef: "async code is not allowed",
    ast.Await: "async code is not allowed",
    ast.AsyncFor: "async code is not allowed",
    ast.AsyncWith: "async code is not allowed",
    ast.With: "`with` blocks are not allowed (no resources to manage)",
}
if hasattr(ast, "TryStar"):
    FORBIDDEN_NODES[ast.TryStar] = "`except*` is not allowed"

DEFAULT_MAX_LINES = 400
DEFAULT_MAX_COMPLEXITY = 40
DEFAULT_MAX_BYTES = 64_000
DEFAULT_MAX_NODES = 8_000


@dataclass
class ModuleInfo:
    """What the static pass learnt about a candidate; the security stage reuses it."""

    tree: ast.Module
    module_aliases: dict[str, str] = field(default_factory=dict)   # local name -> module ("re", "extractors.runtime", "extractors")
    imported_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # local name -> (module, attr)
    module_level: set[str] = field(default_factory=set)            # names bound at module level
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)


def _p(code: str, message: str, node: ast.AST | None = None) -> Problem:
    return Problem(STAGE, code, message, getattr(node, "lineno", None))


def parse(source: str) -> tuple[ast.Module | None, Problem | None]:
    try:
        return ast.parse(source, filename="<candidate>", mode="exec"), None
    except SyntaxError as exc:
        return None, Problem(STAGE, "syntax", f"does not parse: {exc.msg}", exc.lineno)
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return None, Problem(STAGE, "syntax", f"does not parse: {type(exc).__name__}", None)


def cyclomatic(fn: ast.AST) -> int:
    """McCabe complexity of one function (nested functions counted separately by the caller)."""
    score = 1
    for node in ast.walk(fn):
        if isinstance(node, (ast.If, ast.For, ast.While, ast.IfExp, ast.ExceptHandler, ast.Assert)):
            score += 1
        elif isinstance(node, ast.BoolOp):
            score += len(node.values) - 1
        elif isinstance(node, ast.comprehension):
            score += 1 + len(node.ifs)
        elif isinstance(node, ast.match_case):
            score += 1
    return score


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name the module binds anywhere (parameters, assignments, loop targets, ...)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return names


def _local_names(fn: ast.FunctionDef) -> set[str]:
    names = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _check_imports(tree: ast.Module, info: ModuleInfo, problems: list[Problem]) -> None:
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if id(node) not in top:
            problems.append(_p("import-placement", "imports are allowed at module level only", node))
        for alias in node.names:
            if (alias.asname or "").startswith("__"):
                problems.append(_p("underscore-name", f"dunder alias {alias.asname!r} is not allowed", node))
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                if name in MODULE_ATTRS:
                    info.module_aliases[alias.asname or name] = name
                elif name == RUNTIME_MODULE:
                    if alias.asname:
                        info.module_aliases[alias.asname] = RUNTIME_MODULE
                    else:
                        info.module_aliases["extractors"] = "extractors"
                else:
                    problems.append(_p("forbidden-import", f"import of {name!r} is not allowed "
                                       "(only re, datetime, decimal, extractors.runtime)", node))
        else:
            mod = node.module or ""
            if node.level:
                problems.append(_p("forbidden-import", "relative imports are not allowed", node))
                continue
            for alias in node.names:
                local = alias.asname or alias.name
                if alias.name == "*":
                    problems.append(_p("forbidden-import", "star imports are not allowed", node))
                elif mod == "__future__" and alias.name == "annotations":
                    continue
                elif mod in MODULE_ATTRS:
                    if alias.name not in MODULE_ATTRS[mod]:
                        problems.append(_p("forbidden-import", f"from {mod} import {alias.name} is not allowed", node))
                    else:
                        info.imported_names[local] = (mod, alias.name)
                elif mod == "extractors" and alias.name == "runtime":
                    info.module_aliases[local] = RUNTIME_MODULE
                elif mod == RUNTIME_MODULE and alias.name in runtime_public_names():
                    info.imported_names[local] = (RUNTIME_MODULE, alias.name)
                else:
                    problems.append(_p("forbidden-import", f"from {mod} import {alias.name} is not allowed", node))


def _check_top_level(tree: ast.Module, info: ModuleInfo, problems: list[Problem]) -> None:
    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(stmt, ast.FunctionDef):
            if stmt.name in info.functions:
                problems.append(_p("redefinition", f"function {stmt.name!r} is defined twice", stmt))
            info.functions[stmt.name] = stmt
            info.module_level.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        info.module_level.add(n.id)
                    elif isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, ast.Store):
                        problems.append(_p("module-statement", "module level may only bind plain names", stmt))
            if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                problems.append(_p("module-statement", "annotated name without a value", stmt))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            continue  # docstring / string comment
        else:
            problems.append(_p("module-statement", f"{type(stmt).__name__} is not allowed at module level "
                               "(only imports, constants and function definitions)", stmt))
    fn = info.functions.get("extract")
    if fn is None:
        problems.append(_p("no-extract", "the module must define `def extract(doc)`"))
    else:
        a = fn.args
        if len(a.posonlyargs) + len(a.args) != 1 or a.vararg or a.kwarg or a.kwonlyargs:
            problems.append(_p("extract-signature", "extract must take exactly one argument: extract(doc)", fn))


def _unbounded_while(node: ast.While) -> bool:
    test = node.test
    if not (isinstance(test, ast.Constant) and test.value):
        return False

    def exits(stmts: list[ast.stmt], in_loop: bool) -> bool:
        for s in stmts:
            for n in _walk_no_functions(s):
                if isinstance(n, ast.Return):
                    return True
                if isinstance(n, ast.Raise):
                    return True
                if isinstance(n, ast.Break) and not _inside_inner_loop(s, n):
                    return True
        return False

    return not exits(node.body, True)


def _walk_no_functions(node: ast.AST):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        for child in ast.iter_child_nodes(n):
            if not isinstance(child, (ast.FunctionDef, ast.Lambda, ast.AsyncFunctionDef)):
                stack.append(child)


def _inside_inner_loop(root: ast.AST, target: ast.AST) -> bool:
    """Whether `target` (a break) sits inside a loop nested within `root`."""
    def search(n: ast.AST, depth: int) -> int | None:
        if n is target:
            return depth
        inc = 1 if isinstance(n, (ast.For, ast.While)) else 0
        for c in ast.iter_child_nodes(n):
            r = search(c, depth + inc)
            if r is not None:
                return r
        return None
    d = search(root, 0)
    return bool(d)


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
                for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                    if isinstance(d, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp, ast.Call)):
                        problems.append(_p("mutable-default", f"{node.name}: mutable default argument "
                                           "(state would leak between calls)", d))
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
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        local = _local_names(fn)
        shared = info.module_level - local
        for node in ast.walk(fn):
            base = None
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
                base = node.value
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in MUTATING_METHODS):
                base = node.func.value
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name) and base.id in shared and base.id not in info.functions:
                problems.append(_p("module-state-mutation", f"{fn.name} mutates module-level {base.id!r}", node))
    return _dedupe(problems), info


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
