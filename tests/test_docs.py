"""The Python blocks of the project README run, and what they define really caches."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from miniperscache import SqliteStorage

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index: int) -> None:
    namespace: dict[str, object] = {"__name__": f"readme_block_{index}"}
    exec(compile(BLOCKS[index], f"README.md python block {index}", "exec"), namespace)


def test_readme_quickstart_caches_in_the_default_store() -> None:
    namespace: dict[str, object] = {"__name__": "readme_quickstart"}
    exec(compile(BLOCKS[0], "README.md quickstart", "exec"), namespace)
    tags = {tag: entries for tag, entries, _ in SqliteStorage().tags()}
    assert tags.get("expensive_calculation") == 1


def test_readme_customized_functions_cache() -> None:
    namespace: dict[str, object] = {"__name__": "readme_custom"}
    exec(compile(BLOCKS[1], "README.md customization", "exec"), namespace)
    square = namespace["square"]
    model_call = namespace["model_call"]
    assert square(4) == 16  # type: ignore[operator]
    assert square(4) == 16  # type: ignore[operator]
    assert asyncio.run(model_call(object(), "hi")) == "HI"  # type: ignore[operator]
    # The client is skipped: another client object gives the same (cached) answer.
    assert asyncio.run(model_call(object(), "hi")) == "HI"  # type: ignore[operator]
    tags = {tag: entries for tag, entries, _ in SqliteStorage().tags()}
    assert tags.get("model_call") == 1
