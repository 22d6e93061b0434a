"""A result computed in one process is a hit in the next: the cache is persistent."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = """
import asyncio, sys
from miniperscache import FileStorage, SqliteStorage, cached, cached_async

storage = {{"sqlite": None, "files": FileStorage()}}["{storage}"]

@cached(tag="slow_square", storage=storage)
def slow_square(x: int) -> int:
    with open("runs.txt", "a") as f:
        f.write(f"sync {{x}}\\n")
    return x * x

@cached_async(tag="slow_cube", storage=storage)
async def slow_cube(x: int) -> int:
    with open("runs.txt", "a") as f:
        f.write(f"async {{x}}\\n")
    return x * x * x

print(slow_square(7), asyncio.run(slow_cube(3)), slow_square(8))
"""


@pytest.mark.parametrize("storage", ["sqlite", "files"])
def test_second_process_hits(tmp_path: Path, isolated: Path, storage: str) -> None:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(SCRIPT.format(storage=storage)))
    env = {**os.environ, "MINIPERSCACHE_DIR": str(isolated)}
    outputs = [
        subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for _ in range(2)
    ]
    assert outputs == ["49 27 64\n"] * 2
    assert (tmp_path / "runs.txt").read_text().splitlines() == ["sync 7", "async 3", "sync 8"]
