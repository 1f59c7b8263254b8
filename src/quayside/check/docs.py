"""Documentation pages generated from the rules themselves (docstring, severity, tested examples)."""

from __future__ import annotations

from quayside.check.model import RULES, FixSafety, Rule


def _files(files: dict[str, str]) -> str:
    parts = []
    for name, content in files.items():
        lang = "dockerfile" if "Dockerfile" in name else ("yaml" if name.endswith((".yaml", ".yml")) else "text")
        if name.endswith(".py"):
            lang = "python"
        parts.append(f"`{name}`\n\n```{lang}\n{content.rstrip()}\n```")
    return "\n\n".join(parts)


def _fix_safety(rule: Rule) -> str:
    if not rule.fixable:
        return "No automatic fix."
    if rule.fix_safety is FixSafety.SAFE:
        return "Safe: `quayside check --fix` applies it; the image does what it did before, minus the problem."
    return (f"Unsafe: applied only with `quayside check --fix --unsafe-fixes`, because {rule.unsafe_because}. "
            "Review the change (`--diff --unsafe-fixes` shows it first).")


def _references(rule: Rule) -> str:
    return "\n".join(f"- [{title}]({url})" for title, url in rule.references) or "- none"


def rule_markdown(rule: Rule) -> str:
    title, _, body = rule.doc().partition("\n\n")
    autofix = "no" if not rule.fixable else rule.fix_safety.value
    return (
        f"# {rule.id} {rule.name}\n\n"
        f"**Severity:** {rule.severity.label} · **Autofix:** {autofix}\n\n"
        f"{title}\n\n{body}\n\n"
        f"## Fix safety\n\n{_fix_safety(rule)}\n\n"
        f"## References\n\n{_references(rule)}\n\n"
        f"## Flagged\n\n{_files(rule.bad)}\n\n"
        f"## Not flagged\n\n{_files(rule.good)}\n\n"
        f"Silence one occurrence with `# quayside: ignore={rule.id}` on the line above, or every one with "
        f"`ignore = [\"{rule.id}\"]` under `[tool.quayside.check]` in pyproject.toml.\n"
    )


def index_markdown() -> str:
    rows = "\n".join(f"| [{r.id}]({r.id}.md) | {r.name} | {r.severity.label} | {r.fix_safety.value if r.fixable else ''} | {r.summary} |"
                     for _, r in sorted(RULES.items()))
    return ("# quayside check rules\n\nGenerated from the rules (`python -m quayside.check.docs`); the examples on each page "
            "are run by the tests.\n\n| id | name | severity | fix | what |\n|---|---|---|---|---|\n" + rows + "\n")


def pages() -> dict[str, str]:
    out = {f"{rid}.md": rule_markdown(rule) for rid, rule in sorted(RULES.items())}
    out["README.md"] = index_markdown()
    return out


if __name__ == "__main__":
    import sys
    from pathlib import Path

    import quayside.check  # noqa: F401 - registers the rules

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules")
    target.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        (target / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(pages())} pages to {target}")
