"""What `check` reads: Dockerfiles, .dockerignore, compose and Kubernetes YAML (with line numbers), and the
project facts from `inspect`, so rules can cross files."""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

from quayside.check.dockerfile import Dockerfile, parse
from quayside.check.lazyre import lazy_compile
from quayside.errors import QuaysideError
from quayside.record import field, record

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any

    from quayside.inspection import ProjectInfo

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
# swarm stack files are compose files too (`docker stack deploy -c`): the compose rules apply to them
STACK_NAMES = ("stack.yaml", "stack.yml", "docker-stack.yaml", "docker-stack.yml")
K8S_DIRS = ("k8s", "kubernetes", "deploy", "manifests", "kustomize", "helm", "charts")
MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_YAML_NODES = 200_000  # more than any real manifest; a YAML bomb stops here
DB_IMAGES = ("postgres", "mysql", "mariadb", "mongo", "postgis/postgis", "timescale/timescaledb", "bitnami/postgresql")
PROXY_IMAGES = ("traefik", "nginx", "caddy", "haproxy", "envoyproxy/envoy")


_PRODUCTION_NAME = lazy_compile(r"(?i)(^|[._-])(prod|production|live|release|deploy|stack)([._-]|$)")
_DEVELOPMENT_FOLDER = lazy_compile(r"(?i)(^|/)(tests?|testing|e2e|regtest|examples?|demos?|fixtures|dev|development|local)(/|$)")
_DEVELOPMENT_NAME = lazy_compile(r"(?i)(^|[._-])(dev|devel|development|local|test|tests|testing|ci|e2e|debug|override)([._-]|$)")


def compose_purpose(doc_path: str, data: Any) -> tuple[bool, str]:
    """(meant for production?, why), from the compose file's name, then its content: a file that restarts its
    services and mounts no source over the code it builds reads as a deployment; otherwise as development."""
    name = posixpath.basename(doc_path).rsplit(".", 1)[0]
    folder = _DEVELOPMENT_FOLDER.search(posixpath.dirname(doc_path))
    if folder:
        return False, f"it is under {folder.group(2)}/ (tests, examples or development)"
    if _PRODUCTION_NAME.search(name):
        return True, f"its name ({posixpath.basename(doc_path)}) says production"
    if _DEVELOPMENT_NAME.search(name):
        return False, f"its name ({posixpath.basename(doc_path)}) says development"
    services = dig(data, "services")
    if not isinstance(services, dict):
        return False, "no services"
    restarts = any((isinstance(s, dict) and str(s.get("restart", "no")) not in ("no", "False", "false")) or dig(s, "deploy", "restart_policy")
                   for s in services.values())
    mounted_source = any(isinstance(s, dict) and s.get("build") is not None and _mounts_source(s.get("volumes")) for s in services.values())
    if mounted_source:
        return False, "a service mounts source code from the host over what it builds (development)"
    if restarts:
        return True, "its services restart and none mounts source code (a deployment)"
    return False, "no restart policy (development)"


def _mounts_source(volumes: Any) -> bool:
    for volume in volumes if isinstance(volumes, list) else []:
        if isinstance(volume, str):
            parts = volume.split(":")
            source, mode = parts[0], parts[2] if len(parts) > 2 else ""
        elif isinstance(volume, dict) and volume.get("type", "bind") == "bind":
            source, mode = str(volume.get("source", "")), "ro" if volume.get("read_only") else ""
        else:
            continue
        if source.startswith((".", "/", "~", "$")) and "ro" not in mode.split(","):
            return True
    return False


def manifest_for_tests(doc_path: str) -> bool:
    """A Kubernetes manifest under a tests, examples or development folder: not what runs in production."""
    return bool(_DEVELOPMENT_FOLDER.search(posixpath.dirname(doc_path)))


def dig(node: Any, *keys: str) -> Any:
    """node[k1][k2]... where every step is a mapping; None as soon as one is missing or of another type
    (real files hold tagged scalars, lists and nulls where a mapping is expected)."""
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


@record
class YamlDoc:
    path: str
    text: str
    data: Any  # ruamel CommentedMap: .lc.line is 0-based

    def line_of(self, node: Any, key: Any = None) -> int:
        try:
            if key is not None:
                return int(node.lc.key(key)[0]) + 1
            return int(node.lc.line) + 1
        except (AttributeError, KeyError, TypeError):
            return 1


