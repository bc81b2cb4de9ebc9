"""A module bound now and loaded at its first attribute read (importlib.util.LazyLoader).

For a large library a module reads only in its functions (numpy in the log's storage): the
app's window paints before the library loads. ``load_now`` loads the pending ones at a chosen
moment, on one thread: the lazy loader of this Python is not safe for a first use from two
threads at once.
"""

from __future__ import annotations

import importlib.util
import sys
import types

_made: list[str] = []


def lazy_module(name: str) -> types.ModuleType:
    """``name`` as a module object that loads on first use (the loaded one, when it already is)."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _made.append(name)
    return module


def pending() -> list[str]:
    """The lazy modules not loaded yet (a loaded one is a plain module again)."""
    return [name for name in _made if type(sys.modules.get(name)) not in (types.ModuleType, type(None))]


def load_now() -> None:
    """Load every pending lazy module, here and now."""
    for name in pending():
        _ = sys.modules[name].__dict__  # any attribute read runs the module
