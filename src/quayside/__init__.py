"""quayside: containerise FastAPI projects the way the FastAPI Docker guide says, and prove it live."""

from importlib.metadata import version

__version__ = version("quayside")  # one source: the package metadata (pyproject.toml)
