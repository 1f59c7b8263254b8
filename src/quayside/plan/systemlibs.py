"""Python distributions that need Debian packages: to build from source (headers and a compiler, in the
builder stage only) and to run (the shared library, in the runtime). One table, checked by tests against the
engine (tests/test_live_system_libs.py builds the psycopg2 row; tests/test_system_libs.py keeps every name a
real bookworm package name).

Only distributions that ship no Linux wheel on PyPI need their build packages: pip and uv then build from the
sdist. Those that ship wheels still need a runtime library that the wheel does not bundle (pyodbc loads
unixODBC). Anything else is the project's to say: `--apt-build`/`--apt-runtime` or `[tool.quayside]
apt-build`/`apt-runtime`.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.utils import canonicalize_name

from quayside.provenance import Decided

COMPILER = ("gcc", "libc6-dev")
# what an arbitrary sdist may need to build: C and C++, and make for the libraries some bundle (uvloop's libuv)
SOURCE_BUILD = ("g++", *COMPILER, "make")


@dataclass(frozen=True)
class SystemLibs:
    build: tuple[str, ...]  # builder stage, only when no wheel exists (sdist builds)
    runtime: tuple[str, ...]  # runtime stage, always
    wheels: bool  # PyPI ships manylinux wheels: no build packages needed
    instead: str | None = None  # a wheel-only alternative, named in the reason


# Debian 12 (bookworm: the python:3.x-slim base) package names.
TABLE: dict[str, SystemLibs] = {
    "psycopg2": SystemLibs(("libpq-dev", *COMPILER), ("libpq5",), wheels=False, instead="psycopg2-binary or psycopg[binary]"),
    "mysqlclient": SystemLibs(("default-libmysqlclient-dev", "pkg-config", *COMPILER), ("libmariadb3",), wheels=False,
                              instead="PyMySQL or aiomysql"),
    "python-ldap": SystemLibs(("libldap2-dev", "libsasl2-dev", *COMPILER), ("libldap-2.5-0", "libsasl2-2"), wheels=False),
    "pyodbc": SystemLibs(("unixodbc-dev", "g++", *COMPILER), ("libodbc2",), wheels=True),
    "mariadb": SystemLibs(("libmariadb-dev", *COMPILER), ("libmariadb3",), wheels=False),
    "pygraphviz": SystemLibs(("libgraphviz-dev", *COMPILER), ("libgvc6",), wheels=False),
    "pykerberos": SystemLibs(("libkrb5-dev", *COMPILER), ("libgssapi-krb5-2",), wheels=False),
    "python-magic": SystemLibs((), ("libmagic1",), wheels=True),
    "weasyprint": SystemLibs((), ("libpango-1.0-0", "libpangoft2-1.0-0"), wheels=True),
}


@dataclass(frozen=True)
class AptPackages:
    build: Decided[tuple[str, ...]]
    runtime: Decided[tuple[str, ...]]


def _merge(*groups: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(group))
    return tuple(seen)


def apt_packages(dependencies: list[str], *, project_build: tuple[str, ...] = (), project_runtime: tuple[str, ...] = (),
                 given_build: tuple[str, ...] = (), given_runtime: tuple[str, ...] = (),
                 source_builds: tuple[str, ...] = (), no_wheel: tuple[str, ...] = ()) -> AptPackages:
    """The Debian packages of each stage, from the table (by the declared dependency names) plus what the
    project ([tool.quayside]) and the command line add. `source_builds`: locked releases with wheels for other
    platforms only, which build from source here: the builder stage gets a C and C++ compiler; so do
    `no_wheel`, releases with wheels for other Pythons but not the image's."""
    names = sorted({canonicalize_name(d) for d in dependencies} & set(TABLE))
    table_build = _merge(*(TABLE[n].build for n in names if not TABLE[n].wheels), SOURCE_BUILD if source_builds or no_wheel else ())
    table_runtime = _merge(*(TABLE[n].runtime for n in names))
    build = _merge(table_build, project_build, given_build)
    runtime = _merge(table_runtime, project_runtime, given_runtime)
    compiled = source_builds + no_wheel
    sources = [s for s, used in ((", ".join(names), names), (", ".join(r.split(" ")[0] for r in compiled), compiled),
                                 ("[tool.quayside]", project_build or project_runtime),
                                 ("--apt-build/--apt-runtime", given_build or given_runtime)) if used]
    source = " + ".join(sources) or "dependencies"
    reasons = []
    for n in names:
        libs = TABLE[n]
        how = "builds from source (no Linux wheel on PyPI)" if not libs.wheels else "ships wheels"
        alternative = f"; {libs.instead} needs none" if libs.instead and not libs.wheels else ""
        reasons.append(f"{n} {how}, loads {', '.join(libs.runtime) or 'nothing'} at run time{alternative}")
    if source_builds:
        shown = ", ".join(source_builds[:3]) + (f" and {len(source_builds) - 3} more" if len(source_builds) > 3 else "")
        reasons.append(f"{shown} ships wheels for other platforms only (the lock lists them): it builds from source, "
                       "with a C/C++ compiler and make in the builder stage")
    if no_wheel:
        shown = ", ".join(no_wheel[:3]) + (f" and {len(no_wheel) - 3} more" if len(no_wheel) > 3 else "")
        reasons.append(f"{shown} has no Linux wheel for this Python: it builds from source, with a C/C++ compiler and "
                       "make in the builder stage")
    if project_build or project_runtime:
        reasons.append("[tool.quayside] apt-build/apt-runtime")
    if given_build or given_runtime:
        reasons.append("given on the command line")
    reason = "; ".join(reasons) or "no dependency in quayside's table of system libraries"
    return AptPackages(Decided(build, source, reason), Decided(runtime, source, reason))
