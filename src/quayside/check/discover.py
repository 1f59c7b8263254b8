"""What `check` lints in a folder: every Dockerfile, compose file and Kubernetes manifest at any depth, grouped
by the build context each Dockerfile is built from (so project facts come from that context, not the repo root).

A Dockerfile's context is the one a compose file gives it (`build.context` + `build.dockerfile`); otherwise the
nearest folder, from the Dockerfile's own up to the folder checked, where its COPY/ADD sources exist
(`docker/Dockerfile` is usually built from the repository root, `backend/Dockerfile` from `backend/`).
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from pathlib import Path

from quayside.check.lazyre import lazy_compile
from quayside.record import field, record

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any

# Never the project's own deployment files: dependencies, caches, tools' folders, other people's code.
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__", "site-packages",
             ".mypy_cache", ".pytest_cache", ".ruff_cache", "vendor", "third_party", "bower_components", ".terraform",
             ".idea", ".vscode", ".devcontainer"}
K8S_DIRS = {"k8s", "kubernetes", "deploy", "deployment", "deployments", "manifests", "kustomize", "kube", ".k8s"}
TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".template", ".example", ".sample", ".orig", ".bak")
MAX_WALK_FILES = 50_000
_DOCKERFILE = lazy_compile(r"(?i)^(dockerfile([._-].*)?|.*[._-]dockerfile|containerfile([._-].*)?)$")
_COMPOSE = lazy_compile(r"(?i)^((docker-)?compose|docker-stack|stack)([._-][^/]*)?\.ya?ml$")


NOT_DOCKERFILE_SUFFIXES = (*TEMPLATE_SUFFIXES, ".md", ".rst", ".txt", ".dockerignore", ".sh", ".ps1", ".bat", ".py", ".yml", ".yaml",
                           ".json", ".toml", ".js", ".mjs", ".cjs", ".ts", ".map", ".css", ".html", ".go", ".rs", ".java", ".lock")


def is_dockerfile_name(name: str) -> bool:
    return bool(_DOCKERFILE.match(name)) and not name.lower().endswith(NOT_DOCKERFILE_SUFFIXES)


def is_compose_name(name: str) -> bool:
    return bool(_COMPOSE.match(name))


def _templated(rel: str) -> bool:
    """A path inside a project generator's template (cookiecutter, copier): not a file anyone builds as it is."""
    return "{{" in rel or "{%" in rel


@record
class Found:
    """Files by kind, paths relative to the folder checked (posix)."""

    dockerfiles: list[str] = field(default_factory=list)
    compose: list[str] = field(default_factory=list)
    k8s: list[str] = field(default_factory=list)
    skipped_helm: list[str] = field(default_factory=list)
    skipped_links: list[str] = field(default_factory=list)  # named like a file we lint, but a symlink: never followed


def walk(root: Path) -> Found:
    found = Found()
    charts: set[str] = set()
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        if "Chart.yaml" in filenames:
            charts.add(rel_dir)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
                             and not _templated(d) and not (d == "templates" and rel_dir in charts))
        if rel_dir in charts and "templates" in os.listdir(dirpath):
            found.skipped_helm.append(posixpath.join(rel_dir, "templates"))
        in_k8s = any(part in K8S_DIRS for part in rel_dir.split("/"))
        for name in sorted(filenames):
            seen += 1
            rel = posixpath.join(rel_dir, name) if rel_dir else name
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                if is_dockerfile_name(name) or is_compose_name(name):
                    found.skipped_links.append(rel)
                continue
            if not os.path.isfile(full):
                continue
            if is_dockerfile_name(name):
                found.dockerfiles.append(rel)
            elif is_compose_name(name):
                found.compose.append(rel)
            elif in_k8s and name.endswith((".yaml", ".yml")) and rel_dir not in charts:
                found.k8s.append(rel)
        if seen > MAX_WALK_FILES:
            break
    return found


def resolve(base_dir: str, path: str) -> str:
    """A path written in a file in base_dir, relative to the folder checked ('.' for that folder itself)."""
    joined = posixpath.normpath(posixpath.join(base_dir or ".", path))
    return "." if joined in ("", ".") else joined


def compose_builds(compose_rel: str, data: Any) -> list[tuple[str, str]]:
    """(context dir, Dockerfile path) for each service a compose file builds, relative to the folder checked."""
    out: list[tuple[str, str]] = []
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return out
    base = posixpath.dirname(compose_rel)
    for service in services.values():
        build = service.get("build") if isinstance(service, dict) else None
        if isinstance(build, str):
            context, dockerfile = build, "Dockerfile"
        elif isinstance(build, dict):
            context, dockerfile = str(build.get("context", ".")), str(build.get("dockerfile", "Dockerfile"))
        else:
            continue
        if "://" in context or context.startswith("git@") or "$" in context:
            continue  # a remote context, or one chosen by a variable: not this checkout's folder
        context_rel = resolve(base, context)
        out.append((context_rel, resolve(context_rel, dockerfile)))
    return out


PROJECT_MARKERS = (".dockerignore", "pyproject.toml", "requirements.txt", "setup.py", "setup.cfg", "Pipfile", "package.json",
                   "go.mod", "pom.xml", "build.gradle", "Cargo.toml", "Gemfile", "composer.json")
_COPY = lazy_compile(r"(?im)^\s*(?:COPY|ADD)\s+(.+)$")


def copy_sources(text: str) -> list[str]:
    """Local COPY/ADD sources (not --from, not URLs, not heredocs), as written."""
    sources: list[str] = []
    for match in _COPY.finditer(text):
        args = match.group(1).strip().rstrip("\\").strip()
        if "--from" in args or "<<" in args:
            continue
        words = [w for w in re.findall(r'"[^"]*"|\S+', args) if not w.startswith("--")]
        if args.startswith("["):
            words = re.findall(r'"([^"]*)"', args)
        sources += [w.strip('"') for w in words[:-1] if "://" not in w and "$" not in w]
    return sources


def guess_context(root: Path, dockerfile_rel: str, text: str) -> str:
    """The folder, from the Dockerfile's own up to the one checked, where the most COPY sources exist."""
    sources = [s for s in copy_sources(text) if s not in (".", "./", "*")]
    here = posixpath.dirname(dockerfile_rel) or "."
    candidates = [here]
    while candidates[-1] != ".":
        candidates.append(posixpath.dirname(candidates[-1]) or ".")
    if not sources:
        # `COPY . .` alone: the nearest folder that looks like a project root (or keeps a .dockerignore)
        for candidate in candidates:
            base = root if candidate == "." else root / candidate
            if any((base / marker).exists() for marker in PROJECT_MARKERS):
                return candidate
        return here
    best, best_score = here, -1
    for candidate in candidates:
        base = root if candidate == "." else root / candidate
        score = sum(1 for s in sources if _exists(base, s))
        if score > best_score:
            best, best_score = candidate, score
        if score == len(sources):
            return candidate
    return best


def _exists(base: Path, source: str) -> bool:
    source = source.lstrip("/") or "."
    if any(c in source for c in "*?["):
        parent = base / posixpath.dirname(source)
        try:
            return parent.is_dir() and any(fnmatch.fnmatch(p.name, posixpath.basename(source)) for p in parent.iterdir())
        except OSError:
            return False
    return (base / source).exists()
