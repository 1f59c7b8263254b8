"""Strings a FastAPI app builds its URLs from, evaluated without running anything.

Route prefixes and docs URLs often come from settings: `APIRouter(prefix=settings.API_V1_STR)`,
`FastAPI(openapi_url=f"{settings.API_V1_STR}/openapi.json")`, where `settings = Settings()` and
`class Settings(BaseSettings): API_V1_STR: str = "/api/v1"`. This reads such expressions across modules:
string constants, f-strings and `+`, module constants, imported names, and class-level defaults of the
object a name is bound to (`Settings()`, `get_settings()` returning one, pydantic `Field("/x")`).

A settings default is what the app serves unless its environment says otherwise; that is the best a static
reading can know, and the one the project documents.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from quayside.inspection.appmodule import ClassDecl, ModuleFacts

MAX_DEPTH = 12
T = TypeVar("T")


class StaticStrings:
    """Evaluates string expressions of one project's modules. `facts` reads a module; `resolve` finds the
    module an import names (module, level, from_file)."""

    def __init__(self, facts: Callable[[Path], ModuleFacts], resolve: Callable[[Path, str, int], Path | None]):
        self.facts = facts
        self.resolve = resolve

    def string(self, file: Path, node: ast.expr | None, depth: int = 0) -> str | None:
        if node is None or depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    if value.format_spec is not None or value.conversion not in (-1, ord("s")):
                        return None
                    text = self.string(file, value.value, depth + 1)
                else:
                    text = self.string(file, value, depth + 1)
                if text is None:
                    return None
                parts.append(text)
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.string(file, node.left, depth + 1)
            right = self.string(file, node.right, depth + 1)
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.Call) and _field_default(node) is not None:
            return self.string(file, _field_default(node), depth + 1)
        if isinstance(node, ast.Name):
            found = self.name(file, node.id, depth + 1)
            return self.string(found[0], found[1], depth + 1) if found else None
        if isinstance(node, ast.Attribute):
            owner = self.instance_class(file, node.value, depth + 1)
            if owner is None:
                return None
            owner_file, decl = owner
            default = self.attribute(owner_file, decl, node.attr, depth + 1)
            return self.string(default[0], default[1], depth + 1) if default else None
        return None

    def _follow(self, file: Path, name: str, depth: int, table: Callable[[ModuleFacts], dict[str, T]]) -> tuple[Path, T] | None:
        """What a module-level name is in one of the module's tables (constants, classes, function returns),
        following `from x import name` to the module that defines it."""
        if depth > MAX_DEPTH:
            return None
        facts = self.facts(file)
        found = table(facts)
        if name in found:
            return file, found[name]
        if name in facts.imports:
            module, level, attr = facts.imports[name]
            target = self.resolve(file, module, level) if attr else None
            return self._follow(target, attr, depth + 1, table) if target is not None and attr else None
        return None

    def name(self, file: Path, name: str, depth: int) -> tuple[Path, ast.expr] | None:
        """The expression a module-level name is bound to."""
        return self._follow(file, name, depth, lambda facts: facts.constants)

    def _class(self, file: Path, name: str, depth: int) -> tuple[Path, ClassDecl] | None:
        return self._follow(file, name, depth, lambda facts: facts.classes)

    def _function_return(self, file: Path, name: str, depth: int) -> tuple[Path, ast.expr] | None:
        return self._follow(file, name, depth, lambda facts: facts.returns)

    def instance_class(self, file: Path, node: ast.expr, depth: int) -> tuple[Path, ClassDecl] | None:
        """The class whose instance `node` is: `Settings()`, `settings` bound to one, `get_settings()` returning one."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Name):
            bound = self.name(file, node.id, depth + 1)
            return self.instance_class(bound[0], bound[1], depth + 1) if bound else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            cls = self._class(file, node.func.id, depth + 1)
            if cls is not None:
                return cls
            returned = self._function_return(file, node.func.id, depth + 1)
            return self.instance_class(returned[0], returned[1], depth + 1) if returned else None
        return None

    def attribute(self, file: Path, decl: ClassDecl, attr: str, depth: int) -> tuple[Path, ast.expr] | None:
        """A class-level default, looking through base classes the project defines."""
        if depth > MAX_DEPTH:
            return None
        if attr in decl.attributes:
            return file, decl.attributes[attr]
        for base in decl.bases:
            if isinstance(base, ast.Name):
                found = self._class(file, base.id, depth + 1)
                if found is not None and (value := self.attribute(found[0], found[1], attr, depth + 1)):
                    return value
        return None


def _field_default(call: ast.Call) -> ast.expr | None:
    """pydantic's `Field("/x")` / `Field(default="/x")`."""
    name = call.func.id if isinstance(call.func, ast.Name) else call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if name != "Field":
        return None
    for kw in call.keywords:
        if kw.arg == "default":
            return kw.value
    return call.args[0] if call.args else None
