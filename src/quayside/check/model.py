"""Findings, fixes and the rule registry (a rule is id + name + severity + check, and a docstring that is its doc page)."""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum, StrEnum

from quayside.record import record, replace

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import ClassVar

    from quayside.check.context import CheckContext
    from quayside.check.dockerfile import Instruction


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"{text!r} is not a severity (info, warning, error)") from None

    @property
    def label(self) -> str:
        return self.name.lower()


class FixSafety(StrEnum):
    """As ruff's: a safe fix keeps what the image does; an unsafe one may change it, so it needs --unsafe-fixes."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@record(frozen=True)
class TextEdit:
    path: str  # project-relative; a file that does not exist yet is created (start = end = 0)
    start: int
    end: int
    text: str


@record(frozen=True)
class Fix:
    description: str
    edits: tuple[TextEdit, ...]
    safety: FixSafety = FixSafety.SAFE  # set from the rule when the finding is made


@record(frozen=True)
class Finding:
    rule: str
    name: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    fix: Fix | None = None

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    def fixable_with(self, *, unsafe: bool) -> bool:
        return self.fix is not None and (unsafe or self.fix.safety is FixSafety.SAFE)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.rule, "name": self.name, "severity": self.severity.label, "file": self.path,
            "line": self.line, "column": self.column, "end_line": self.end_line, "end_column": self.end_column,
            "message": self.message, "fixable": self.fixable,
            "fix_safety": self.fix.safety.value if self.fix is not None else None,
        }


class Rule:
    """Subclasses set the class attributes and implement `check`; the docstring is the rule's documentation."""

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    # A minimal project that triggers the rule and its corrected form: rendered into the docs and
    # run by the tests, so the documentation cannot drift from the behaviour.
    bad: ClassVar[dict[str, str]]
    good: ClassVar[dict[str, str]]
    fixable: ClassVar[bool] = False
    fix_safety: ClassVar[FixSafety] = FixSafety.SAFE
    unsafe_because: ClassVar[str] = ""  # with FixSafety.UNSAFE: what the fix may change
    # The FastAPI guide's section, Docker's and the servers' documentation the rule rests on: (title, url).
    references: ClassVar[tuple[tuple[str, str], ...]] = ()

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        import inspect  # only the docs need it; check's start does not
        import textwrap

        return textwrap.dedent(inspect.getdoc(cls) or "").strip()

    def _rated(self, fix: Fix | None) -> Fix | None:
        return replace(fix, safety=self.fix_safety) if fix is not None else None

    def at(self, path: str, ins: Instruction, message: str, fix: Fix | None = None) -> Finding:
        first_line_end = ins.end_column if ins.end_line == ins.line else None
        return Finding(
            self.id, self.name, self.severity, path, ins.line, ins.column,
            ins.line, first_line_end or ins.column + len(ins.keyword), message, self._rated(fix),
        )

    def at_line(self, path: str, line: int, column: int, message: str, *, length: int = 1, fix: Fix | None = None) -> Finding:
        return Finding(self.id, self.name, self.severity, path, line, column, line, column + max(length, 1), message,
                       self._rated(fix))


RULES: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    if cls.id in RULES:
        raise RuntimeError(f"rule {cls.id} registered twice")
    if cls.fixable and cls.fix_safety is FixSafety.UNSAFE and not cls.unsafe_because:
        raise RuntimeError(f"rule {cls.id} has an unsafe fix but does not say what it may change")
    RULES[cls.id] = cls()
    return cls
