"""A Dockerfile parser with BuildKit's semantics, keeping 1-based line/column spans and text offsets.

Written here rather than taken from a library: the Python Dockerfile parsers on PyPI either wrap Go
(no spans, no offsets to edit with) or predate heredocs. Semantics follow BuildKit's frontend:
parser directives only at the very top (`syntax`, `escape`, `check`); a line ending in the escape character
continues (the lines are concatenated as they are); `#` lines are comments even inside a continuation;
empty continuation lines are skipped; heredocs (`<<EOF`, `<<-EOF`, quoted) for RUN, COPY and ADD;
JSON (exec) form when the arguments are a JSON array of strings; ARG substitution in FROM.
Never raises on bad input: problems become ParseError entries (rule QS000).
"""

from __future__ import annotations

import itertools
import json
import re

from quayside.check.lazyre import lazy_compile
from quayside.record import field, record

KNOWN_INSTRUCTIONS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
    "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}
HEREDOC_INSTRUCTIONS = {"RUN", "COPY", "ADD"}
# instructions whose arguments BuildKit reads as a JSON array when they look like one
JSON_INSTRUCTIONS = {"RUN", "CMD", "ENTRYPOINT", "SHELL", "HEALTHCHECK", "COPY", "ADD", "VOLUME"}
FLAG_INSTRUCTIONS = {"FROM", "COPY", "ADD", "RUN", "HEALTHCHECK"}
_DIRECTIVE = lazy_compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$")
_KNOWN_DIRECTIVES = {"syntax", "escape", "check"}
_HEREDOC_WORD = lazy_compile(r"(\d*)<<(-?)([^<]*)")  # a whole shell word, as BuildKit matches it
_VAR = lazy_compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


@record(frozen=True)
class ParseError:
    line: int
    column: int
    message: str


@record(frozen=True)
class Heredoc:
    name: str
    body: str
    strip_tabs: bool
    line: int  # line of the first body line


@record
class Instruction:
    keyword: str  # upper case
    args: str  # the logical arguments: continuations joined, comments dropped, heredoc bodies excluded
    line: int
    column: int
    end_line: int
    end_column: int
    start: int  # text offset of the keyword
    end: int  # text offset just past the last character (heredoc bodies included; newline excluded)
    args_start: int  # text offset of the first argument character
    flags: list[tuple[str, str | None]] = field(default_factory=list)
    rest: str = ""  # arguments after the flags
    heredocs: list[Heredoc] = field(default_factory=list)
    comments_before: list[str] = field(default_factory=list)  # contiguous comment lines right above
    stage: int = -1  # index of the stage it belongs to; -1 before the first FROM

    @property
    def exec_form(self) -> list[str] | None:
        return parse_exec_form(self.rest)

    def flag(self, name: str) -> str | None:
        return next((value for key, value in self.flags if key == name), None)

    def has_flag(self, name: str) -> bool:
        return any(key == name for key, _ in self.flags)

    def flag_values(self, name: str) -> list[str]:
        return [value or "" for key, value in self.flags if key == name]


@record
class Stage:
    index: int
    name: str | None
    base: str  # as written
    base_resolved: str  # after ARG substitution
    from_instruction: Instruction
    instructions: list[Instruction] = field(default_factory=list)
    _by_keyword: dict[str, list[Instruction]] | None = field(default=None, repr=False, compare=False)
    _indexed: int = field(default=0, repr=False, compare=False)

    def env(self) -> dict[str, str]:
        """ENV values set in this stage, in order (later wins)."""
        values: dict[str, str] = {}
        for ins in self.instructions:
            if ins.keyword == "ENV":
                values.update(parse_key_values(ins.rest))
        return values

    def find(self, keyword: str) -> list[Instruction]:
        # indexed on first use (after parsing): rules ask for the same keyword of the same stage many times
        if self._by_keyword is None or self._indexed != len(self.instructions):
            self._by_keyword, self._indexed = {}, len(self.instructions)
            for ins in self.instructions:
                self._by_keyword.setdefault(ins.keyword, []).append(ins)
        return list(self._by_keyword.get(keyword, ()))

    def last(self, keyword: str) -> Instruction | None:
        found = self.find(keyword)
        return found[-1] if found else None