@record
class DockerIgnore:
    path: str
    text: str
    patterns: list[tuple[bool, re.Pattern[str], str]]  # (negated, regex, pattern as written)

    def excludes(self, rel: str) -> bool:
        """Docker's rule: the last matching pattern wins; a parent directory's exclusion covers its children."""
        parts = rel.strip("/").split("/")
        excluded = False
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            for negated, regex, _ in self.patterns:
                if regex.fullmatch(prefix):
                    excluded = not negated
        return excluded


def _dockerignore_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(c, re.escape(c))
        i += 1
    return re.compile(out)


def parse_dockerignore(path: str, text: str) -> DockerIgnore:
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:].strip() if negated else line
        pattern = re.sub(r"/+", "/", pattern).strip("/").removeprefix("./")
        if pattern:
            patterns.append((negated, _dockerignore_regex(pattern), line))
    return DockerIgnore(path, text, patterns)


def _count_nodes(data: Any, budget: list[int], stack: set[int]) -> None:
    """Visit the document as consumers (compose, kubectl) would expand it: aliases count every time they are
    used, so an alias bomb runs out of budget at once; an alias inside itself is refused."""
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError(f"more than {MAX_YAML_NODES} nodes once aliases are expanded (an alias bomb?)")
    if isinstance(data, (dict, list)):
        if id(data) in stack:
            raise ValueError("an alias refers to itself (recursive YAML)")
        stack.add(id(data))
        for item in (data.items() if isinstance(data, dict) else enumerate(data)):
            _count_nodes(item[1], budget, stack)
        stack.discard(id(data))


# Never part of what a project means to ship: walked past when looking for secrets in the build context.
CONTEXT_SKIP = {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
                ".tox", ".nox"}
MAX_CONTEXT_FILES = 20_000


@record
class CheckContext:
    root: Path
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    dockerignore: DockerIgnore | None = None
    compose: list[YamlDoc] = field(default_factory=list)
    k8s: list[YamlDoc] = field(default_factory=list)
    # the app's facts, read when a rule first asks (most checks never need them; reading them parses Python)
    _project: ProjectInfo | None = field(default=None, repr=False)
    _project_problem: str | None = field(default=None, repr=False)
    _project_read: bool = field(default=False, repr=False)
    load_errors: list[tuple[str, int, str]] = field(default_factory=list)  # (path, line, message) → QS000
    texts: dict[str, str] = field(default_factory=dict)

    platform: bool = True  # read the platform files (fly.toml, render.yaml, deploy/) at root
    production_profile: bool = False  # every compose file is a deployment (`check --profile production`)
    targets: tuple[str, ...] = ()  # `check --target STAGE`: the stages that are the images
    ci_targets: tuple[str, ...] = ()  # stages a CI workflow builds with --target / target:
    _context_files: list[str] | None = field(default=None, repr=False)
    # what a rule derives from the context once and reuses for each instruction (keyed by the rule's id)
    derived: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def project(self) -> ProjectInfo | None:
        """The app's facts from the build context (never imported), or None when they cannot be read."""
        if not self._project_read:
            from quayside.inspection import inspect_project

            self._project_read = True
            try:
                # lock files are not parsed: proving they are valid is the build's concern, not the linter's
                self._project = inspect_project(self.root, read_locks=False)
            except QuaysideError as exc:
                self._project_problem = str(exc)
        return self._project

    @property
    def project_problem(self) -> str | None:
        return self._project_problem if self.project is None else None

    # -- cross-file helpers ------------------------------------------------------------------

    def context_files(self) -> list[str]:
        """Project-relative paths of the files in the build context (names only: nothing is opened; links are
        not followed; caches and virtualenvs skipped; at most MAX_CONTEXT_FILES)."""
        if self._context_files is None:
            found: list[str] = []
            for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if d not in CONTEXT_SKIP)
                rel = Path(dirpath).relative_to(self.root)
                for name in sorted(filenames + [d for d in dirnames if d in (".ssh", ".aws")]):
                    found.append((rel / name).as_posix())
                if len(found) > MAX_CONTEXT_FILES:
                    break
            self._context_files = found[:MAX_CONTEXT_FILES]
        return self._context_files
    def compose_services(self) -> list[tuple[YamlDoc, str, Any]]:
        out = []
        for doc in self.compose:
            services = doc.data.get("services") if isinstance(doc.data, dict) else None
            if isinstance(services, dict):
                for name, service in services.items():
                    if isinstance(service, dict):
                        out.append((doc, str(name), service))
        return out

    def k8s_objects(self, *kinds: str) -> list[tuple[YamlDoc, Any]]:
        return [(doc, doc.data) for doc in self.k8s if isinstance(doc.data, dict) and (not kinds or doc.data.get("kind") in kinds)]

    def k8s_containers(self) -> list[tuple[YamlDoc, Any, Any]]:
        """(doc, workload object, container) for Deployments, StatefulSets, DaemonSets, Jobs, Pods."""
        out = []
        knative = [(doc, obj) for doc, obj in self.k8s_objects("Service") if str(obj.get("apiVersion", "")).startswith("serving.knative.dev/")]
        for doc, obj in self.k8s_objects("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet") + knative:
            spec = obj.get("spec") or {}
            if obj.get("kind") == "CronJob":
                spec = dig(spec, "jobTemplate", "spec") or {}
            pod = spec if obj.get("kind") == "Pod" else (dig(spec, "template", "spec") or {})
            for container in pod.get("containers") or []:
                if isinstance(container, dict):
                    out.append((doc, obj, container))
        return out

    def behind_proxy(self) -> str | None:
        for _, name, service in self.compose_services():
            image = str(service.get("image", "")).split("@")[0].split(":")[0]
            if any(image == p or image.endswith("/" + p) for p in PROXY_IMAGES):
                return f"compose service {name} ({image})"
        if self.k8s_objects("Ingress"):
            return "a Kubernetes Ingress"
        return None

    def replicated_by(self) -> str | None:
        for _, obj in self.k8s_objects("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet"):
            return f"Kubernetes {obj.get('kind')} {dig(obj, 'metadata', 'name')}"
        for _, name, service in self.compose_services():
            replicas = dig(service, "deploy", "replicas")
            if isinstance(replicas, int) and replicas > 1:
                return f"compose/swarm service {name} (replicas: {replicas})"
        return None


