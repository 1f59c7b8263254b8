"""One module per rule; importing this package registers them all (as pyupgrade's plugins do)."""

import importlib
import os

# os.listdir, not pkgutil.iter_modules: pkgutil costs a millisecond of check's start; sorted, as pkgutil lists
for _file in sorted(os.listdir(__path__[0])):
    if _file.startswith("qs") and _file.endswith(".py"):
        importlib.import_module(f"{__name__}.{_file[:-3]}")
