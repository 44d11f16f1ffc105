"""Stage 2, security (static half): Bandit plus docc's own AST rules.

The dynamic half, running candidates in a locked-down child process, is
`extractors.validation.sandbox`.

docc's rules, on top of stage 1:
- every attribute read must be on an allow-list: the public document API (pages, words,
  lines, text, ...), `Found`'s fields, public methods of str/list/dict/set/tuple/int/float,
  `re.Match`/`re.Pattern`, date/datetime/timedelta and Decimal, and the public names of
  `extractors.runtime`. `doc.meta`, frame and generator internals and the like are refused;
- nothing nondeterministic: `now()`, `today()`, `timestamp()`, iteration over a set;
- no string-built attribute access: no `str.format` with `{0.attr}` or `{0[key]}` fields, no
  string constant naming a dunder, no encoded payloads;
- no allocation bombs: huge powers, shifts, sequence repetition or ranges with constant sizes;
- no recursion between the module's functions (a recursion bomb would crash the sandbox).
"""
from __future__ import annotations

import ast
import datetime as _dt
import decimal as _decimal
import io
import logging
import re
import string
from functools import lru_cache

from extractors.validation.problems import Problem
from extractors.validation.static import ModuleInfo, analyse

STAGE = "security"

DOCUMENT_API = frozenset({
    "pages", "words", "lines", "text", "number", "width", "height", "source", "bbox", "conf",
    "x0", "top", "x1", "bottom", "sha256",
})
FOUND_API = frozenset({"value", "page", "bbox", "text", "confidence"})
NONDETERMINISTIC_ATTRS = frozenset({
    "now", "today", "utcnow", "fromtimestamp", "utcfromtimestamp", "timestamp", "astimezone",
})
DENIED_ATTRS = NONDETERMINISTIC_ATTRS | {"format", "format_map", "scanner", "mro"}
# interpreter internals reachable from frames, generators, coroutines, tracebacks and code
# objects: denied whatever else the allow-list says
INTERNAL_PREFIXES = ("gi_", "cr_", "ag_", "f_", "tb_", "co_")
INTERNAL_ATTRS = frozenset({"func_globals", "func_code", "im_func", "im_self", "cell_contents"})

BANDIT_SKIP = frozenset({"B101"})  # assert: harmless in extraction code (an AssertionError is just an error)

MAX_CONST_SIZE = 100_000     # largest repetition / range / literal size written as constants
MAX_POWER_RESULT = 10 ** 18
MAX_STRING_LITERAL = 5_000
# a group that ends in a quantifier and is itself quantified: (a+)+, (\w*\s?)*, (x{2,})+
NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}?]\)(?:[+*]|\{\d*,\d*\})")
PAYLOAD = re.compile(r"^[A-Za-z0-9+/=_\-\\x]{120,}$")

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def allowed_attributes() -> frozenset[str]:
    names: set[str] = set(DOCUMENT_API | FOUND_API)
    for t in (str, list, dict, set, frozenset, tuple, int, float, bool, re.Match, re.Pattern,
              _dt.date, _dt.datetime, _dt.time, _dt.timedelta, _decimal.Decimal):
        names |= {a for a in dir(t) if not a.startswith("_")}
    names |= runtime_result_attributes()
    return frozenset(n for n in names - DENIED_ATTRS - INTERNAL_ATTRS if not n.startswith(INTERNAL_PREFIXES))


def runtime_result_attributes() -> set[str]:
    """Public attributes of the classes the runtime's helpers return (Pair, Cell, PairIndex,
    Column, Found): reading `pair.value_text` from `runtime.iter_pairs` is the API."""
    import extractors.runtime as rt

    names: set[str] = set()
    for name in rt.__all__:
        obj = getattr(rt, name)
        if isinstance(obj, type):
            names |= {a for a in dir(obj) if not a.startswith("_")}
    return names


