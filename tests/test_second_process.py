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


def test_a_called_function_from_main_can_be_copied_by_value(tmp_path: Path) -> None:
    """dill (like cloudpickle, joblib) copies `__main__` functions by value, closure and all; after
    a first call that closure holds an open store, which must pickle too."""
    script = tmp_path / "by_value.py"
    script.write_text(
        textwrap.dedent(
            """
            import dill
            from miniperscache import FileStorage, cached

            @cached(tag="main_fn")
            def main_fn(x):
                return x + 1

            @cached(tag="main_files", storage=FileStorage("files"))
            def main_files(x):
                return x * 2

            assert main_fn(1) == 2 and main_files(2) == 4
            assert dill.loads(dill.dumps(main_fn))(1) == 2
            assert dill.loads(dill.dumps(main_files))(2) == 4
            print("ok")
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
