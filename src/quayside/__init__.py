"""quayside: containerise FastAPI projects the way the FastAPI Docker guide says, and prove it live."""

__version__ = "0.1.0"
