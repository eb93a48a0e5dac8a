"""Web tests keep the store of marked-up copies in their own temporary cache directory, never the user's."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.mktemp("cache")
    # platformdirs' user cache directory on Linux; also what `selfscore serve` children inherit
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache
