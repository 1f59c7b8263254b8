"""The Dockerfile parser: BuildKit semantics with spans, and no input that crashes it (hypothesis)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quayside.check import run_check
from quayside.check.dockerfile import parse, parse_key_values, substitute
from quayside.errors import UserInputError
from quayside.inspection.dependencies import read_requirements
from quayside.inspection.source import load_toml


def test_spans_and_offsets():
    text = "FROM python:3.12 AS build\n\nRUN apt-get update \\\n    && apt-get install -y gcc\n  CMD [\"a\", \"b\"]\n"
    df = parse(text)
    run = df.instructions[1]
    assert (run.line, run.end_line, run.column) == (3, 4, 1)
    assert text[run.start:run.end] == "RUN apt-get update \\\n    && apt-get install -y gcc"
    assert run.args == "apt-get update     && apt-get install -y gcc"
    cmd = df.instructions[2]
    assert (cmd.line, cmd.column, cmd.exec_form) == (5, 3, ["a", "b"])
    assert text[cmd.args_start:cmd.end] == '["a", "b"]'


def test_comments_inside_continuations_are_dropped():
    df = parse("FROM python:3.12\nRUN echo a \\\n# a comment\n\n    && echo b\n")
    assert df.instructions[1].args == "echo a     && echo b" and df.instructions[1].end_line == 5


def test_escape_directive_and_directives_only_at_top():
    df = parse("# escape=`\n# syntax=docker/dockerfile:1\nFROM python:3.12\nRUN echo a `\n  b\n# escape=\\\n")
    assert df.escape == "`" and df.directives == {"escape": "`", "syntax": "docker/dockerfile:1"}
    assert df.instructions[1].args == "echo a   b"
    late = parse("FROM python:3.12\n# escape=`\nRUN echo a `\n")
    assert late.escape == "\\" and late.directives == {}


def test_heredocs():
    df = parse("FROM python:3.12\nRUN <<EOF bash\nset -e\necho hi\nEOF\nCOPY <<-'A' <<B /x/\n\tone\n\tA\ntwo\nB\nRUN echo done\n")
    run, copy, last = df.instructions[1:]
    assert [(h.name, h.body) for h in run.heredocs] == [("EOF", "set -e\necho hi")]
    assert [(h.name, h.body, h.strip_tabs) for h in copy.heredocs] == [("A", "\tone", True), ("B", "two", False)]
    assert (run.end_line, copy.line, copy.end_line, last.line) == (5, 6, 10, 11)


def test_exec_and_shell_forms():
    df = parse('FROM python:3.12\nCMD ["fastapi", "run"]\nENTRYPOINT [not json]\nCMD [1, 2]\n')
    assert df.instructions[1].exec_form == ["fastapi", "run"]
    assert df.instructions[2].exec_form is None and df.instructions[3].exec_form is None


def test_flags_stages_and_arg_substitution():
    df = parse("ARG PY=3.12\nARG VARIANT\nFROM --platform=$BUILDPLATFORM python:${PY}-slim${VARIANT:+-}${VARIANT} AS build\n"
               "FROM build\nCOPY --from=build --chown=app:app /a /b\nRUN --mount=type=cache,target=/root/.cache --mount=type=bind,source=x,target=y true\n")
    assert df.global_args == {"PY": "3.12", "VARIANT": ""}
    assert df.stages[0].base_resolved == "python:3.12-slim" and df.stages[0].name == "build"
    assert df.stages[0].from_instruction.flag("platform") == "$BUILDPLATFORM"
    assert df.stage_chain(df.stages[1])[-1] is df.stages[0]
    copy, run = df.stages[1].instructions
    assert copy.flag("from") == "build" and copy.flag("chown") == "app:app" and copy.rest == "/a /b"
    assert run.flag_values("mount") == ["type=cache,target=/root/.cache", "type=bind,source=x,target=y"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("RUN echo\n", "before the first FROM"),
        ("FROM python:3.12\nFROB x\n", "unknown instruction"),
        ("FROM\n", "FROM needs an image"),
        ("FROM python:3.12\nRUN <<EOF\nnever closed\n", "never closed"),
        ("\x00\x01binary", "NUL bytes"),
        ("", "empty"),
        ("# just a comment\n", "empty"),
    ],
)
def test_errors_never_raise(text, message):
    assert any(message in e.message for e in parse(text).errors)


def test_key_values():
    assert parse_key_values('A=1 B="two words" C=') == {"A": "1", "B": "two words", "C": ""}
    assert parse_key_values("LEGACY some value") == {"LEGACY": "some value"}
    assert substitute("${A:-x}-${B:-y}-$C", {"A": "a", "C": "c"}) == "a-y-c"


DOCKERFILE_PIECES = st.sampled_from([
    "FROM ", "python:3.12", " AS b", "RUN ", "CMD ", "COPY ", "--from=b ", "--mount=type=cache,target=/x ",
    "<<EOF", "<<-EOF", "EOF", "\\", "`", "\n", "\r\n", " ", "\t", "#", "# escape=`", '["a", "b"]', "[", "]", "${A:-", "}",
    "$", "HEALTHCHECK CMD curl http://127.0.0.1:8000/", "USER app", "ENV A=1 B=\"", "ARG X", "EXPOSE 80", "pip install x",
    "apt-get install y", "uv sync", "&&", "fastapi run", "--reload", "sh -c", "'", '"', "ONBUILD ", "\x00",
])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.one_of(DOCKERFILE_PIECES, st.text(max_size=8)), max_size=60).map("".join))
def test_fuzz_parser_never_crashes(text):
    df = parse(text)
    for ins in df.instructions:
        assert 0 <= ins.start <= ins.end <= len(text)
        assert 1 <= ins.line <= ins.end_line
        assert ins.start <= ins.args_start or ins.args == ""


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], deadline=None)
@given(st.lists(DOCKERFILE_PIECES, max_size=40).map("".join))
def test_fuzz_rules_never_crash(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "Dockerfile").write_text(text.replace("\x00", ""), encoding="utf-8")
    run_check(root)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.lists(st.sampled_from(["fastapi", "[standard]", ">=1", "-r ", "-c ", "base.txt", "\n", "#", " ", "\\\n", "-e .",
                                 "--index-url x", "; python_version<'3'", "==", "@", "file:", "[", "]"]), max_size=30).map("".join))
def test_fuzz_requirements_reader(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("req")
    (root / "requirements.txt").write_text(text)
    (root / "base.txt").write_text("fastapi\n")
    with contextlib.suppress(UserInputError):  # a clear error is the expected outcome for bad input
        read_requirements(root, "requirements.txt")


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.text(max_size=200))
def test_fuzz_toml_reader(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("toml") / "pyproject.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass") if "\ud800" not in text else path.write_bytes(b"\xff")
    with contextlib.suppress(UserInputError):
        load_toml(path, display="pyproject.toml")


# Hostile sizes: a unit repeated up to 10 MB (the parser) or up to the 2 MB `check` reads (parser and every
# rule). Each shape once made something quadratic: long words (shlex), one long command (per-match searches),
# thousands of chained stages, COPYs and WORKDIRs, heredocs. No timing is asserted; a hang never finishes.
HOSTILE_UNITS = st.sampled_from([
    "RUN a \\\n", "RUN <<EOF\nx\nEOF\n", "FROM python:3.12 AS s\nRUN echo\n", "apt-get install -y x ", "a\\\"",
    '"a",', "<< ", "pip install x && ", "uv -x ", "COPY x y/\n", "WORKDIR a\n", "ENV A=1 B=\"2 3\"\n", "USER a\n",
    'CMD ["sh", "-c", "uvicorn a:b"]\n', "\\\n", "#\n", "x", " ", "<<EOF", "\t", "${A:-", "'", "--mount=type=cache,target=/x ",
])
HOSTILE_HEADS = st.sampled_from(["FROM python:3.12\n", "FROM python:3.12\nRUN ", "FROM python:3.12\nCMD [", "FROM python:3.12 AS s0\n", ""])


@settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None)
@given(HOSTILE_HEADS, st.lists(st.tuples(HOSTILE_UNITS, st.integers(1, 12)), min_size=1, max_size=3), st.integers(3, 7))
def test_fuzz_parser_on_hostile_sizes_up_to_10_mb(head, parts, magnitude):
    body = "".join(unit * (count * 10**magnitude // (len(unit) * count * len(parts)) + 1) for unit, count in parts)
    text = (head + body)[:10_000_000]
    df = parse(text)
    assert all(0 <= ins.start <= ins.end <= len(text) for ins in df.instructions)


@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], deadline=None)
@given(HOSTILE_HEADS, st.lists(st.tuples(HOSTILE_UNITS, st.integers(1, 12)), min_size=1, max_size=3), st.integers(3, 6))
def test_fuzz_every_rule_on_hostile_sizes_up_to_what_check_reads(tmp_path_factory, head, parts, magnitude):
    body = "".join(unit * (count * 2 * 10**magnitude // (len(unit) * count * len(parts)) + 1) for unit, count in parts)
    root = tmp_path_factory.mktemp("hostile")
    (root / "Dockerfile").write_text((head + body)[:2_000_000], encoding="utf-8")
    run_check(root)
