"""quayside: containerise FastAPI projects the way the FastAPI Docker guide says, and prove it live."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # read on first use: importlib.metadata costs ~50 ms, and `quayside check` should start fast
    if name == "__version__":
        from importlib.metadata import version

        return version("quayside")  # one source: the package metadata (pyproject.toml)
    raise AttributeError(name)
