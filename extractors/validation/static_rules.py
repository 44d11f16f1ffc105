"""The static stage's vocabulary: what a candidate may name, the size limits, the record.

Split from `extractors.validation.static` (which re-exports these names) so that the lists a
reviewer audits (builtins, forbidden names, module attributes, syntax) sit apart from the
code that walks a candidate's tree; the sandbox child imports `ALLOWED_BUILTINS` through
`static` as before.
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