def _p(code: str, message: str, node: ast.AST | None = None) -> Problem:
    return Problem(STAGE, code, message, getattr(node, "lineno", None))


# ------------------------------------------------------------------ Bandit

class _DropMissingFormatter(logging.Filter):
    """stevedore logs an ERROR for every optional bandit formatter whose extra is not
    installed (sarif); docc never uses those formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Could not load" not in record.getMessage()


@lru_cache(maxsize=1)
def _bandit_config():
    logging.getLogger("bandit").setLevel(logging.ERROR)
    logging.getLogger("stevedore.extension").addFilter(_DropMissingFormatter())
    import warnings

    with warnings.catch_warnings():  # stevedore: "verify_requirements ... is now a no-op"
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*verify_requirements.*")
        from bandit.core import config as b_config
        from bandit.core import manager  # noqa: F401 - loads bandit's plugins

        return b_config.BanditConfig()


def bandit_problems(source: str) -> list[Problem]:
    """Bandit's findings (every severity, `# nosec` ignored) as security problems."""
    conf = _bandit_config()  # first: it silences plugin-loading noise before bandit loads plugins
    from bandit.core import manager as b_manager

    mgr = b_manager.BanditManager(conf, "file", quiet=True, ignore_nosec=True)
    data = source.encode("utf-8", "surrogatepass")
    fname = "candidate.py"
    # BanditManager only reads files from disk or stdin; `_parse_file` is the per-file step of
    # `run_tests` and takes any binary stream, which spares a temp file per candidate.
    mgr._parse_file(fname, io.BytesIO(data), [fname])
    problems = []
    for skipped, reason in mgr.skipped:
        problems.append(_p("bandit-skipped", f"bandit could not scan the candidate: {reason}"))
    for issue in mgr.get_issue_list():
        if issue.test_id in BANDIT_SKIP:
            continue
        problems.append(Problem(STAGE, f"bandit-{issue.test_id}",
                                f"{issue.text} (severity {issue.severity}, confidence {issue.confidence})",
                                issue.lineno))
    return problems


# ------------------------------------------------------------------ docc AST rules

def _const_int(node: ast.AST, depth: int = 0) -> int | None:
    """The value of a small constant integer expression, or None when not constant.

    Oversized intermediate results return a sentinel bigger than any limit rather than
    being computed (computing them is the bomb)."""
    if depth > 20:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _const_int(node.operand, depth + 1)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp):
        a, b = _const_int(node.left, depth + 1), _const_int(node.right, depth + 1)
        if a is None or b is None:
            return None
        big = MAX_POWER_RESULT * 10
        try:
            if isinstance(node.op, ast.Pow):
                if b < 0:
                    return 0
                if abs(a) > 1 and b * max(abs(a).bit_length(), 1) > 64:
                    return big
                return a ** b
            if isinstance(node.op, ast.LShift):
                return big if b > 64 else a << b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.FloorDiv):
                return a // b if b else None
        except (OverflowError, ValueError):
            return big
    return None


def _is_sequence_expr(node: ast.AST) -> bool:
    return (isinstance(node, (ast.List, ast.Tuple, ast.ListComp, ast.JoinedStr))
            or (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))))


def _is_set_expr(node: ast.AST) -> bool:
    return (isinstance(node, (ast.Set, ast.SetComp))
            or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("set", "frozenset")))


ORDER_SENSITIVE_CALLS = frozenset({"list", "tuple", "enumerate", "iter", "next", "zip", "reversed", "map", "filter", "dict"})


def _format_fields_safe(fmt: str) -> bool:
    try:
        for _, field, spec, _ in string.Formatter().parse(fmt):
            for part in (field or "", spec or ""):
                if "." in part or "[" in part or "{" in part:
                    return False
    except ValueError:
        return False
    return True