def _read(root: Path, rel: str, ctx: CheckContext | Loaded, limit: int = MAX_YAML_BYTES) -> str | None:
    if rel in ctx.texts:
        return ctx.texts[rel]
    if any(error[0] == rel for error in ctx.load_errors):
        return None  # already reported
    path = root / rel
    try:
        data = path.read_bytes()
    except OSError as exc:
        ctx.load_errors.append((rel, 1, f"cannot read: {exc.strerror}"))
        return None
    if len(data) > limit:
        ctx.load_errors.append((rel, 1, f"{len(data)} bytes: larger than quayside reads ({limit})"))
        return None
    if b"\x00" in data:
        ctx.load_errors.append((rel, 1, "contains NUL bytes: not a text file"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        ctx.load_errors.append((rel, 1, f"not UTF-8 (byte {exc.start})"))
        return None
    ctx.texts[rel] = text
    return text


def _load_yaml(root: Path, rel: str, ctx: CheckContext | Loaded) -> list[YamlDoc]:
    from ruamel.yaml import YAML  # imported when there is YAML to read: a lone Dockerfile's check never pays for it
    from ruamel.yaml.error import YAMLError

    text = _read(root, rel, ctx)
    if text is None:
        return []
    yaml = YAML(typ="rt")
    try:
        docs = [d for d in yaml.load_all(text) if d is not None]
        for d in docs:
            _count_nodes(d, [MAX_YAML_NODES], set())
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        ctx.load_errors.append((rel, (mark.line + 1) if mark else 1, f"invalid YAML: {getattr(exc, 'problem', None) or exc}"))
        return []
    except (ValueError, RecursionError) as exc:
        ctx.load_errors.append((rel, 1, f"YAML refused: {exc}"))
        return []
    return [YamlDoc(rel, text, d) for d in docs]


def _parse_quietly(rel: str, text: str) -> list[YamlDoc]:
    """A file another loader already read (and reported on): parse it again for another purpose."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return [YamlDoc(rel, text, d) for d in YAML(typ="rt").load_all(text) if d is not None]
    except YAMLError:
        return []


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def platform_ports(ctx: CheckContext) -> list[tuple[str, int, int, str]]:
    """(path, line, port, what) for the port each cloud platform file sends traffic to: fly.toml internal_port,
    render.yaml PORT, an ECS task definition's containerPort, an ACI container port. (Cloud Run's Knative YAML
    is read with the Kubernetes files.)"""
    import json
    import tomllib

    found: list[tuple[str, int, int, str]] = []
    root = ctx.root
    if (root / "fly.toml").is_file() and (text := _read(root, "fly.toml", ctx)) is not None:
        try:
            fly = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            ctx.load_errors.append(("fly.toml", 1, f"invalid TOML: {exc}"))
            fly = {}
        services = fly.get("services") or []
        services = [*(services if isinstance(services, list) else [services]), fly.get("http_service")]
        for svc in services:
            if isinstance(svc, dict) and isinstance(svc.get("internal_port"), int):
                found.append(("fly.toml", _line_of(text, "internal_port"), svc["internal_port"], "fly.toml internal_port"))
    if (root / "render.yaml").is_file():
        for doc in _load_yaml(root, "render.yaml", ctx):
            for svc in (doc.data.get("services") or []) if isinstance(doc.data, dict) else []:
                for env in (svc.get("envVars") or []) if isinstance(svc, dict) else []:
                    if isinstance(env, dict) and env.get("key") == "PORT" and str(env.get("value", "")).isdigit():
                        found.append(("render.yaml", doc.line_of(env), int(env["value"]), "render.yaml PORT"))
    for path in sorted((root / "deploy").rglob("*.json")) if (root / "deploy").is_dir() else []:
        rel = path.relative_to(root).as_posix()
        text = _read(root, rel, ctx)
        try:
            data = json.loads(text) if text else None
        except ValueError:
            continue
        for container in (data.get("containerDefinitions") or []) if isinstance(data, dict) else []:
            for mapping in container.get("portMappings") or []:
                if isinstance(mapping, dict) and isinstance(mapping.get("containerPort"), int):
                    found.append((rel, _line_of(text or "", '"containerPort"'), mapping["containerPort"], "ECS containerPort"))
    for path in sorted((root / "deploy").rglob("*.y*ml")) if (root / "deploy").is_dir() else []:
        rel = path.relative_to(root).as_posix()
        docs = _load_yaml(root, rel, ctx) if rel not in ctx.texts else _parse_quietly(rel, ctx.texts[rel])
        for doc in docs:
            props = doc.data.get("properties") if isinstance(doc.data, dict) else None
            ip_ports = dig(props, "ipAddress", "ports") or []
            for port in ip_ports if isinstance(ip_ports, list) else []:
                if isinstance(port, dict) and isinstance(port.get("port"), int):
                    found.append((rel, doc.line_of(port), port["port"], "ACI ipAddress port"))
            for container in (props.get("containers") or []) if isinstance(props, dict) else []:
                for port in dig(container, "properties", "ports") or []:
                    if isinstance(port, dict) and isinstance(port.get("port"), int):
                        found.append((rel, doc.line_of(port), port["port"], "ACI container port"))
    return found


@record
class Unit:
    """One build context and what is linted with it; every path relative to the folder checked."""

    context: str  # "." for the folder checked
    dockerfiles: list[str] = field(default_factory=list)
    compose: list[str] = field(default_factory=list)
    k8s: list[str] = field(default_factory=list)
    platform: bool = False  # the folder checked itself: fly.toml, render.yaml, deploy/*.json are read here


@record
class Loaded:
    """Files read once and shared by the units that lint them (a compose file can build several contexts)."""

    texts: dict[str, str] = field(default_factory=dict)
    load_errors: list[tuple[str, int, str]] = field(default_factory=list)
    yaml: dict[str, list[YamlDoc]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # symlinks named like a Dockerfile or a compose file
    ci_targets: tuple[str, ...] = ()


_CI_FILES = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", "Makefile", "docker-bake.hcl")
_CI_TARGET = lazy_compile(r"""--target[= ]+["']?([A-Za-z0-9_.-]+)|^\s*target\s*[:=]\s*["']?([A-Za-z0-9_.-]+)""", re.MULTILINE)


def ci_targets(root: Path) -> tuple[str, ...]:
    """Stage names the project's CI builds (`docker build --target X`, build-push-action's `target: X`, bake)."""
    found: list[str] = []
    for pattern in _CI_FILES:
        for path in sorted(root.glob(pattern)):
            try:
                if path.is_file() and not path.is_symlink() and path.stat().st_size < 1_000_000:
                    text = path.read_text(encoding="utf-8", errors="replace")
                    found += [a or b for a, b in _CI_TARGET.findall(text)]
            except OSError:
                continue
    return tuple(dict.fromkeys(found))


def plan_units(root: Path, *, only: list[str] | None = None) -> tuple[list[Unit], Loaded]:
    """Discover what to lint under root (or only the given root-relative files) and group it by build context."""
    from quayside.check import discover

    loaded = Loaded(ci_targets=ci_targets(root))
    if only is None:
        found = discover.walk(root)
        dockerfiles, compose_files, k8s_files = found.dockerfiles, found.compose, found.k8s
        loaded.skipped = found.skipped_links
    else:
        dockerfiles = [rel for rel in only if not discover.is_compose_name(Path(rel).name) and not rel.endswith((".yaml", ".yml"))]
        compose_files = [rel for rel in only if rel not in dockerfiles and _looks_like_compose(root, rel, loaded)]
        k8s_files = [rel for rel in only if rel not in dockerfiles and rel not in compose_files]
    # compose files anywhere tie Dockerfiles to their contexts (also for a Dockerfile given alone)
    all_compose = compose_files if only is None else sorted(set(compose_files) | set(discover.walk(root).compose))
    builds: dict[str, str] = {}  # Dockerfile → context
    built_by: dict[str, list[str]] = {}  # Dockerfile → compose files that build it
    for rel in all_compose:
        for doc in _yaml_once(root, rel, loaded):
            for context, dockerfile in discover.compose_builds(rel, doc.data):
                builds.setdefault(dockerfile, context)
                built_by.setdefault(dockerfile, []).append(rel)
    units: dict[str, Unit] = {".": Unit(".", platform=only is None)}
    for rel in dockerfiles:
        context = builds.get(rel) or discover.guess_context(root, rel, _read(root, rel, loaded) or "")
        unit = units.setdefault(context, Unit(context))
        unit.dockerfiles.append(rel)
        unit.compose += [c for c in built_by.get(rel, []) if c not in unit.compose and c in compose_files]
    linted = {c for unit in units.values() for c in unit.compose}
    for rel in compose_files:
        if rel not in linted:  # builds nothing found here: linted with the folder it is in (or the nearest above)
            _nearest(units, posixpath.dirname(rel) or ".").compose.append(rel)
    for rel in k8s_files:
        _nearest(units, posixpath.dirname(rel) or ".").k8s.append(rel)
    return [u for u in units.values() if u.dockerfiles or u.compose or u.k8s or u.platform], loaded


def _nearest(units: dict[str, Unit], directory: str) -> Unit:
    while directory not in units:
        directory = posixpath.dirname(directory) or "."
    return units[directory]


def _looks_like_compose(root: Path, rel: str, loaded: Loaded) -> bool:
    """A YAML file given by name is compose when it has a `services` mapping (its name may be anything)."""
    from quayside.check import discover

    if discover.is_compose_name(Path(rel).name):
        return True
    docs = _yaml_once(root, rel, loaded)
    return any(isinstance(d.data, dict) and isinstance(d.data.get("services"), dict) and "apiVersion" not in d.data for d in docs)


def _yaml_once(root: Path, rel: str, loaded: Loaded) -> list[YamlDoc]:
    if rel not in loaded.yaml:
        loaded.yaml[rel] = _load_yaml(root, rel, loaded)
    return loaded.yaml[rel]


def load_context(root: Path, *, only: list[str] | None = None, unit: Unit | None = None, loaded: Loaded | None = None) -> CheckContext:
    """Read one unit (a build context and its files) of the folder at root; without a unit, the folder's own
    (its Dockerfiles at the top, `only` restricting them)."""
    if unit is None or loaded is None:
        units, loaded = plan_units(root, only=only)
        unit = next((u for u in units if u.context == "."), units[0] if units else Unit(".", platform=True))
    context_root = root if unit.context == "." else root / unit.context
    ctx = CheckContext(root=context_root, platform=unit.platform, ci_targets=loaded.ci_targets)
    for rel in unit.dockerfiles:
        text = _read(root, rel, loaded)
        if text is not None:
            ctx.dockerfiles.append(parse(text, rel))
    ignore_rel = posixpath.join(unit.context, ".dockerignore") if unit.context != "." else ".dockerignore"
    if (root / ignore_rel).is_file():
        text = _read(root, ignore_rel, loaded)
        if text is not None:
            ctx.dockerignore = parse_dockerignore(ignore_rel, text)
    for rel in unit.compose:
        ctx.compose.extend(_yaml_once(root, rel, loaded))
    for rel in unit.k8s:
        ctx.k8s.extend(d for d in _yaml_once(root, rel, loaded) if isinstance(d.data, dict) and "apiVersion" in d.data and "kind" in d.data)
    wanted = {*unit.dockerfiles, *unit.compose, *unit.k8s, ignore_rel}
    ctx.texts.update({rel: text for rel, text in loaded.texts.items() if rel in wanted})
    ctx.load_errors.extend(e for e in loaded.load_errors if e[0] in wanted)
    return ctx
