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
    """What `runtime.<name>` may name: exactly the runtime's `__all__` (its allow-list), never
    a module, decorator or type it happens to import (`runtime.lru_cache` would be a way to
    keep state between documents)."""
    import extractors.runtime as rt

    return frozenset(rt.__all__)


# Calls that may take one of the module's own functions as an argument (a sort key, a map or
# filter function, a regex replacement). Anywhere else a function is only ever called by name:
# a function passed around as a value is how recursion hides from the call graph.
FUNCTION_ARG_CALLS = frozenset({"sorted", "min", "max", "map", "filter", "sort", "sub", "subn"})
# Module-level values are built once and shared by every document: no iterators, no calls of
# the module's own functions (a factory returning a closure), nothing that yields.
MODULE_LEVEL_DENIED_CALLS = frozenset({"iter", "map", "filter", "zip", "enumerate", "reversed"})

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
    all_functions: dict[str, ast.FunctionDef] = field(default_factory=dict)  # nested ones too


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


def _root_name(node: ast.AST) -> str | None:
    """`a` for `a`, `a.b`, `a[k].c`; None for anything computed."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _constant_default(node: ast.AST) -> bool:
    """A literal that cannot hold state: a constant, a negative number, a tuple of those."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant)
    if isinstance(node, ast.Tuple):
        return all(_constant_default(e) for e in node.elts)
    return False


def _check_defaults(node: ast.FunctionDef | ast.Lambda, name: str, problems: list[Problem]) -> None:
    for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
        if not _constant_default(d):
            problems.append(_p("mutable-default", f"{name}: default argument is not a literal constant "
                               "(state would leak between calls)", d))


def _non_function_bindings(tree: ast.Module) -> set[str]:
    """Names bound anywhere as data (parameters, assignments, loop and comprehension targets,
    ...): calling such a name calls whatever value reached it."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return names


def _call_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _check_calls(tree: ast.Module, info: ModuleInfo, problems: list[Problem]) -> None:
    """Recursion in any form needs a function value called where the call graph cannot see
    it: a parameter, a local, an element of a container, the result of a call. So a call
    names a builtin, an import or a module function directly, and the module's functions are
    never passed around as values (except as the function argument of sorted/map/filter/...)."""
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        if fn.name in info.all_functions and info.all_functions[fn.name] is not fn and fn.name not in info.functions:
            problems.append(_p("redefinition", f"function {fn.name!r} is defined twice", fn))
        info.all_functions.setdefault(fn.name, fn)
    data_names = _non_function_bindings(tree)
    callable_names = (set(ALLOWED_BUILTINS) | set(info.all_functions) | set(info.imported_names)) - data_names
    allowed_refs: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name):
            allowed_refs.add(id(f))
            if f.id not in callable_names and f.id not in FORBIDDEN_NAMES and not f.id.startswith("__"):
                problems.append(_p("call-target", f"call of {f.id!r}: only builtins, imports and the module's "
                                   "own functions may be called (not parameters or variables)", node))
        elif not isinstance(f, ast.Attribute):
            problems.append(_p("call-target", f"call of a computed {type(f).__name__} value: call functions "
                               "by name", node))
        if _call_name(f) in FUNCTION_ARG_CALLS:
            for a in list(node.args) + [k.value for k in node.keywords]:
                if isinstance(a, ast.Name) and a.id in info.all_functions:
                    allowed_refs.add(id(a))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in info.all_functions
                and id(node) not in allowed_refs):
            problems.append(_p("function-value", f"function {node.id!r} used as a value: call it by name "
                               "(functions passed around hide recursion and state)", node))


def _check_module_values(tree: ast.Module, info: ModuleInfo, problems: list[Problem]) -> None:
    """Module-level values are shared by every document the extractor reads: no generators,
    no iterators, no call of the module's own functions (a factory of closures)."""
    for stmt in tree.body:
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or stmt.value is None:
            continue
        for node in ast.walk(stmt.value):
            if isinstance(node, (ast.GeneratorExp, ast.Yield, ast.YieldFrom)):
                problems.append(_p("module-state", "generator at module level (its state would carry "
                                   "from one document to the next)", node))
            elif isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else None
                if name in info.functions:
                    problems.append(_p("module-state", f"module level calls the module's own function {name!r} "
                                       "(a closure or cached value would be shared by every document)", node))
        for node in _value_positions(stmt.value):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in MODULE_LEVEL_DENIED_CALLS):
                problems.append(_p("module-state", f"{node.func.id}() bound at module level is an iterator "
                                   "shared by every document", node))


def _value_positions(node: ast.AST):
    """The expressions whose value ends up bound: the value itself and the elements of
    displays (an iterator consumed by an enclosing call, `dict(zip(a, b))`, is harmless)."""
    yield node
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for e in node.elts:
            yield from _value_positions(e)
    elif isinstance(node, ast.Dict):
        for e in node.values:
            yield from _value_positions(e)
    elif isinstance(node, ast.IfExp):
        yield from _value_positions(node.body)
        yield from _value_positions(node.orelse)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
