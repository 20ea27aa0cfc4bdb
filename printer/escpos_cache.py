"""python-escpos's printer database, kept between starts.

On import, python-escpos reads its database of printer profiles (capabilities.json, ~100 KB)
with PyYAML's pure-Python parser — about a second on a kiosk's CPU — unless a pickle of it
lies in ESCPOS_CAPABILITIES_PICKLE_DIR. That directory defaults to a new temporary one per
process, so the pickle was never found again (and a directory was left behind each start).
Here the directory is a lasting per-user one, and the pickle is made with the json module
(the file is JSON) and put in place atomically, so two processes starting at once never
read a half-written pickle. Runs before anything imports escpos (printer/__init__.py)."""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import platform
import tempfile
from pathlib import Path

PICKLE_DIR_VARIABLE = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govhall" / "escpos"


def _capabilities_file() -> Path | None:
    if os.environ.get("ESCPOS_CAPABILITIES_FILE"):
        return Path(os.environ["ESCPOS_CAPABILITIES_FILE"])
    spec = importlib.util.find_spec("escpos")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "capabilities.json"


def prepare_capabilities_cache():
    """Point python-escpos at a lasting pickle directory and fill it if needed. Never fails:
    at worst python-escpos parses its file as it always did."""
    try:
        directory = Path(os.environ.get(PICKLE_DIR_VARIABLE) or _cache_dir())
        directory.mkdir(parents=True, exist_ok=True)
        os.environ[PICKLE_DIR_VARIABLE] = str(directory)
        source = _capabilities_file()
        pickled = directory / f"{platform.python_version()}.capabilities.pickle"
        if source is None or not source.is_file():
            return
        if pickled.is_file() and pickled.stat().st_mtime >= source.stat().st_mtime:
            return
        capabilities = json.loads(source.read_text(encoding="utf-8"))
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(capabilities, out, protocol=2)
        os.replace(temporary, pickled)
    except (OSError, ValueError):
        pass  # an unwritable home or an odd file: python-escpos falls back to parsing
