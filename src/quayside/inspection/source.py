"""Reading user files safely: one clear error naming the file instead of a traceback."""

from __future__ import annotations

import ast
import codecs
import os
import stat
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quayside.errors import UserInputError

# Bigger than any hand-written module or config; stops a stray data file from eating memory.
MAX_SOURCE_BYTES = 5 * 1024 * 1024


# pip decodes a requirements file by its byte order mark first (a Windows `pip freeze > requirements.txt` in
# PowerShell writes UTF-16), and uv reads UTF-16 too; the UTF-32 marks come first, as they begin like UTF-16's
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def decode_requirements(data: bytes) -> str | None:
    """A requirements file's text when a byte order mark says its encoding (as pip reads it), else None."""
    for mark, encoding in _BOMS:
        if data.startswith(mark):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def read_requirements_text(path: Path) -> str:
    """A requirements file as pip reads it (a byte order mark names its encoding, else UTF-8), for the lookups
    that go on without a file they cannot read (an unreadable one is inspect's error, not theirs)."""
    data = path.read_bytes()
    return decode_requirements(data) or data.decode("utf-8-sig", errors="replace")


def read_text(path: Path, *, what: str, boms: bool = False) -> str:
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode) and not stat.S_ISDIR(status.st_mode):
            # a FIFO or a device would block the read, or never end
            raise UserInputError(f"{what} is not a regular file (a pipe or a device?)", path=path,
                                 hint="replace it with a file, or remove it")
        size = status.st_size
        if size > MAX_SOURCE_BYTES:
            raise UserInputError(
                f"{what} is {size} bytes; quayside reads files up to {MAX_SOURCE_BYTES} bytes",
                path=path,
                hint="point quayside at the project directory, not a data file",
            )
        data = path.read_bytes()
    except PermissionError:
        raise UserInputError(f"cannot read {what}: permission denied", path=path, hint="make it readable") from None
    except IsADirectoryError:
        raise UserInputError(f"{what} is a directory, expected a file", path=path) from None
    except OSError as exc:
        raise UserInputError(f"cannot read {what}: {exc.strerror}", path=path) from None
    if boms and (decoded := decode_requirements(data)) is not None:
        if "\x00" in decoded:
            raise UserInputError(f"{what} contains NUL characters: it is not a text file", path=path)
        return decoded.removeprefix("\ufeff")
    if b"\x00" in data:
        raise UserInputError(f"{what} contains NUL bytes: it is not a text file", path=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserInputError(
            f"{what} is not valid UTF-8 (byte {exc.start})", path=path, hint="save it as UTF-8"
        ) from None


def parse_python(path: Path, *, display: str) -> ast.Module:
    source = read_text(path, what="Python file")
    try:
        return ast.parse(source, filename=display)
    except SyntaxError as exc:
        running = f"{sys.version_info.major}.{sys.version_info.minor}"
        raise UserInputError(
            f"syntax error at line {exc.lineno}, column {exc.offset}: {exc.msg}",
            path=display,
            hint=(
                "fix the syntax. quayside reads your code without importing it, with the Python "
                f"{running} grammar; code written for a newer Python needs quayside run by that Python"
            ),
        ) from None


def load_toml(path: Path, *, display: str) -> dict[str, Any]:
    text = read_text(path, what="TOML file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserInputError(f"invalid TOML: {exc}", path=display, hint="fix the TOML syntax at the position shown") from None
    except RecursionError:  # tomllib recurses per nesting level: thousands of [[[…]]] exhaust the stack
        raise UserInputError("the TOML nests too deeply to read", path=display, hint="no real configuration nests like that") from None


def load_lock(path: Path, *, display: str) -> dict[str, Any]:
    """A lock file: TOML, where TOML 1.1's multi-line inline tables (uv and formatters write them) are read too;
    tomllib reads TOML 1.0."""
    try:
        return load_toml(path, display=display)
    except UserInputError as unreadable:
        try:
            return tomllib.loads(_inline_tables_on_one_line(read_text(path, what="TOML file")))
        except (tomllib.TOMLDecodeError, RecursionError):
            raise unreadable from None


def _inline_tables_on_one_line(text: str) -> str:
    """TOML 1.1's multi-line inline tables (and their trailing commas) as TOML 1.0 reads them."""
    out: list[str] = []
    depth = 0
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                out.append(text[i:i + 2])
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}" and depth:
            depth -= 1
            while out and out[-1] in (" ", "\n", ","):
                out.pop()
        elif c == "#" and depth:
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif c == "\n" and depth:
            c = " "
        out.append(c)
        i += 1
    return "".join(out)


def python_files(root: Path, skip_dir: Callable[[str], bool]) -> list[Path]:
    """Every .py file under root, sorted as rglob sorts them, never entering a folder `skip_dir` names (by its
    name) nor a linked one. Pruned while walking, unlike rglob: a user's .git or node_modules is never read, and
    a folder that goes away meanwhile (git's gc packing .git/objects after a commit) is skipped, not raised."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, onerror=lambda _: None):
        dirs[:] = [d for d in dirs if not skip_dir(d) and not os.path.islink(os.path.join(folder, d))]
        found.extend(Path(folder, name) for name in files if name.endswith(".py"))
    return sorted(found)
