"""Fixtures of the content tests: a content store under tmp_path and the fixture website."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from content.store import ContentStore


def _load_fixture_module():
    """tests/content is no package (its name would shadow `content`); load the helper by path."""
    name = "content_fixture_site"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(name + ".py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fixture_site = _load_fixture_module()


@pytest.fixture
def content_store(tmp_path):
    store = ContentStore(tmp_path / "content.db")
    yield store
    store.close()


@pytest.fixture
def county_site():
    site = fixture_site.build_county_site()
    yield site
    site.close()
