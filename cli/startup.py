"""What the `forloeb` process does once, before a command runs, to start lighter."""

from __future__ import annotations

import os
import sys
import types

PLUGINS_ENV = "PYDANTIC_DISABLE_PLUGINS"
_DISABLED = ("__all__", "1", "true")


def skip_pydantic_plugin_scan() -> None:
    """Tell pydantic there are no plugins, unless PYDANTIC_DISABLE_PLUGINS says otherwise.

    forloeb uses no pydantic plugins, but pydantic looks for them when it builds
    its first validator: it imports importlib.metadata (with email, zipfile, csv
    and socket) and reads every installed package's entry points, a sizeable
    share of a command's start. Setting PYDANTIC_DISABLE_PLUGINS to anything but
    "__all__", "1" or "true" (a list of plugin names, or empty) keeps pydantic's
    own search.
    """
    if os.environ.setdefault(PLUGINS_ENV, "__all__") not in _DISABLED:
        return
    if "pydantic.plugin._loader" in sys.modules:
        return
    loader = types.ModuleType("pydantic.plugin._loader", "No pydantic plugins (forloeb).")
    loader.get_plugins = tuple  # type: ignore[attr-defined]
    sys.modules[loader.__name__] = loader
