"""Shared fixtures: every test runs in its own working directory and cache folder, with a fresh
tag registry and default storage; `storage` runs a test once per built-in blocking storage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from _helpers import Calls
from miniperscache import AsyncFileStorage, FileStorage, SqliteStorage, _backends, _setup


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp cwd, `$MINIPERSCACHE_DIR` in a temp dir, and an empty tag registry."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("MINIPERSCACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(_setup, "_TAG_REGISTRY", {})
    _backends.reset_default_storage()
    yield tmp_path / "cache"
    _backends.reset_default_storage()


@pytest.fixture(params=["sqlite", "files"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> SqliteStorage | FileStorage:
    """Each built-in blocking storage, for storage-agnostic behaviour."""
    if request.param == "sqlite":
        return SqliteStorage(tmp_path / "store" / "cache.db")
    return FileStorage(tmp_path / "store" / "files")


@pytest.fixture(params=["sqlite", "files", "async-files"])
def any_storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> SqliteStorage | FileStorage | AsyncFileStorage:
    """Each built-in storage an async function can use."""
    if request.param == "sqlite":
        return SqliteStorage(tmp_path / "store" / "cache.db")
    if request.param == "files":
        return FileStorage(tmp_path / "store" / "files")
    return AsyncFileStorage(tmp_path / "store" / "files")


@pytest.fixture
def calls() -> Calls:
    return Calls()
