"""Files that hold secrets and must never reach an image: one list for the .dockerignore quayside writes and for
the check rule that finds such files in a build context (QS017).

Patterns use .dockerignore syntax (`**/` reaches every depth). They are narrow on purpose: `id_*` would also
keep out an `id_utils.py`, so the SSH key names are spelled out.
"""

from __future__ import annotations

# (pattern, what it is): the reason shows in check's message
SECRET_PATTERNS: tuple[tuple[str, str], ...] = (
    ("**/.env", "an environment file"),
    ("**/.env.*", "an environment file"),
    ("**/.envrc", "a direnv file"),
    ("**/.npmrc", "an npm credentials file"),
    ("**/.pypirc", "a PyPI credentials file"),
    ("**/.netrc", "a netrc credentials file"),
    ("**/.git-credentials", "git credentials"),
    ("**/.ssh", "an SSH directory"),
    ("**/.aws", "AWS credentials"),
    ("**/.docker/config.json", "registry credentials"),
    ("**/credentials", "a credentials file"),
    ("**/credentials.json", "a credentials file"),
    ("**/id_rsa*", "an SSH key"),
    ("**/id_dsa*", "an SSH key"),
    ("**/id_ecdsa*", "an SSH key"),
    ("**/id_ed25519*", "an SSH key"),
    ("**/*.pem", "a key or certificate"),
    ("**/*.key", "a private key"),
    ("**/*.p12", "a key store"),
    ("**/*.pfx", "a key store"),
    ("**/*.jks", "a key store"),
    ("**/*.kdbx", "a password database"),
    ("**/*.db", "a local database"),
    ("**/*.sqlite", "a local database"),
    ("**/*.sqlite3", "a local database"),
    ("**/*.quayside-tmp", "a half-written file of quayside's own"),
)
# What the same .dockerignore lets back in: the documented example settings hold no secret.
ALLOWED: tuple[str, ...] = ("!**/.env.example",)