def _fold_str(node: ast.AST, depth: int = 0) -> str | None:
    """The value of a string expression built from constants only ("_" + "_x", "_" * 2,
    f"{'_'}_", "".join(("_", "_")), chr(95)), or None when it depends on data."""
    if depth > 30:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        fmt = _fold_str(node.left, depth + 1)
        args = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        vals = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, (str, int)) else _fold_str(a, depth + 1)
                for a in args]
        if fmt is not None and all(v is not None for v in vals) and len(fmt) < 200:
            try:
                return fmt % tuple(vals)
            except (TypeError, ValueError, OverflowError):
                return None
        return None
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add):
            a, b = _fold_str(node.left, depth + 1), _fold_str(node.right, depth + 1)
            return a + b if a is not None and b is not None else None
        if isinstance(node.op, ast.Mult):
            for seq, cnt in ((node.left, node.right), (node.right, node.left)):
                s, n = _fold_str(seq, depth + 1), _const_int(cnt)
                if s is not None and n is not None:
                    return s * max(0, min(n, 4))  # enough to see a "__"
        return None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            part = _fold_str(v.value if isinstance(v, ast.FormattedValue) else v, depth + 1)
            parts.append(part if part is not None else "\0")  # data breaks a run of underscores
        return "".join(parts)
    if isinstance(node, ast.Call) and not node.keywords:
        f = node.func
        if isinstance(f, ast.Name) and f.id == "chr" and len(node.args) == 1:
            n = _const_int(node.args[0])
            return chr(n) if n is not None and 0 <= n < 0x110000 else None
        if (isinstance(f, ast.Attribute) and f.attr == "join" and len(node.args) == 1
                and isinstance(node.args[0], (ast.List, ast.Tuple))):
            sep = _fold_str(f.value, depth + 1)
            items = [_fold_str(e, depth + 1) for e in node.args[0].elts]
            if sep is not None and all(i is not None for i in items):
                return sep.join(items)
    return None


def _call_graph(info: ModuleInfo) -> dict[str, set[str]]:
    """Which function names each function (nested ones included) refers to, called or not."""
    functions = info.all_functions or info.functions
    graph: dict[str, set[str]] = {}
    for name, fn in functions.items():
        called = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in functions:
                called.add(node.id)
        graph[name] = called
    return graph


def _cycles(graph: dict[str, set[str]]) -> set[str]:
    """Functions that can reach themselves."""
    out = set()
    for start in graph:
        stack, seen = list(graph[start]), set()
        while stack:
            n = stack.pop()
            if n == start:
                out.add(start)
                break
            if n in seen:
                continue
            seen.add(n)
            stack.extend(graph.get(n, ()))
    return out