@record
class Dockerfile:
    path: str
    text: str
    escape: str
    directives: dict[str, str]
    instructions: list[Instruction]
    stages: list[Stage]
    global_args: dict[str, str]
    errors: list[ParseError]
    _stage_index: dict[str, Stage] | None = field(default=None, repr=False, compare=False)
    stage_envs: list[dict[str, str]] | None = field(default=None, repr=False, compare=False)  # see command.stage_env
    _indexed: int = field(default=0, repr=False, compare=False)

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_named(self, ref: str) -> Stage | None:
        """The first stage whose name or index is ref (indexed once: stage chains ask for every stage)."""
        if self._stage_index is None or self._indexed != len(self.stages):
            self._stage_index, self._indexed = {}, len(self.stages)
            for stage in self.stages:
                self._stage_index.setdefault(str(stage.index), stage)
                if stage.name:
                    self._stage_index.setdefault(stage.name.lower(), stage)
        return self._stage_index.get(ref.lower())

    def stage_chain(self, stage: Stage) -> list[Stage]:
        """The stage and the stages it is built FROM, nearest first."""
        chain = [stage]
        seen = {stage.index}
        current = stage
        while (parent := self.stage_named(current.base_resolved)) is not None and parent.index not in seen and parent.index < current.index:
            chain.append(parent)
            seen.add(parent.index)
            current = parent
        return chain

    def external_base(self, stage: Stage) -> str:
        return self.stage_chain(stage)[-1].base_resolved


def parse_exec_form(text: str) -> list[str] | None:
    """The exec form's arguments; None for the shell form (not a JSON array: BuildKit runs it through a shell)."""
    value = json_array(text)
    if value is not None and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    return None


def parse_key_values(text: str) -> dict[str, str]:
    """ENV/LABEL/ARG arguments: `k=v k2="v 2"` or the legacy `k v w`."""
    text = text.strip()
    if not text:
        return {}
    first = text.split(None, 1)
    if "=" not in first[0]:
        # legacy form: ENV key the rest is the value
        return {first[0]: first[1].strip() if len(first) > 1 else ""}
    # BuildKit's words with their quotes and escapes resolved (shlex, slow on long inputs, was used before)
    tokens = [unquoted(word) for word in shell_words(text)]
    values = {}
    for token in tokens:
        key, _, value = token.partition("=")
        values[key] = value
    return values


