"""What the runtime image must hold for the app to run, read statically (user code is never imported).

- Code: the import closure of the app over first-party modules. Whole top-level packages are copied, so the
  closure is taken over them: every module of a copied package is read, and each first-party top-level package
  or module it imports (siblings of `app/` such as `core/`, `api/`; namespace packages; `src/` layouts) is
  copied too, and read in turn.
- Data: files the code visibly reads at run time: relative path literals that exist in the project (`open(
  "data/words.txt")`, `Jinja2Templates(directory="templates")`, `joblib.load("model/model.joblib")`), and
  paths built from the module's own location (`Path(__file__).parent.parent / "sample_model"`,
  `os.path.join(os.path.dirname(__file__), "..", "data")`, through module constants such as `BASE_DIR`).
- The project's own words: `[tool.quayside] include/exclude` and `init --include/--exclude`.

Never content: files the generated .dockerignore keeps out (secrets, virtualenvs, caches). An explicit include
of a secret is refused; a secret the code reads is left out and said so (it belongs in the environment).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from quayside.engine import git
from quayside.errors import UserInputError
from quayside.inspection.source import parse_python, python_files

# Folders that are never the app's code even when a module of that name is imported (a local virtualenv
# would shadow nothing the image needs).
NEVER_CODE = {".venv", "venv", "env", ".git", "node_modules", "site-packages", "__pycache__", "build", "dist"}
# Beyond this many modules in the copied packages the rest are not read (a vendored tree); what is read stays.
MAX_MODULES = 3000
MAX_LITERAL = 255
# Calls and keywords whose string argument is a path the code opens at run time.
PATH_CALLS = {"open", "Path", "PurePath", "read_csv", "read_parquet", "read_json", "load", "loadtxt",
              "FileResponse", "TemplateResponse", "exists", "isfile", "isdir", "listdir", "scandir"}
PATH_KEYWORDS = {"directory", "path", "filename", "file", "template_folder", "static_folder", "env_file"}


@dataclass(frozen=True)
class ContentEntry:
    path: str  # project-relative POSIX path, copied to the same place under the workdir
    is_dir: bool
    why: str


@dataclass(frozen=True)
class RuntimeContent:
    entries: tuple[ContentEntry, ...]
    skipped: tuple[str, ...] = ()  # what the code reads but the image must not hold (secrets), with why
    ignore_lines: tuple[str, ...] = ()  # excluded paths inside copied folders, for the .dockerignore
    writable: tuple[tuple[str, str], ...] = ()  # (folder under the workdir the app writes to, why)
    linked_files: tuple[str, ...] = ()  # files the app writes in the workdir itself: links into DATA_FOLDER
    linked_databases: tuple[str, ...] = ()  # those of them that are SQLite databases (unused beside a server)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(e.path for e in self.entries)

    def explain(self) -> str:
        text = "; ".join(f"{e.path}{'/' if e.is_dir else ''} ({e.why})" for e in self.entries)
        if self.skipped:
            text += "; left out: " + "; ".join(self.skipped)
        return text


def _norm(root: Path, candidate: Path) -> str | None:
    """The project-relative POSIX path of an existing file or folder inside the project, or None."""
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):
        return None
    if resolved == root or root not in resolved.parents or not resolved.exists():
        return None
    # a symlink inside the project that leads out of it is not content
    return resolved.relative_to(root).as_posix()


class _Closure:
    def __init__(self, root: Path, import_roots: list[Path], ignored: Callable[[str], bool]):
        self.root = root
        self.import_roots = import_roots
        self.ignored = ignored
        self.entries: dict[str, ContentEntry] = {}
        self.skipped: dict[str, str] = {}
        self.writable: dict[str, str] = {}
        self.workdir_files: dict[str, str] = {}  # a file the app writes in the workdir itself (./app.db), why
        self.workdir_databases: set[str] = set()  # those of them that are SQLite databases
        self.read_modules = 0

    # -- code ---------------------------------------------------------------------------------------------
    def top_level(self, dotted: str) -> Path | None:
        """Where the first-party top-level module or package of the imported `dotted` name lives, if the project
        has one. A folder without __init__.py is a namespace package when it holds modules itself, or when the
        imported submodule is in it (`from source.controller.v1 import router`, source/ holding only folders)."""
        name, *inner = dotted.split(".")
        if name in NEVER_CODE:
            return None
        for base in self.import_roots:
            package = base / name
            if package.is_dir() and not package.is_symlink() and (
                (package / "__init__.py").is_file() or any(package.glob("*.py")) or has_submodule(package, inner)
            ):
                return package
            module = base / f"{name}.py"
            if module.is_file():
                return module
        return None

    def add_code(self, path: Path, why: str) -> bool:
        rel = _norm(self.root, path)
        if rel is None or rel in self.entries or self.covered(rel):
            return False
        self.entries[rel] = ContentEntry(rel, path.is_dir(), why)
        return True

    def covered(self, rel: str) -> bool:
        parts = PurePosixPath(rel).parts
        return any("/".join(parts[:i]) in self.entries for i in range(1, len(parts)))

    def modules_of(self, path: Path) -> Iterable[Path]:
        if path.is_file():
            yield path
            return
        yield from python_files(path, lambda name: name in NEVER_CODE or name.startswith("."))

    def run(self, app_file: Path | None, first: Path, first_why: str) -> None:
        self.add_code(first, first_why)
        self.walk([first], app_file)

    def walk(self, queue: list[Path], app_file: Path | None = None) -> None:
        """Every first-party module the queued code imports, and what they read, followed to its end."""
        while queue:
            unit = queue.pop(0)
            for module in self.modules_of(unit):
                if self.read_modules >= MAX_MODULES:
                    return
                self.read_modules += 1
                display = module.relative_to(self.root).as_posix()
                try:
                    tree = parse_python(module, display=display)
                except UserInputError:
                    if module == app_file:
                        raise
                    continue  # a broken module the app may never import: the build will tell if it does
                for dotted in sorted(_imported_modules(tree)):
                    found = self.top_level(dotted)
                    if found is not None and self.add_code(found, f"imported by {display}"):
                        queue.append(found)
                for rel, how in _data_paths(tree, module, self.root):
                    self.add_data(rel, f"{how} in {display}")
                for rel, how in _writable_paths(tree):
                    self.writable.setdefault(rel, f"{how} in {display}")
                for name, how, database in _workdir_files(tree):
                    self.workdir_files.setdefault(name, f"{how} in {display}")
                    if database:
                        self.workdir_databases.add(name)

    # -- data ---------------------------------------------------------------------------------------------
    def add_data(self, rel: str, why: str) -> None:
        if rel in self.entries or self.covered(rel):
            return
        if self.ignored(rel):
            self.skipped.setdefault(rel, f"{rel} ({why}): the .dockerignore keeps it out (a secret or a cache); "
                                         "give it to the container at run time")
            return
        is_dir = (self.root / rel).is_dir()
        # a data folder added now may cover files added before it
        for inner in [p for p in self.entries if p.startswith(rel + "/")]:
            del self.entries[inner]
        self.entries[rel] = ContentEntry(rel, is_dir, why)


def has_submodule(package: Path, inner: list[str]) -> bool:
    """Whether a module or package that `package.<inner…>` names (or a folder of modules on its way) is there."""
    path = package
    for part in inner:
        path = path / part
        if (path / "__init__.py").is_file() or path.with_suffix(".py").is_file():
            return True
        if not path.is_dir() or path.is_symlink():
            return False
        if any(path.glob("*.py")):
            return True
    return False


def _imported_modules(tree: ast.Module) -> set[str]:
    """Dotted names of the absolute imports anywhere in the module (lazy imports in functions count: they run
    too); `from a.b import c` gives a.b and a.b.c, as c may be a submodule."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str) and _call_name(node) == "import_module"):
            names.add(node.args[0].value)  # importlib.import_module("plugins.x")
    return {n for n in names if all(part.isidentifier() for part in n.split("."))}


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _is_file_dunder(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "__file__"


class _Anchors:
    """Paths built from the module's own location, evaluated to absolute paths on this machine."""

    def __init__(self, module: Path):
        self.module = module
        self.names: dict[str, Path] = {}

    def eval(self, node: ast.expr) -> Path | None:
        if _is_file_dunder(node):
            return self.module
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.eval(node.value)
            if base is None:
                return None
            return base.parent if node.attr == "parent" else None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents":
            base = self.eval(node.value.value)
            index = node.slice
            if base is not None and isinstance(index, ast.Constant) and isinstance(index.value, int) and index.value >= 0:
                parents = base.parents
                return parents[index.value] if index.value < len(parents) else None
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            base = self.eval(node.left)
            tail = _const_str(node.right)
            return base / tail if base is not None and tail is not None and not tail.startswith("/") else None
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in ("Path", "PurePath") and len(node.args) > 1:
                name = "join"  # Path(BASE, "setting.json") joins, as os.path.join does
            elif name in ("Path", "PurePath", "abspath", "realpath", "normpath", "resolve", "absolute"):
                inner = node.args[0] if node.args else (node.func.value if isinstance(node.func, ast.Attribute) else None)
                return self.eval(inner) if inner is not None else None
            if name == "dirname" and node.args:
                base = self.eval(node.args[0])
                return base.parent if base is not None else None
            if name in ("join", "joinpath"):
                args = list(node.args)
                if name == "joinpath" and isinstance(node.func, ast.Attribute):
                    args.insert(0, node.func.value)
                if not args:
                    return None
                base = self.eval(args[0])
                tails = [_const_str(a) for a in args[1:]]
                if base is None or any(t is None or t.startswith("/") for t in tails):
                    return None
                return base.joinpath(*[t for t in tails if t is not None])
        return None


def _const_str(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and 0 < len(node.value) <= MAX_LITERAL:
        return node.value
    return None


# A setting or constant naming a folder the app writes to: log_path = "./logs", UPLOAD_DIR = "uploads"
WRITABLE_NAME = re.compile(r"(?i)^_?(logs?|uploads?|media|data|output|outputs|cache|storage|files)_?(dir|path|folder|root|directory)$")
MAKES_DIRS = {"makedirs", "mkdir"}
SQLITE_URL = re.compile(r"^sqlite(?:\+\w+)?:///(?!/)(.+)$")  # a relative SQLite file: its folder gets written
LOG_FILE_CALLS = {"FileHandler", "RotatingFileHandler", "TimedRotatingFileHandler", "WatchedFileHandler"}


# a bind mount of one of these is a file, not a folder the app writes into
_FILE_SUFFIXES = {".db", ".sqlite", ".sqlite3", ".json", ".log", ".conf", ".yml", ".yaml", ".env", ".txt", ".ini",
                  ".toml", ".py", ".sh", ".pem", ".key", ".crt"}


def _compose_mounted_folders(root: Path) -> list[tuple[str, str]]:
    """Folders of the project that its own compose file bind-mounts into the container built from it, and that a
    clean checkout lacks (absent, or kept out by .gitignore): state the app writes there (MercyClassic/
    pg_jsonb_learn's docker/docker-compose.yml mounts ../src/logs at /app/src/logs, where its log handler writes).
    A mount of a folder the repository holds is the author's live code (a reload setup): not state. The mount's
    target must end with the folder's path, so the old image laid the project out as this one does."""
    from quayside.inspection.projectcompose import compose_files

    found: list[tuple[str, str]] = []
    for compose in compose_files(root):
        for _, spec in compose.app_services(root):
            for volume in spec.get("volumes") or ():
                source, target, read_only = _bind_mount(volume)
                if source is None or target is None or read_only or not source.startswith("."):
                    continue
                rel = _norm_new(root, compose.path.parent / source)
                if (rel is None or PurePosixPath(rel).suffix in _FILE_SUFFIXES or not target.rstrip("/").endswith("/" + rel)
                        or ((root / rel).exists() and rel not in git.ignored(root, [rel]))):
                    continue
                found.append((rel, f"{compose.rel} mounts it into the app's container ({source}:{target}), and the "
                                   "repository does not hold it: the app writes there"))
    return found


def _bind_mount(volume: object) -> tuple[str | None, str | None, bool]:
    """(source, target, read-only) of a compose volume entry, short (`./logs:/app/logs:ro`) or long syntax."""
    if isinstance(volume, str):
        parts = volume.split(":")
        if len(parts) < 2:
            return None, None, False
        return parts[0], parts[1], len(parts) > 2 and "ro" in parts[2].split(",")
    if isinstance(volume, dict) and volume.get("type", "bind") == "bind":
        source, target = volume.get("source"), volume.get("target")
        return (source if isinstance(source, str) else None, target if isinstance(target, str) else None,
                bool(volume.get("read_only")))
    return None, None, False


def _norm_new(root: Path, candidate: Path) -> str | None:
    """The project-relative POSIX path of a path inside the project that need not exist yet, or None."""
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):
        return None
    if resolved == root.resolve() or root.resolve() not in resolved.parents:
        return None
    return resolved.relative_to(root.resolve()).as_posix()


def _relative_folder(value: str | None) -> str | None:
    if value is None or value.startswith(("/", "~")) or "://" in value or any(c in value for c in "{}*?<>|%$\n"):
        return None
    cleaned = value.removeprefix("./").rstrip("/")
    if not cleaned or cleaned == "." or ".." in PurePosixPath(cleaned).parts:
        return None
    return cleaned


def _string_values(tree: ast.Module) -> dict[int, str]:
    """id(node) → its text, for each f-string made only of literals and module-level string constants:
    `SQLALCHEMY_DATABASE_URL = f"sqlite:///{DB_PATH}"` with `DB_PATH = "./sql_app.db"` (ayeo144/fastapi-explore)."""
    constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 for target in node.targets if isinstance(target, ast.Name)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}
    rendered: dict[int, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            elif isinstance(value, ast.FormattedValue) and value.conversion == -1 and value.format_spec is None \
                    and isinstance(value.value, ast.Name) and value.value.id in constants:
                parts.append(constants[value.value.id])
            else:
                break
        else:
            rendered[id(node)] = "".join(parts)
    return rendered


def _text(node: ast.AST, rendered: dict[int, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return rendered.get(id(node))


def _writable_paths(tree: ast.Module) -> list[tuple[str, str]]:
    """Folders under the working directory the code creates or writes logs into (relative paths only)."""
    found: list[tuple[str, str]] = []
    rendered = _string_values(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            target: ast.expr | None = None
            if name in MAKES_DIRS:
                # os.makedirs("logs"), os.mkdir("x"), Path("logs").mkdir()
                target = node.args[0] if node.args else None  # os.makedirs(p), os.mkdir(p); p.mkdir() below
                if name == "mkdir" and not node.args and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
                    inner = node.func.value
                    target = inner.args[0] if _call_name(inner) in ("Path", "PurePath") and inner.args else None
            elif (name in LOG_FILE_CALLS and node.args) or (log := _log_file_target(node, rotating=True)) is not None:
                given = _const_str(node.args[0]) if name in LOG_FILE_CALLS else log[0] if log else None
                folder = PurePosixPath(given or "").parent.as_posix()
                if (rel := _relative_folder(folder)) is not None:
                    found.append((rel, f"a log file is written there ({name})"))
                continue
            if target is not None and (rel := _relative_folder(_const_str(target))) is not None:
                found.append((rel, f"created by {name}()"))
        elif (text := _text(node, rendered)) is not None and (m := SQLITE_URL.match(text)):
            if (database_folder := _relative_folder(PurePosixPath(m[1]).parent.as_posix())) is not None:
                found.append((database_folder, "a SQLite database is written there"))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target_node in targets:
                if isinstance(target_node, ast.Name) and WRITABLE_NAME.match(target_node.id) \
                        and (rel := _relative_folder(_const_str(node.value))) is not None:
                    found.append((rel, f"{target_node.id} names it"))
    return found


# Files the app writes in its working directory itself: the workdir stays read-only to the app user, so each
# is a link into this folder, which the app user owns (a volume under a read-only root). SQLite follows the
# link and keeps its journal beside the real file.
DATA_FOLDER = ".data"
SQLITE_CONNECT_MODULES = {"sqlite3", "aiosqlite"}
SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9._@+-]{1,100}")  # written into a RUN line: nothing a shell would read


def _workdir_file(value: str | None) -> str | None:
    if value is None or value.startswith(("/", "~", ":")) or "://" in value or "?" in value:
        return None
    name = value.removeprefix("./")
    return name if SAFE_FILE_NAME.fullmatch(name) and name not in (".", "..") else None


def _log_file_target(node: ast.Call, *, rotating: bool = False) -> tuple[str, str] | None:
    """(the path a log file is written to, by what): logging's handlers and basicConfig, loguru's add. Unless
    `rotating`, only a call that does not rotate it: rotation renames files beside it, which a link cannot carry."""
    name = _call_name(node)
    keywords = {k.arg for k in node.keywords}
    if name in ("FileHandler", "WatchedFileHandler") and node.args:
        target = _const_str(node.args[0])
    elif name == "basicConfig":
        target = next((_const_str(k.value) for k in node.keywords if k.arg == "filename"), None)
    elif (name == "add" and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
          and node.func.value.id == "logger" and node.args
          and (rotating or not keywords & {"rotation", "retention", "compression"})):
        target = _const_str(node.args[0])  # loguru: logger.add("app.log")
        if target is None or not target.endswith((".log", ".txt", ".json", ".jsonl")):
            return None
    else:
        return None
    return (target, f"a log file is written there ({name})") if target else None


def _workdir_files(tree: ast.Module) -> list[tuple[str, str, bool]]:
    """Files the code writes by a bare relative name, in the working directory itself: a SQLite database
    (`sqlite:///./app.db`, sqlite3.connect("app.db")), a log file (FileHandler("app.log"), loguru's
    logger.add("app.log")), each with whether it is a database."""
    found: list[tuple[str, str, bool]] = []
    rendered = _string_values(tree)
    for node in ast.walk(tree):
        if (text := _text(node, rendered)) is not None and (m := SQLITE_URL.match(text)):
            if (name := _workdir_file(m[1])) is not None:
                found.append((name, "a SQLite database in the working directory", True))
        elif isinstance(node, ast.Call) and (log := _log_file_target(node)) is not None:
            if "/" not in log[0].removeprefix("./") and (name := _workdir_file(log[0])) is not None:
                found.append((name, log[1].replace("written there", "written in the working directory"), False))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect"
              and isinstance(node.func.value, ast.Name) and node.func.value.id in SQLITE_CONNECT_MODULES and node.args
              and (name := _workdir_file(_const_str(node.args[0]))) is not None):
            found.append((name, f"{node.func.value.id}.connect() opens a database in the working directory", True))
    return found


def _looks_like_path(value: str) -> bool:
    if "\n" in value or "://" in value or value.startswith(("/", "~")) or any(c in value for c in "{}*?<>|%$"):
        return False
    name = PurePosixPath(value).name
    return "/" in value.strip("/") or ("." in name.strip(".") and name.rsplit(".", 1)[1].isalnum())


def _data_paths(tree: ast.Module, module: Path, root: Path) -> list[tuple[str, str]]:
    anchors = _Anchors(module)
    found: list[tuple[str, str]] = []
    # module constants first (BASE_DIR = Path(__file__).resolve().parent.parent), in order
    for statement in tree.body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            anchor = anchors.eval(statement.value)
            for target in targets:
                if isinstance(target, ast.Name) and anchor is not None:
                    anchors.names[target.id] = anchor
    path_args: set[int] = set()
    for walked in ast.walk(tree):
        if isinstance(walked, ast.Call):
            if _call_name(walked) in PATH_CALLS and walked.args:
                path_args.add(id(walked.args[0]))
            for kw in walked.keywords:
                if kw.arg in PATH_KEYWORDS:
                    path_args.add(id(kw.value))
    consumed: set[int] = set()  # parts of a path already read whole: `BASE / "a" / "b"` is a/b, not a
    for node in ast.walk(tree):
        if id(node) in consumed:
            continue
        if isinstance(node, (ast.BinOp, ast.Call)) and (anchored := anchors.eval(node)) is not None:
            consumed.update(id(inner) for inner in ast.walk(node))
            rel = _norm(root, anchored)
            if rel is not None and not (root / rel).samefile(module) and not module.is_relative_to(root / rel):
                found.append((rel, "a path built from __file__"))
            continue
        value = _const_str(node) if isinstance(node, ast.expr) else None
        if value is None or not (id(node) in path_args or _looks_like_path(value)):
            continue
        cleaned = value.removeprefix("./")
        if not cleaned or cleaned.startswith("..") or "\n" in cleaned:
            continue
        rel = _norm(root, root / cleaned)
        if rel is not None:
            found.append((rel, f'"{value}" read'))
    return found


# The project's documented example settings: a value that is a path in the project is a file the app reads
# (DEFAULT_MODEL_PATH=./sample_model/model.joblib).
EXAMPLE_ENV_FILES = (".env.example", ".env.sample", ".env.template", ".env.dist", "example.env", "env.example")


def _example_env_paths(root: Path) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name in EXAMPLE_ENV_FILES:
        path = root / name
        if not path.is_file() or path.is_symlink():
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")[:200_000]
        except OSError:
            continue
        for line in text.splitlines():
            key, sep, value = line.strip().removeprefix("export ").partition("=")
            value = value.split(" #")[0].strip().strip("\"'")
            if not sep or key.startswith("#") or not value or not (value.startswith("./") or _looks_like_path(value)):
                continue
            cleaned = value.removeprefix("./")
            rel = _norm(root, root / cleaned) if not cleaned.startswith("..") else None
            if rel is not None:
                found.append((rel, f"{key.strip()} in {name}"))
    return found


def _explicit(root: Path, value: str, given_as: str) -> str:
    rel = _norm(root, root / value) if not value.startswith("/") and ".." not in PurePosixPath(value).parts else None
    if rel is None:
        raise UserInputError(f"{given_as} {value!r}: no such file or folder inside the project",
                             hint="give a path relative to the project folder")
    return rel


def runtime_content(root: Path, app_file: str, import_root: str, *, include: tuple[tuple[str, str], ...] = (),
                    exclude: tuple[tuple[str, str], ...] = (), extras: tuple[str, ...] = (),
                    writable: tuple[tuple[str, str], ...] = (),
                    ignored: Callable[[str], bool] = lambda _: False) -> RuntimeContent:
    """The paths to copy into the image, each with why. include/exclude are (path, where it was given);
    `extras` are conventional folders (alembic, templates) copied when present; `ignored` says what the
    generated .dockerignore keeps out of the build context."""
    import_roots = [root / import_root] if import_root != "." else [root]
    if root not in import_roots:
        import_roots.append(root)  # `uvicorn` puts the working directory on sys.path too
    closure = _Closure(root, import_roots, ignored)
    app_path = root / app_file
    top = PurePosixPath(app_file).parts[0] if import_root == "." else PurePosixPath(import_root).parts[0]
    first = root / top
    closure.run(app_path, first, "the app's own code" if import_root == "." else f"the import root {import_root}")
    for rel, why in _example_env_paths(root):
        closure.add_data(rel, why)
    for extra in extras:
        if (root / extra).exists() and not closure.covered(extra) and extra not in closure.entries:
            closure.add_data(extra, "read at run time by convention (migrations, templates, static files)")
            if extra in closure.entries and (root / extra).is_dir():
                # a migrations folder's env.py imports the project's models its own way (darkweid/fastapi-template:
                # `import models`, a package the app reaches only through src.): the migrate step needs them too
                closure.walk([root / extra])
    for value, include_from in include:
        rel = _explicit(root, value, include_from)
        if ignored(rel):
            raise UserInputError(f"{include_from} {value!r}: the .dockerignore keeps it out of every image: it looks "
                                 "like a secret or a cache", hint="pass secrets at run time (an env file, a secret mount), never in the image")
        closure.add_data(rel, f"{include_from}")
        if rel in closure.entries:  # asked for by name: that is why it is copied, whatever else found it
            closure.entries[rel] = ContentEntry(rel, closure.entries[rel].is_dir, include_from)
    entries = dict(closure.entries)
    skipped = dict(closure.skipped)
    ignore_lines: list[str] = []
    # what the project's .gitignore keeps out of its repository (and git does not track) is its author's local
    # state, often secrets (Supabase keys in key.json): never copied, unless asked for by name
    explicit_paths = {p for p, e in entries.items() if e.why in ("--include", "[tool.quayside] include")}
    app_parts = PurePosixPath(app_file).parts
    for rel in sorted(git.ignored(root, sorted(set(entries) - explicit_paths))):
        if app_parts[:len(PurePosixPath(rel).parts)] == PurePosixPath(rel).parts:
            continue  # the app's own code, however its author's .gitignore reads
        skipped[rel] = (f"{rel} ({entries.pop(rel).why}): the project's .gitignore keeps it out of its repository, so a "
                        "clean checkout (and an image built in CI) never holds it; give it to the container at run "
                        "time (a read-only bind mount or a secret), or, if it holds no secret, --include it")
    folders_copied = sorted(p for p, e in entries.items() if e.is_dir and p not in explicit_paths)
    for rel in git.ignored_below(root, folders_copied):
        if not ignored(rel) and not any(part in NEVER_CODE for part in PurePosixPath(rel).parts):
            ignore_lines.append(rel)  # inside a copied folder: the .dockerignore keeps it out of that COPY
    for value, exclude_from in exclude:
        rel = _explicit(root, value, exclude_from)
        if (root / app_file).resolve().is_relative_to((root / rel).resolve()):
            raise UserInputError(f"{exclude_from} {value!r} would leave out the app itself ({app_file})")
        entries = {p: e for p, e in entries.items() if p != rel and not p.startswith(rel + "/")}
        if any(rel.startswith(p + "/") for p in entries):
            ignore_lines.append(rel)  # inside a copied folder: only the .dockerignore keeps it out of that COPY
    folders = dict(closure.writable)
    for rel, why in _compose_mounted_folders(root):
        folders.setdefault(rel, why)
    for value, given_as in writable:
        folder = _relative_folder(value)
        if folder is None:
            raise UserInputError(f"{given_as} {value!r} is not a folder inside the project",
                                 hint='a relative path such as "logs" or "data/uploads"')
        folders[folder] = given_as
    # a file the app writes is linked, not copied (a committed app.log or dev database stays out of the image);
    # one given with --include is copied as asked, and the app then finds it read-only
    explicit = {"--include", "[tool.quayside] include"}
    linked = {name: why for name, why in closure.workdir_files.items()
              if name not in entries or entries[name].why not in explicit}
    entries = {path: entry for path, entry in entries.items() if path not in linked}
    if linked:
        folders.setdefault(DATA_FOLDER, "holds " + "; ".join(f"{name} ({why})" for name, why in sorted(linked.items()))
                           + ", linked from the working directory")
    return RuntimeContent(tuple(sorted(entries.values(), key=lambda e: e.path)), tuple(skipped.values()),
                          tuple(ignore_lines), tuple(sorted(folders.items())), tuple(sorted(linked)),
                          tuple(sorted(n for n in linked if n in closure.workdir_databases)))
