"""Code from model replies: the function in a reply, parsed leniently and normalised.

Split from `extractors.llm_candidates` (whose public names still import from there) because
turning free-form model text into a canonical `def field_<name>(doc, pairs, order)` that fits
a shared artifact module is one job, pure AST work with no requests.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import re
import textwrap

from extractors import runtime
from pipeline.errors import DoccError

class CodeError(DoccError, ValueError):
    """A reply holds no usable function."""


_FENCED = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:\n[ \t]*```|\Z)", re.S)
_CODE_START = re.compile(r"^(?:def |import |from |@)", re.M)


def extract_code(text: str, name: str | None = None) -> str:
    """The Python code in a model reply: the fenced block that defines `name` (else the first
    with a `def`, else the first), or the text from its first `def`/`import` line when there
    is no fence. An unterminated fence (reply cut off) counts."""
    blocks = [m.group(2) for m in _FENCED.finditer(text)]
    if blocks:
        for want in ([f"def {name}("] if name else []) + ["def "]:
            for b in blocks:
                if want in b:
                    return textwrap.dedent(b).strip("\n")
        return textwrap.dedent(blocks[0]).strip("\n")
    m = _CODE_START.search(text)
    return textwrap.dedent(text[m.start():] if m else text).strip("\n")


def parse_lenient(code: str) -> ast.Module:
    """Parse `code`; when it does not parse (often a reply cut off by max_tokens), drop
    trailing lines until it does. Raises CodeError when nothing with a `def` is left."""
    lines = code.splitlines()
    for end in range(len(lines), 0, -1):
        chunk = "\n".join(lines[:end])
        if "def " not in chunk:
            break
        try:
            return ast.parse(chunk)
        except (SyntaxError, ValueError):
            continue
    raise CodeError("the reply holds no Python function that parses")


_MODULES = {"re": "re", "datetime": "datetime", "decimal": "decimal", "runtime": "runtime",
            "extractors.runtime": "runtime"}
_DROP_IMPORTS = {"typing", "__future__", "typing_extensions"}
_CANON_IMPORT = {"re": "import re", "datetime": "import datetime", "decimal": "import decimal"}
FIELD_ARGS = ("doc", "pairs", "order")
_BUILTINS = frozenset(dir(builtins))


class _Rewrite(ast.NodeTransformer):
    """Canonical module references, renamed module-level helpers, no annotations."""

    def __init__(self, aliases: dict[str, str], imported: dict[str, tuple[str, str]], renames: dict[str, str]):
        self.aliases = aliases            # local name -> canonical module name
        self.imported = imported          # local name -> (canonical module, attribute)
        self.renames = renames            # module-level helper name -> prefixed name

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.renames:
            return ast.copy_location(ast.Name(self.renames[node.id], node.ctx), node)
        if isinstance(node.ctx, ast.Load):
            if node.id in self.imported:
                mod, attr = self.imported[node.id]
                return ast.copy_location(ast.Attribute(ast.Name(mod, ast.Load()), attr, ast.Load()), node)
            if node.id in self.aliases and self.aliases[node.id] != node.id:
                return ast.copy_location(ast.Name(self.aliases[node.id], ast.Load()), node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        # extractors.runtime.x -> runtime.x
        v = node.value
        if (isinstance(v, ast.Attribute) and v.attr == "runtime" and isinstance(v.value, ast.Name)
                and v.value.id == "extractors"):
            return ast.copy_location(ast.Attribute(ast.Name("runtime", ast.Load()), node.attr, node.ctx), node)
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.name in self.renames:
            node.name = self.renames[node.name]
        node.returns = None
        for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs, node.args.vararg, node.args.kwarg]:
            if a is not None:
                a.annotation = None
        body = []
        for stmt in node.body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) and _import_is_hoistable(stmt):
                continue  # hoisted to module level (collected beforehand)
            body.append(stmt)
        node.body = body or [ast.Pass()]
        self.generic_visit(node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        f = node.func
        if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "runtime"):
            return node
        params = _runtime_keywords(f.attr)
        if params is not None:  # `runtime.search(..., pairs=pairs)`: a common slip, a sure TypeError
            node.keywords = [kw for kw in node.keywords if kw.arg is None or kw.arg in params]
        if f.attr == "field":
            for kw in node.keywords:
                if kw.arg == "labels":
                    kw.value = _norm_label_literal(kw.value)
                elif kw.arg in ("keywords", "foes"):
                    kw.value = _stem_keyword_literal(kw.value)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is None:
            return ast.Pass()
        return ast.copy_location(ast.Assign([node.target], self.visit(node.value)), node)

    def visit_Import(self, node: ast.Import) -> ast.AST | None:
        return node if not _import_is_hoistable(node) else None

    visit_ImportFrom = visit_Import


def _runtime_keywords(name: str) -> frozenset[str] | None:
    """Keyword names `runtime.<name>` accepts; None when unknown or it takes **kwargs."""
    fn = getattr(runtime, name, None) if not name.startswith("_") else None
    if fn is None or not callable(fn):
        return None
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return frozenset(n for n, p in sig.parameters.items() if p.kind is not inspect.Parameter.POSITIONAL_ONLY)


def _norm_label_literal(node: ast.expr) -> ast.expr:
    """`labels=["Date of Birth", "DOB:", "dob"]` -> `["date of birth", "dob"]`: runtime.field compares
    `norm_phrase(printed label)` with its labels, so other spellings could never match."""
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return node
    if not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return node
    seen: list[str] = []
    for e in node.elts:
        p = runtime.norm_phrase(e.value.replace("_", " "))
        if p and p not in seen:
            seen.append(p)
    return ast.copy_location(ast.List([ast.Constant(p) for p in seen], ast.Load()), node)


def _stem_keyword_literal(node: ast.expr) -> ast.expr:
    """`keywords={"birth": 1.0}` -> `{"birt": 1.0}`: runtime.field looks keywords up by `runtime.stem`."""
    if not isinstance(node, ast.Dict) or not all(
            isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
        return node
    if not all(isinstance(v, ast.Constant) and isinstance(v.value, (int, float)) and not isinstance(v.value, bool)
               for v in node.values):
        return node
    merged: dict[str, float] = {}
    for k, v in zip(node.keys, node.values):
        for token in k.value.split():
            s = runtime.stem(token)
            if s:
                merged[s] = max(merged.get(s, v.value), v.value)
    return ast.copy_location(ast.Dict([ast.Constant(k) for k in merged], [ast.Constant(v) for v in merged.values()]), node)


def _module_of(name: str | None) -> str | None:
    return _MODULES.get(name or "")


def _import_is_hoistable(node: ast.Import | ast.ImportFrom) -> bool:
    """Whether an import only names allowed modules (rewritten canonically) or typing (dropped)."""
    if isinstance(node, ast.Import):
        return all(_module_of(a.name) or a.name in _DROP_IMPORTS or a.name == "extractors" for a in node.names)
    if node.level:
        return False
    if node.module in _DROP_IMPORTS:
        return True
    if node.module == "extractors":
        return all(a.name == "runtime" for a in node.names)
    return _module_of(node.module) is not None and all(a.name != "*" for a in node.names)


def _collect_imports(tree: ast.Module) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Local names bound by allowed imports: aliases (name -> canonical module) and names
    imported from a module (name -> (canonical module, attribute))."""
    aliases: dict[str, str] = {}
    imported: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and _import_is_hoistable(node):
            for a in node.names:
                mod = _module_of(a.name)
                if mod and (a.asname or "." not in a.name):
                    aliases[a.asname or a.name] = mod
                # `import extractors.runtime` binds `extractors`: `extractors.runtime.x` is rewritten
        elif isinstance(node, ast.ImportFrom) and _import_is_hoistable(node):
            if node.module in _DROP_IMPORTS:
                continue
            if node.module == "extractors":
                for a in node.names:
                    aliases[a.asname or a.name] = "runtime"
                continue
            mod = _module_of(node.module)
            for a in node.names:
                imported[a.asname or a.name] = (mod, a.name)
    return aliases, imported


