"""The parser against BuildKit's own reading of Dockerfiles: one table, written here from BuildKit's documented
and observed behaviour (each row was run through the lab's engine, 26.1 with its built-in Dockerfile frontend).

Each row: the text, whether BuildKit accepts it, and what we read from it — per instruction the keyword, the
heredoc terminators and the exec-form arguments (None: shell form). The unit test checks our parser against the
row; the live test asks the engine itself (a build of a stage that does not exist parses the whole file and stops
before running anything), so a row that stops matching BuildKit fails here rather than in a user's build.
"""

from __future__ import annotations

import pytest

from quayside.check.dockerfile import parse
from quayside.engine import docker

Read = list[tuple[str, list[str], list[str] | None]]
F = "FROM python:3.12-slim\n"

# id, text, BuildKit accepts it, what we read (None: only the acceptance is compared)
TABLE: list[tuple[str, str, bool, Read | None]] = [
    ("heredoc-plain", F + "RUN <<EOF\necho hi\nEOF\n", True, [("FROM", [], None), ("RUN", ["EOF"], None)]),
    ("heredoc-dash-tabs", F + "RUN <<-EOF\n\techo hi\n\tEOF\n", True, [("FROM", [], None), ("RUN", ["EOF"], None)]),
    ("heredoc-quoted", F + "RUN cat <<\"EOF\" && echo $HOME\nx $HOME\nEOF\n", True, [("FROM", [], None), ("RUN", ["EOF"], None)]),
    ("heredoc-single-quoted", F + "RUN cat <<'EOF'\nx\nEOF\n", True, [("FROM", [], None), ("RUN", ["EOF"], None)]),
    ("heredoc-partly-quoted", F + "RUN cat <<E\"O\"F\nx\nEOF\n", True, [("FROM", [], None), ("RUN", ["EOF"], None)]),
    ("heredoc-two-on-a-line", F + "RUN <<A cat && <<B cat\na\nA\nb\nB\n", True, [("FROM", [], None), ("RUN", ["A", "B"], None)]),
    ("heredoc-file-descriptor", F + "RUN cat 2<<EOF\nx\nEOF\n", True, [("FROM", [], None), ("RUN", ["EOF"], None)]),
    ("heredoc-copy", "FROM scratch\nCOPY <<EOF /x\nhi\nEOF\n", True, [("FROM", [], None), ("COPY", ["EOF"], None)]),
    ("heredoc-onbuild", F + "ONBUILD RUN <<EOF\necho hi\nEOF\n", True, [("FROM", [], None), ("ONBUILD", ["EOF"], None)]),
    ("heredoc-in-a-continuation", F + "RUN cat \\\n  <<EOF\nx\nEOF\nUSER 1\n", True,
     [("FROM", [], None), ("RUN", ["EOF"], None), ("USER", [], None)]),
    # `<< EOF`: `<<` alone is a word with no name, so no heredoc: the body lines become instructions
    ("blank-after-lt-lt", F + "RUN cat << EOF\nhello\nEOF\n", False,
     [("FROM", [], None), ("RUN", [], None), ("HELLO", [], None), ("EOF", [], None)]),
    ("lt-lt-inside-quotes", F + 'RUN echo "use <<EOF here"\nUSER 1\n', True, [("FROM", [], None), ("RUN", [], None), ("USER", [], None)]),
    ("lt-lt-inside-single-quotes", F + "RUN echo 'a <<EOF b'\nUSER 1\n", True, [("FROM", [], None), ("RUN", [], None), ("USER", [], None)]),
    ("here-string", F + "RUN cat <<<EOF\nUSER 1\n", True, [("FROM", [], None), ("RUN", [], None), ("USER", [], None)]),
    ("heredoc-glued-redirect", F + "RUN cat <<EOF>/tmp/x\nhi\nEOF\n", False, [("FROM", [], None), ("RUN", ["EOF>/tmp/x"], None)]),
    ("heredoc-unterminated", F + "RUN cat <<EOF\nx\n", False, [("FROM", [], None), ("RUN", ["EOF"], None)]),
    ("heredoc-not-in-exec-form", F + 'RUN ["sh", "-c", "cat <<EOF"]\nUSER 1\n', True,
     [("FROM", [], None), ("RUN", [], ["sh", "-c", "cat <<EOF"]), ("USER", [], None)]),
    ("heredoc-not-in-env", F + "ENV A=<<EOF\nUSER 1\n", True, [("FROM", [], None), ("ENV", [], None), ("USER", [], None)]),
    # a line continues when its last non-blank character is the escape and no escape comes right before it
    ("escaped-backslash-ends-line", F + "ENV D=C:\\\\data\\\\\nUSER nobody\n", True,
     [("FROM", [], None), ("ENV", [], None), ("USER", [], None)]),
    ("three-backslashes-end-line", F + "RUN echo a \\\\\\\nUSER nobody\n", True, [("FROM", [], None), ("RUN", [], None), ("USER", [], None)]),
    ("continuation-blank-after-escape", F + "RUN echo a \\  \n  && echo b\n", True, [("FROM", [], None), ("RUN", [], None)]),
    ("continuation-comment-and-empty-lines", F + "RUN echo a \\\n # note\n\n  && echo b\n", True, [("FROM", [], None), ("RUN", [], None)]),
    ("escape-only-line", F + "RUN echo a \\\n\\\n  && echo b\n", True, [("FROM", [], None), ("RUN", [], None)]),
    ("backtick-escape-windows-paths", "# escape=`\nFROM scratch\nENV D=C:\\data\\ `\n  E=1\nUSER 1\n", True,
     [("FROM", [], None), ("ENV", [], None), ("USER", [], None)]),
    ("backtick-escape-backslash-is-plain", "# escape=`\nFROM scratch\nWORKDIR C:\\app\\\nUSER 1\n", True,
     [("FROM", [], None), ("WORKDIR", [], None), ("USER", [], None)]),
    # JSON arrays: strings only; anything else that is not JSON is the shell form
    ("json-number-refused", F + 'RUN ["echo", 42]\n', False, [("FROM", [], None), ("RUN", [], None)]),
    ("json-number-in-cmd-refused", F + 'CMD ["serve", 1]\n', False, [("FROM", [], None), ("CMD", [], None)]),
    ("json-number-in-healthcheck-refused", F + 'HEALTHCHECK CMD ["a", 1]\n', False, [("FROM", [], None), ("HEALTHCHECK", [], None)]),
    ("json-number-in-copy-refused", F + 'COPY ["a", 1]\n', False, None),
    ("json-trailing-comma-is-shell", F + 'CMD ["echo", "a",]\n', True, [("FROM", [], None), ("CMD", [], None)]),
    ("json-single-quotes-is-shell", F + "CMD ['echo', 'a']\n", True, [("FROM", [], None), ("CMD", [], None)]),
    ("json-text-after-array-ignored", F + 'CMD ["echo", "a"] && echo b\n', True, [("FROM", [], None), ("CMD", [], ["echo", "a"])]),
    ("json-trailing-blank", F + 'CMD ["echo", "a"]   \n', True, [("FROM", [], None), ("CMD", [], ["echo", "a"])]),
    # structure
    ("unknown-instruction", F + "FROB x\n", False, [("FROM", [], None), ("FROB", [], None)]),
    ("run-before-from", "RUN echo\nFROM scratch\n", False, None),
    ("arg-before-from", "ARG V=3.12\nFROM python:${V}-slim\n", True, [("ARG", [], None), ("FROM", [], None)]),
    ("lower-case-keywords", "from python:3.12-slim\nrun echo hi\n", True, [("FROM", [], None), ("RUN", [], None)]),
    ("crlf-line-ends", "FROM python:3.12-slim\r\nRUN echo a \\\r\n  && echo b\r\nUSER 1\r\n", True,
     [("FROM", [], None), ("RUN", [], None), ("USER", [], None)]),
    ("indented-instructions", "  FROM python:3.12-slim\n\tRUN echo hi\n", True, [("FROM", [], None), ("RUN", [], None)]),
    ("only-comments", "# nothing\n", False, None),
]


def _read(text: str) -> Read:
    return [(i.keyword, [h.name for h in i.heredocs], i.exec_form) for i in parse(text).instructions]


@pytest.mark.parametrize(("text", "accepted", "read"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_parser_reads_as_buildkit_does(text, accepted, read):
    df = parse(text)
    if read is not None:
        assert _read(text) == read
    assert (not df.errors) == accepted, [e.message for e in df.errors]


def test_a_blank_after_lt_lt_is_explained():
    message = parse(F + "RUN cat << EOF\nhello\nEOF\nUSER 1\n").errors[0].message
    assert "unknown instruction 'hello'" in message and "`<<EOF`" in message


@pytest.mark.docker
@pytest.mark.parametrize(("text", "accepted"), [(row[1], row[2]) for row in TABLE], ids=[row[0] for row in TABLE])
def test_the_engine_agrees_with_the_table(text, accepted):
    """Parse only: the target does not exist, so BuildKit reads the whole file, then stops before any step runs."""
    result = docker.run(["build", "--target", "quayside-parse-probe", "-q", "-"], input=text, check=False, timeout=60)
    output = result.stdout + result.stderr
    parsed = 'target stage "quayside-parse-probe" could not be found' in output
    assert parsed == accepted, output[-400:]