def ast_problems(info: ModuleInfo) -> list[Problem]:
    problems: list[Problem] = []
    allowed = allowed_attributes()
    tree = info.tree
    module_aliases = set(info.module_aliases)
    literal_format = {
        id(n.func) for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "format"
        and isinstance(n.func.value, ast.Constant) and isinstance(n.func.value.value, str)
        and _format_fields_safe(n.func.value.value)
    }
    for node in ast.walk(tree):
        folded = _fold_str(node) if isinstance(node, (ast.BinOp, ast.JoinedStr, ast.Call)) else None
        if folded is not None and "__" in folded:
            problems.append(_p("dunder-string", "string expression builds a dunder name "
                               "(string-built attribute access)", node))
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 2000
                and NESTED_QUANTIFIER.search(node.value)):
            problems.append(_p("redos", "pattern with a nested quantifier ((a+)+): catastrophic backtracking", node))
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id in module_aliases:
                continue  # module attributes are vetted by the static stage
            if (isinstance(base, ast.Attribute) and base.attr == "runtime" and isinstance(base.value, ast.Name)
                    and info.module_aliases.get(base.value.id) == "extractors"):
                continue  # extractors.runtime.X
            if node.attr in ("format", "format_map"):
                if id(node) not in literal_format:
                    problems.append(_p("format-access", f".{node.attr} is allowed only as a direct call on a "
                                       "string literal without attribute or index fields", node))
                continue
            if node.attr.startswith(INTERNAL_PREFIXES) or node.attr in INTERNAL_ATTRS:
                problems.append(_p("interpreter-internals", f"attribute {node.attr!r} reaches frames, code or "
                                   "generator internals", node))
            elif node.attr in NONDETERMINISTIC_ATTRS:
                problems.append(_p("nondeterministic", f".{node.attr}() depends on the clock or the local time zone", node))
            elif node.attr not in allowed:
                problems.append(_p("attribute-not-allowed", f"attribute {node.attr!r} is outside the document, "
                                   "Found and standard value APIs", node))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            s = node.value
            if "__" in s:
                problems.append(_p("dunder-string", "string constant names a dunder (string-built attribute access)", node))
            if len(s) > MAX_STRING_LITERAL:
                problems.append(_p("large-literal", f"string literal of {len(s)} characters", node))
            elif PAYLOAD.match(s) and not re.search(r"[\\()\[\]?*+|^$]", s[:200].replace("+/", "")):
                problems.append(_p("encoded-payload", "long encoded-looking string constant (hidden payload?)", node))
        elif isinstance(node, ast.BinOp):
            if isinstance(node.op, (ast.Pow, ast.LShift)):
                v = _const_int(node)
                if v is not None and abs(v) > MAX_POWER_RESULT:
                    problems.append(_p("large-power", "constant power or shift with a huge result", node))
                elif v is None and isinstance(node.op, ast.Pow):
                    exp = _const_int(node.right)
                    if exp is not None and exp > 64:
                        problems.append(_p("large-power", f"exponent {exp} is too large", node))
            elif isinstance(node.op, ast.Mult):
                sizes = [(_const_int(count), seq) for seq, count in ((node.left, node.right), (node.right, node.left))]
                if any(n is not None and n > MAX_CONST_SIZE and _is_sequence_expr(seq) for n, seq in sizes):
                    problems.append(_p("large-allocation", "repetition by a huge constant allocates a huge object", node))
                else:
                    v = _const_int(node)
                    if v is not None and abs(v) > MAX_POWER_RESULT:
                        problems.append(_p("large-power", "constant product is huge", node))
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id == "range":
                for a in node.args:
                    v = _const_int(a)
                    if v is not None and abs(v) > 10 * MAX_CONST_SIZE:
                        problems.append(_p("large-range", f"range over {v} items", node))
            if isinstance(f, ast.Name) and f.id in ORDER_SENSITIVE_CALLS and any(_is_set_expr(a) for a in node.args):
                problems.append(_p("set-order", f"{f.id}() over a set depends on hash order; use sorted()", node))
            if isinstance(f, ast.Attribute) and f.attr == "join" and any(_is_set_expr(a) for a in node.args):
                problems.append(_p("set-order", "join() over a set depends on hash order; use sorted()", node))
        elif isinstance(node, (ast.For, ast.comprehension)):
            if _is_set_expr(node.iter):
                problems.append(_p("set-order", "iterating a set depends on hash order; use sorted()", node))
        elif isinstance(node, ast.JoinedStr):
            pass  # f-strings: their expressions are ordinary AST, checked like any other
    for name in sorted(_cycles(_call_graph(info))):
        fn = (info.all_functions or info.functions)[name]
        problems.append(_p("recursion", f"{name} is recursive (directly or through other functions)", fn))
    return problems


def check_security(source: str, *, info: ModuleInfo | None = None, bandit: bool = True) -> list[Problem]:
    """Bandit plus docc's AST rules; empty when the candidate passes.

    Run it after `check_static` (it assumes the source parses)."""
    if info is None:
        static_problems, info = analyse(source)
        if info is None:
            return [_p("unparsable", "candidate does not parse")]
    problems = ast_problems(info)
    if bandit:
        problems.extend(bandit_problems(source))
    return problems