def substitute(text: str, variables: dict[str, str]) -> str:
    def replace(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(4)
        value = variables.get(name)
        op, word = m.group(2), m.group(3)
        if op in (":-", "-"):
            return value if value else (word or "")
        if op in (":+", "+"):
            return (word or "") if value else ""
        return value or ""

    return _VAR.sub(replace, text)


def _split_flags(args: str) -> tuple[list[tuple[str, str | None]], str]:
    flags: list[tuple[str, str | None]] = []
    rest = args
    while True:
        m = re.match(r"\s*--([A-Za-z][A-Za-z0-9-]*)(?:=((?:\"[^\"]*\"|'[^']*'|[^\s])*))?(?=\s|$)", rest)
        if not m:
            break
        value = m.group(2)
        if value is not None and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        flags.append((m.group(1).lower(), value))
        rest = rest[m.end():]
    return flags, rest.strip()


# a shell word: unquoted runs, quoted strings (an unclosed quote runs to the end) and escaped characters
_SHELL_WORD = lazy_compile(r"""(?:[^\s'"\\]+|'[^']*'?|"(?:[^"\\]|\\.)*"?|\\.?)+""", re.S)


def shell_words(text: str) -> list[str]:
    """Words split on unquoted blanks, quotes and escapes kept as written (BuildKit's lexer in raw mode)."""
    return _SHELL_WORD.findall(text)


_QUOTED_PART = re.compile(r"""'([^']*)'?|"((?:[^"\\]|\\.)*)"?|\\(.)|([^'"\\]+)""", re.S)
_DOUBLE_QUOTED_ESCAPE = re.compile(r"""\\(["\\$`])""")


def unquoted(word: str) -> str:
    """One shell word with its quotes and escapes resolved (`a="b c"` -> `a=b c`)."""
    if not any(c in word for c in "'\"\\"):
        return word
    out = []
    for single, double, escaped, plain in _QUOTED_PART.findall(word):
        out.append(single or (_DOUBLE_QUOTED_ESCAPE.sub(r"\1", double) if "\\" in double else double) or escaped or plain)
    return "".join(out)


def _unquote_word(word: str) -> str | None:
    """The word with its quotes and escapes removed; None when it is not exactly one word."""
    parts = shell_words(word)
    if len(parts) != 1:
        return None
    out: list[str] = []
    quote = ""
    index = 0
    while index < len(word):
        char = word[index]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"' and index + 1 < len(word) and word[index + 1] in '"\\$`':
                index += 1
                out.append(word[index])
            else:
                out.append(char)
        elif char in "'\"":
            quote = char
        elif char == "\\" and index + 1 < len(word):
            index += 1
            out.append(word[index])
        else:
            out.append(char)
        index += 1
    return "".join(out)


def heredoc_words(line: str) -> list[tuple[bool, str]]:
    """(strip tabs, terminator) for each heredoc a logical line opens, detected as BuildKit does: a whole
    shell word `[fd]<<[-]NAME`. So `<< EOF` (a blank after <<), `"…<<EOF…"` (inside quotes) and
    here-strings `<<<` open none; `<<EOF>file` opens one named `EOF>file`."""
    found = []
    for word in shell_words(line):
        if "<<" not in word:
            continue
        m = _HEREDOC_WORD.fullmatch(word)
        if not m or not m.group(3):
            continue
        rest = m.group(3)
        name = rest if rest.isidentifier() else _unquote_word(rest)  # the common `<<EOF` needs no lexing
        if name:
            found.append((m.group(2) == "-", name))
    return found


def _may_hold_heredocs(keyword: str, args: str) -> bool:
    if keyword == "ONBUILD":  # ONBUILD RUN <<EOF holds the heredoc of its RUN
        parts = args.split(None, 1)
        keyword, args = (parts[0].upper(), parts[1] if len(parts) > 1 else "") if parts else ("", "")
    return keyword in HEREDOC_INSTRUCTIONS and json_array(args) is None


def json_array(text: str) -> list[object] | None:
    """A JSON array as BuildKit's decoder reads it: the first JSON value, whatever follows it."""
    stripped = text.strip()
    if not stripped.startswith("["):
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(stripped)
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, list) else None


class _Lines:
    def __init__(self, text: str):
        self.items: list[tuple[str, int]] = []  # (line without newline or \r, start offset)
        offset = 0
        for raw in text.split("\n"):
            self.items.append((raw[:-1] if raw.endswith("\r") else raw, offset))
            offset += len(raw) + 1

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[str, int]:
        return self.items[index]


def _blank_heredoc_hint(before: list[Instruction]) -> str:
    """Why a shell line became an instruction: the one before wrote `<< EOF`, which BuildKit does not read as a heredoc."""
    if before and before[-1].keyword in HEREDOC_INSTRUCTIONS and not before[-1].heredocs:
        words = shell_words(before[-1].args)
        for word, following in itertools.pairwise(words):
            if word in ("<<", "<<-"):
                return (f" (line {before[-1].line} writes `{word} {following}`: BuildKit opens a heredoc only when the "
                        f"name follows {word} without a blank, `{word}{following}`)")
    return ""


def parse(text: str, path: str = "Dockerfile") -> Dockerfile:
    errors: list[ParseError] = []
    if "\x00" in text:
        return Dockerfile(path, text, "\\", {}, [], [], {}, [ParseError(1, 1, "the file contains NUL bytes: not a Dockerfile")])
    lines = _Lines(text)
    directives: dict[str, str] = {}
    index = 0
    while index < len(lines):
        m = _DIRECTIVE.match(lines[index][0])
        if not m or m.group(1).lower() not in _KNOWN_DIRECTIVES or m.group(1).lower() in directives:
            break
        directives[m.group(1).lower()] = m.group(2)
        index += 1
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        errors.append(ParseError(1, 1, f"invalid escape directive {escape!r}: only \\ and ` are allowed"))
        escape = "\\"

    def continued(content: str) -> int | None:
        """Where the continuation escape starts, if the line continues: BuildKit continues a line whose last
        non-blank character is the escape, unless an escape comes right before it (`C:\\data\\` ends there)."""
        body = content.rstrip(" \t")
        if body.endswith(escape) and (len(body) == 1 or body[-2] != escape):
            return len(body) - 1
        return None

    instructions: list[Instruction] = []
    comments: list[str] = []
    while index < len(lines):
        line, offset = lines[index]
        stripped = line.strip()
        if not stripped:
            comments = []
            index += 1
            continue
        if stripped.startswith("#"):
            comments.append(stripped)
            index += 1
            continue
        start_index = index
        column = len(line) - len(line.lstrip()) + 1
        logical = ""
        end_line_index = index
        while True:
            content, _ = lines[index]
            cut = continued(content)
            if cut is not None and index + 1 < len(lines):
                logical += content[:cut]
                index += 1
                # comment and empty lines inside a continuation are dropped, as BuildKit does
                while index < len(lines) and (not lines[index][0].strip() or lines[index][0].strip().startswith("#")):
                    index += 1
                if index >= len(lines):
                    end_line_index = index - 1
                    break
                continue
            logical += content[:cut] if cut is not None else content
            end_line_index = index
            index += 1
            break
        logical = logical.strip()
        if not logical:  # only escape characters and blanks: nothing to run
            comments = []
            continue
        keyword_text, args = ([*logical.split(None, 1), ""])[:2]
        keyword = keyword_text.upper()
        args = args.strip()
        start = offset + column - 1
        heredocs: list[Heredoc] = []
        if "<<" in logical and _may_hold_heredocs(keyword, args):
            for strip_tabs, terminator in heredoc_words(logical):
                body_lines: list[str] = []
                body_start = index + 1
                terminated = False
                while index < len(lines):
                    body_line = lines[index][0]
                    index += 1
                    if (body_line.lstrip("\t") if strip_tabs else body_line) == terminator:
                        terminated = True
                        break
                    body_lines.append(body_line)
                if not terminated:
                    errors.append(ParseError(start_index + 1, column, f"heredoc <<{terminator} is never closed by a line `{terminator}`"))
                end_line_index = index - 1
                heredocs.append(Heredoc(terminator, "\n".join(body_lines), strip_tabs, body_start))
        end_line_text, end_offset = lines[end_line_index]
        first_line = lines[start_index][0]
        args_column = column - 1 + len(keyword_text)
        while args_column < len(first_line) and first_line[args_column] in " \t":
            args_column += 1
        ins = Instruction(
            keyword=keyword, args=args, line=start_index + 1, column=column,
            end_line=end_line_index + 1, end_column=max(len(end_line_text), 1),
            start=start, end=end_offset + len(end_line_text), args_start=offset + args_column,
            heredocs=heredocs, comments_before=comments,
        )
        comments = []
        if keyword in FLAG_INSTRUCTIONS:
            ins.flags, ins.rest = _split_flags(args)
        else:
            ins.rest = args
        if keyword not in KNOWN_INSTRUCTIONS:
            errors.append(ParseError(ins.line, column, f"unknown instruction {keyword_text!r}{_blank_heredoc_hint(instructions)}"))
        elif keyword in JSON_INSTRUCTIONS:
            array = json_array(ins.rest[3:] if keyword == "HEALTHCHECK" and ins.rest[:3].upper() == "CMD" else ins.rest)
            if array is not None and not all(isinstance(v, str) for v in array):
                errors.append(ParseError(ins.line, column, "a JSON array form takes strings only: BuildKit refuses "
                                                           f"{keyword} {ins.rest.strip()[:60]!r} (quote every item)"))
        instructions.append(ins)

    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            tokens = ins.rest.split()
            if not tokens:
                errors.append(ParseError(ins.line, ins.column, "FROM needs an image"))
                continue
            name = None
            if len(tokens) >= 3 and tokens[1].lower() == "as":
                name = tokens[2]
            elif len(tokens) > 1:
                errors.append(ParseError(ins.line, ins.column, f"FROM takes `image [AS name]`, got {ins.rest!r}"))
            stages.append(Stage(len(stages), name, tokens[0], substitute(tokens[0], global_args), ins))
            ins.stage = len(stages) - 1
        elif not stages:
            if ins.keyword == "ARG":
                for key, value in parse_key_values(ins.rest).items():
                    global_args[key] = value
            elif ins.keyword in KNOWN_INSTRUCTIONS:
                errors.append(ParseError(ins.line, ins.column, f"{ins.keyword} before the first FROM (only ARG may come first)"))
        else:
            ins.stage = stages[-1].index
            stages[-1].instructions.append(ins)
    if not stages and not errors and instructions:
        errors.append(ParseError(instructions[0].line, 1, "no FROM instruction"))
    if not instructions and not errors:
        errors.append(ParseError(1, 1, "the Dockerfile is empty"))
    return Dockerfile(path, text, escape, directives, instructions, stages, global_args, errors)