def _names_loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _free_names(node: ast.AST) -> set[str]:
    """Names an expression reads that it does not bind itself (lambda parameters, comprehension targets)."""
    bound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {a.arg for n in ast.walk(node) if isinstance(n, ast.Lambda)
              for a in [*n.args.posonlyargs, *n.args.args, *n.args.kwonlyargs, n.args.vararg, n.args.kwarg] if a}
    return _names_loaded(node) - bound


def _pick_function(funcs: list[ast.FunctionDef], name: str, field: str) -> ast.FunctionDef | None:
    for f in funcs:
        if f.name == name:
            return f
    for test in (lambda f: field in f.name, lambda f: f.name.startswith(("field_", "extract", "get_")),
                 lambda f: [a.arg for a in f.args.args[:1]] == ["doc"]):
        hits = [f for f in funcs if test(f)]
        if len(hits) == 1:
            return hits[0]
    return funcs[0] if len(funcs) == 1 else None


def normalise_function(code: str, field: str) -> str:
    """Turn model code into one self-contained candidate: `def field_<field>(doc, pairs, order)`.

    - the target is the function of that name, else the one whose name mentions the field,
      else the only function; it is renamed, and given the `(doc, pairs, order)` parameters
      when it takes fewer;
    - imports of re, datetime, decimal and extractors.runtime, wherever they were written, become
      `import re` / `import datetime` / `import decimal` at the top (runtime comes from the
      artifact's header), with `from m import x` uses rewritten to `m.x` and aliases undone (so
      candidates of different fields cannot rebind each other's names in one artifact); typing
      imports and annotations go;
    - in `runtime.*` calls, keyword arguments the helper does not take are dropped, and
      `runtime.field`'s literal labels and keywords are put in the runtime's form
      (`norm_phrase`d labels, `stem`med keywords), which the model rarely gets right;
    - other imports stay as written (validation rejects them, and the repair prompt says why);
    - module-level helpers and constants are renamed `field_<field>_<name>`; top-level
      statements that are neither definitions nor constant assignments (example usage,
      `if __name__ == ...`) are dropped.

    Raises CodeError when there is no function."""
    target = f"field_{field}"
    tree = parse_lenient(code)
    funcs = [s for s in tree.body if isinstance(s, ast.FunctionDef)]
    fn = _pick_function(funcs, target, field)
    if fn is None:
        raise CodeError(f"the reply does not define {target}(doc, pairs, order)")
    aliases, imported = _collect_imports(tree)
    module_names = {"re", "datetime", "decimal", "runtime"}
    kept: list[ast.stmt] = []
    defined: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            if not _import_is_hoistable(stmt):
                kept.append(stmt)
        elif isinstance(stmt, ast.FunctionDef):
            kept.append(stmt)
            defined.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if not all(isinstance(t, ast.Name) for t in targets):
                continue
            free = _free_names(stmt.value) - set(aliases) - set(imported) - module_names - defined - _BUILTINS
            if free:
                continue  # refers to something undefined at module level: example usage
            kept.append(stmt)
            defined.update(t.id for t in targets)
        # anything else (docstrings, calls, prints, loops, `if __name__`): example usage, dropped
    renames = {n: f"{target}_{n.lstrip('_')}" for n in defined if n != fn.name}
    renames[fn.name] = target
    if fn.name == target:
        renames.pop(target)
    rewritten = _Rewrite(aliases, imported, renames)
    new_body = [rewritten.visit(s) for s in kept]
    new_body = [s for s in new_body if s is not None]
    fn_new = next(s for s in new_body if isinstance(s, ast.FunctionDef) and s.name == target)
    _fix_signature(fn_new)
    # runtime comes from the artifact's header (`render_module`); the others are imported here
    loaded = _names_loaded(ast.Module(new_body, []))
    header = [_CANON_IMPORT[m] for m in ("re", "datetime", "decimal") if m in loaded]
    # the target last, helpers and constants before it
    ordered = [s for s in new_body if s is not fn_new] + [fn_new]
    body = ast.unparse(ast.fix_missing_locations(ast.Module(ordered, [])))
    return ("\n".join(header) + "\n\n" if header else "") + body + "\n"


def _fix_signature(fn: ast.FunctionDef) -> None:
    """At least three positional parameters, so `field_x(doc, pairs, order)` binds."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    if len(positional) >= 3 or args.vararg:
        return
    # a local variable of the wanted name keeps it; a free use of it (`pairs` read but not
    # a parameter) is exactly what the new parameter binds
    taken = {a.arg for a in [*positional, *args.kwonlyargs]}
    taken |= {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    for wanted in FIELD_ARGS[len(positional):]:
        name = wanted
        while name in taken:
            name += "_arg"
        args.args.append(ast.arg(name))
        taken.add(name)
        if args.defaults:  # parameters after a defaulted one need a default too
            args.defaults.append(ast.Constant(None))
