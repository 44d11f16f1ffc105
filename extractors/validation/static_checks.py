"""The static stage's passes over a candidate's tree: imports, top level, calls, defaults,
module-level values, loops, and the name-binding helpers they share.

Split from `extractors.validation.static` (whose `analyse` runs them in order) so each pass
reads on its own; every pass appends `Problem`s and never raises.
"""
from __future__ import annotations

import ast

from extractors.validation.problems import Problem
from extractors.validation.static_rules import (ALLOWED_BUILTINS, FORBIDDEN_NAMES, FUNCTION_ARG_CALLS, MODULE_ATTRS,
                                                MODULE_LEVEL_DENIED_CALLS, RUNTIME_MODULE, ModuleInfo, _p,
                                                runtime_public_names)

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
