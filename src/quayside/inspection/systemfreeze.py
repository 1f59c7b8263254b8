"""A requirements.txt that is `pip freeze` of a Debian or Ubuntu system Python, and what of it the image installs.

hectoresen/FastAPI_example's requirements.txt pins 107 distributions: the app's (fastapi, uvicorn, psutil,
python-dotenv) beside the system's own (command-not-found==0.3, python-apt==2.4.0+ubuntu3, dbus-python,
PyGObject, systemd-python, awscli…), which PyPI never had or which build only against the system's C libraries.
Installed as it is, no image can be built. The freeze still says which versions the app ran with, so init writes
requirements.imports.txt: the distributions the code imports, the server and the packages libraries load without
an import of the app's (a form parser, a template engine, database drivers), each at the version the freeze pins,
with the freeze itself as constraints for what they pull in. The system's packages stay out; the decision names
them and what the code imports that the freeze does not pin.

Import names are matched to distribution names here (a table of the usual mismatches) rather than through a
library: pipreqs' mapping ships with a CLI and its dependencies, and only the freeze's own names can match.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

FILE = "requirements.imports.txt"

# distributions a Debian or Ubuntu system Python holds that PyPI has never had
SYSTEM_ONLY = frozenset({"command-not-found", "python-apt", "unattended-upgrades", "ubuntu-advantage-tools",
                         "ubuntu-pro-client", "distro-info", "ufw", "cloud-init", "ssh-import-id", "language-selector",
                         "software-properties", "ubuntu-drivers-common", "xkit", "usb-creator", "hplip"})
_DISTRO_VERSION = re.compile(r"[+~](?:ubuntu|deb|dfsg|build)\d", re.IGNORECASE)
# lines pip refuses in a constraints file: editables, direct references, extras
_NOT_A_CONSTRAINT = re.compile(r"^\s*(?:-e\b|--editable\b|[^#\s]*\s@\s|[A-Za-z0-9._-]+\[)", re.MULTILINE)
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)", re.MULTILINE)

# import name -> distribution name, where they differ and the distribution is not `python-<import>`
IMPORT_TO_DISTRIBUTION = {
    "yaml": "pyyaml", "jwt": "pyjwt", "PIL": "pillow", "bs4": "beautifulsoup4", "sklearn": "scikit-learn",
    "cv2": "opencv-python", "jose": "python-jose", "multipart": "python-multipart", "dateutil": "python-dateutil",
    "dotenv": "python-dotenv", "magic": "python-magic", "google": "protobuf", "Crypto": "pycryptodome",
    "OpenSSL": "pyopenssl", "attr": "attrs", "serial": "pyserial", "MySQLdb": "mysqlclient", "psycopg2": "psycopg2",
    "pydantic_settings": "pydantic-settings", "socketio": "python-socketio", "telegram": "python-telegram-bot",
    "dns": "dnspython", "email_validator": "email-validator", "git": "gitpython", "zmq": "pyzmq", "usb": "pyusb",
    "win32api": "pywin32", "pkg_resources": "setuptools", "ldap": "python-ldap", "slugify": "python-slugify",
    "docx": "python-docx", "pptx": "python-pptx", "fitz": "pymupdf", "kafka": "kafka-python", "nacl": "pynacl",
}

# what libraries load without the app importing it: installed when the freeze pins it
LOADED_BY_LIBRARIES = frozenset({
    "uvicorn", "gunicorn", "hypercorn", "uvloop", "httptools", "websockets", "python-multipart", "jinja2",
    "email-validator", "itsdangerous", "orjson", "ujson", "psycopg2", "psycopg2-binary", "psycopg", "psycopg-binary",
    "asyncpg", "pymysql", "aiomysql", "asyncmy", "mysqlclient", "aiosqlite", "bcrypt", "argon2-cffi",
})


@dataclass(frozen=True)
class SystemFreeze:
    system_pins: tuple[str, ...]  # the distribution's own packages it pins, `name==version`
    chosen: tuple[str, ...]  # the requirement lines, as the file writes them, that the image installs
    not_pinned: tuple[str, ...]  # modules the code imports that the freeze pins no distribution for
    constrains: bool  # every line of the freeze is one pip takes as a constraint (no -e, URL or extras)

    @property
    def requirements(self) -> str:
        brings = ("the freeze constrains what they bring in" if self.constrains else
                  "what they bring in resolves anew (the freeze has lines pip takes as no constraint)")
        header = ("# Written by quayside init: requirements.txt is a pip freeze of a system Python, which pins packages\n"
                  f"# PyPI does not have: {', '.join(self.system_pins[:3])}.\n"
                  "# These are what the code imports, its server and what libraries load for it, at the versions\n"
                  f"# the freeze pins; {brings}.\n"
                  "# Freeze a virtualenv that holds the app's dependencies alone, and init again, to install that.\n")
        return header + ("-c requirements.txt\n" if self.constrains else "") + "".join(f"{line}\n" for line in self.chosen)


def system_pins(text: str) -> list[str]:
    """The `name==version` pins of a requirements text that only a Debian/Ubuntu system Python has."""
    return [f"{name}=={version}" for name, version in _PIN.findall(text)
            if canonicalize_name(name) in SYSTEM_ONLY or _DISTRO_VERSION.search(version)]


def _distribution(module: str, declared: dict[str, str]) -> str | None:
    for candidate in (IMPORT_TO_DISTRIBUTION.get(module), module, f"python-{module}", f"py{module}", f"{module}-python"):
        if candidate is not None and canonicalize_name(candidate) in declared:
            return canonicalize_name(candidate)
    return None


def _requirement_lines(text: str) -> dict[str, str]:
    """Each requirement line by its distribution's canonical name, as written (pins, ranges, extras, markers)."""
    lines: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            lines.setdefault(canonicalize_name(Requirement(line).name), line)
        except InvalidRequirement:
            continue
    return lines


def read(text: str, imports: frozenset[str], own: frozenset[str]) -> SystemFreeze | None:
    """The plan for a freeze of a system Python (None for any other requirements text). `imports` are the top-level
    modules the code imports; `own` the project's own top-level modules and packages."""
    system = system_pins(text)
    if not system:
        return None
    declared = _requirement_lines(text)
    third_party = sorted(m for m in imports if m not in sys.stdlib_module_names and m not in own and m != "__future__")
    chosen: dict[str, str] = {}
    missing: list[str] = []
    for module in third_party:
        name = _distribution(module, declared)
        if name is None:
            missing.append(module)
        elif name not in SYSTEM_ONLY:
            chosen[name] = declared[name]
    for name in sorted(LOADED_BY_LIBRARIES & declared.keys()):
        chosen.setdefault(name, declared[name])
    constrains = not _NOT_A_CONSTRAINT.search(text)
    return SystemFreeze(tuple(system), tuple(chosen[name] for name in sorted(chosen)), tuple(missing), constrains)


def own_modules(root: Path) -> frozenset[str]:
    """Top-level names the project's own code provides: what an import of them does not need a distribution for."""
    return frozenset({p.stem for p in root.glob("*.py")} | {p.name for p in root.iterdir() if p.is_dir()})
