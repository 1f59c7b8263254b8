"""Pinned requirements, with their hashes, from poetry.lock or pdm.lock: the lock read as it is, no resolver.

Runs in the builder stage with the image's own Python (its pip's vendored packaging and, before 3.11, tomli),
so markers are evaluated for the Python and platform the app will run on. Prints one line per package of
the main/default group and of the groups named after the lock (those the project's own image installed);
other groups are left out. Locks that record each package's groups (Poetry 2, PDM's inherit_metadata) are
read by group; older ones by walking the dependency graph from pyproject.toml.
"""

import sys

try:
    import tomllib
except ImportError:  # Python < 3.11: pip's own copy
    from pip._vendor import tomli as tomllib
from pip._vendor.packaging.markers import Marker
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name

LOCK = sys.argv[1]
GROUPS = ["main" if LOCK == "poetry.lock" else "default", *sys.argv[2:]]
with open(LOCK, "rb") as f:
    lock = tomllib.load(f)
with open("pyproject.toml", "rb") as f:
    project = tomllib.load(f)
entries = {}  # canonical name -> the lock's entries (PDM writes one more per extras set)
# Poetry < 1.2 lists files apart; its `category` marks no platform, so such locks are walked, edge markers and all
old_files = {canonicalize_name(k): v for k, v in lock.get("metadata", {}).get("files", {}).items()}
for entry in lock.get("package", []):
    if "files" not in entry:
        entry["files"] = old_files.get(canonicalize_name(entry["name"]), [])
    entries.setdefault(canonicalize_name(entry["name"]), []).append(entry)


def holds(marker, extras=("",)):
    return not marker or any(Marker(marker).evaluate({"extra": extra}) for extra in extras)


def by_groups():
    chosen = set()
    for name, found in entries.items():
        for entry in found:
            for group in GROUPS:
                marker = entry.get("markers", entry.get("marker"))
                if isinstance(marker, dict):  # Poetry: a marker per group
                    marker = marker.get(group)
                if group in entry["groups"] and holds(marker):
                    chosen.add(name)
    return chosen


def requirement(text):
    return Requirement(text.split(" (")[0] + (text.split(" (", 1)[1].split(")", 1)[1] if " (" in text else ""))


def roots():
    poetry, pdm = project.get("tool", {}).get("poetry", {}), project.get("tool", {}).get("pdm", {})
    tables = [poetry.get("dependencies", {})]
    texts = list(project.get("project", {}).get("dependencies", []))
    for group in GROUPS[1:]:
        tables.append(poetry.get("group", {}).get(group, {}).get("dependencies", {}))
        if group == "dev":
            tables.append(poetry.get("dev-dependencies", {}))  # Poetry < 1.2
        texts += pdm.get("dev-dependencies", {}).get(group, []) + project.get("dependency-groups", {}).get(group, [])
    for text in texts:
        if isinstance(text, str) and not text.startswith("-e "):
            yield requirement(text), None
    for name, spec in ((n, s) for table in tables for n, s in table.items()):
        if name.lower() != "python":
            for one in spec if isinstance(spec, list) else [spec]:
                table = one if isinstance(one, dict) else {}
                if not table.get("optional"):
                    yield Requirement(name + "[" + ",".join(table.get("extras", [])) + "]"), table.get("markers")


def edges(entry):
    dependencies = entry.get("dependencies", {})
    if isinstance(dependencies, list):  # PDM: PEP 508 strings
        for text in dependencies:
            found = Requirement(text)
            yield found, str(found.marker) if found.marker else None
        return
    for name, spec in dependencies.items():  # Poetry: a constraint, a table, or a list of tables
        for one in spec if isinstance(spec, list) else [spec]:
            table = one if isinstance(one, dict) else {}
            if not table.get("optional"):
                yield Requirement(name + "[" + ",".join(table.get("extras", [])) + "]"), table.get("markers")


def by_walk():
    seen, stack = set(), list(roots())
    while stack:
        found, marker = stack.pop()
        name, extras = canonicalize_name(found.name), frozenset(found.extras)
        if not holds(marker or (str(found.marker) if found.marker else None)) or (name, extras) in seen:
            continue
        seen.add((name, extras))
        if name not in entries:
            sys.exit(f"{LOCK} has no entry for {found.name}: the lock is older than pyproject.toml; update it")
        for entry in entries[name]:
            own = entry.get("extras", {})
            if isinstance(own, list) and not set(own) <= extras:
                continue  # PDM: an entry per extras set, with that set's dependencies
            for dep, dep_marker in edges(entry):
                if holds(dep_marker, tuple(extras) or ("",)):
                    stack.append((dep, None))
            for extra in extras if isinstance(own, dict) else ():  # Poetry: extra -> its requirements
                for text in own.get(extra, []):
                    stack.append((requirement(text), None))
    return {name for name, _ in seen}


chosen = by_groups() if all("groups" in e for found in entries.values() for e in found) else by_walk()
lines, hashed = [], True
for name in sorted(chosen):
    entry = entries[name][0]
    source = entry.get("source", {})
    if source.get("type") == "git" or "git" in entry:
        url = source.get("url") or entry["git"]
        ref = source.get("resolved_reference") or entry.get("revision") or source.get("reference", "")
        lines.append(f"{entry['name']} @ git+{url}@{ref}")
        hashed = False
    elif source.get("type") in ("directory", "file") or "path" in entry:
        sys.exit(f"{entry['name']} comes from a path in the project ({source.get('url') or entry.get('path')}): "
                 "install it with the project, or publish it to an index")
    else:
        hashes = [f["hash"] for f in entry.get("files", [])]
        hashed = hashed and bool(hashes)
        lines.append(f"{entry['name']}=={entry['version']}" + "".join(f" --hash={h}" for h in hashes))
for line in lines:
    # hashes are all or nothing for pip and uv
    print(line if hashed else line.split(" --hash=")[0])
print(f"{len(lines)} packages of group{'s' if len(GROUPS) > 1 else ''} {', '.join(GROUPS)} from {LOCK}", file=sys.stderr)
