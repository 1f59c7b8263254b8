"""One module per rule; importing this package registers them all (as pyupgrade's plugins do)."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    if _module.name.startswith("qs"):
        importlib.import_module(f"{__name__}.{_module.name}")
