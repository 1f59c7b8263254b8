"""The project's own compose files that build it, read (never written): at its root or one folder down
(MercyClassic/pg_jsonb_learn keeps docker/docker-compose.yml, whose app builds `..`).

What they say about the app's container is documentation quayside's image must honour: a proxy service in front
of it (its server must trust that proxy's headers), a folder of the project bind-mounted into it (state the app
writes there).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quayside.check.context import PROXY_IMAGES  # the images check's QS011 takes for a proxy in front
from quayside.inspection.services import USER_COMPOSE_FILES

MAX_COMPOSE_BYTES = 1_000_000


@dataclass(frozen=True)
class ComposeFile:
    path: Path
    rel: str  # project-relative, for messages
    services: dict[str, dict[str, Any]]

    def builds(self, spec: dict[str, Any], root: Path) -> bool:
        """Whether the service builds the project (its context is the project's folder)."""
        build = spec.get("build")
        context = build.get("context") if isinstance(build, dict) else build
        return isinstance(context, str) and (self.path.parent / context).resolve() == root.resolve()

    def app_services(self, root: Path) -> list[tuple[str, dict[str, Any]]]:
        return [(name, spec) for name, spec in self.services.items() if self.builds(spec, root)]


def compose_files(root: Path) -> list[ComposeFile]:
    """The compose files at the root and one folder down that build the project, parsed."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    candidates = [root / name for name in USER_COMPOSE_FILES]
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    except OSError:
        folders = []
    candidates += [folder / name for folder in folders for name in USER_COMPOSE_FILES]
    found = []
    for path in candidates:
        try:
            if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_COMPOSE_BYTES:
                continue
            data = YAML(typ="safe").load(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, YAMLError, RecursionError, ValueError):
            continue
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict):
            continue
        parsed = ComposeFile(path, path.relative_to(root).as_posix(),
                             {str(k): v for k, v in services.items() if isinstance(v, dict)})
        if parsed.app_services(root):
            found.append(parsed)
    return found


def proxy_in_front(root: Path) -> str | None:
    """`docker-compose.yml (service nginx, image nginx)` when a compose file that builds the project also runs a
    reverse proxy: the app is served behind it, as check's QS011 reads the same file."""
    for compose in compose_files(root):
        for name, spec in compose.services.items():
            image = str(spec.get("image", "")).split("@")[0].split(":")[0]
            if any(image == p or image.endswith("/" + p) for p in PROXY_IMAGES):
                return f"{compose.rel} (service {name}, image {image})"
    return None
