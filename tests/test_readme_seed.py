"""Every Python block of the 0.1.3 README runs verbatim, and what it defines really caches.

Each block is a standalone example (several reuse the tag "expensive_calculation" for different
functions), so each runs in its own namespace, working directory and tag registry, with stand-ins
for the names the README leaves to the reader (`fetch_expensive_data`, `ClientObject`).
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest

from miniperscache import FileStorage, SqliteStorage

# The seed README in shared/ (beside the repository, as on developer machines and in CI), else the
# copy checked in next to the tests.
SEEDS = [
    Path(__file__).resolve().parents[2] / "shared" / "seed" / "miniperscache-README.md",
    Path("/work/shared/seed/miniperscache-README.md"),
]
COPY = Path(__file__).parent / "data" / "seed-README.md"
README = next((p for p in SEEDS if p.exists()), COPY)
TEXT = README.read_text(encoding="utf-8")
# (first line number, code) of every ```python block
BLOCKS = [
    (TEXT.count("\n", 0, m.start(1)), m.group(1))
    for m in re.finditer(r"```python\n(.*?)```", TEXT, re.DOTALL)
]
# One seed block elides arguments with a line of `...` inside a call, which is not valid Python
# (`create(\n ...\n prompt=prompt\n)`). Only such lines are dropped; a `...` body stays.
ELIDED_ARGUMENTS = re.compile(r"(?<=[(,]\n)[ \t]*\.\.\.[ \t]*\n")


def runnable(code: str) -> str:
    """The block as written, or with elided-argument lines dropped if it doesn't compile."""
    try:
        compile(code, "<block>", "exec")
    except SyntaxError:
        return ELIDED_ARGUMENTS.sub("", code)
    return code


class StandIns:
    """The names README blocks use without defining, counting what they are asked."""

    def __init__(self) -> None:
        self.fetched: list[tuple[int, int]] = []
        self.prompts: list[str] = []

    async def fetch_expensive_data(self, x: int, y: int) -> float:
        self.fetched.append((x, y))
        return float(x * y)

    def client_class(self) -> type:
        stand_ins = self

        class Messages:
            def __init__(self, model: str) -> None:
                self.model = model

            async def create(self, *args: Any, prompt: str) -> SimpleNamespace:
                stand_ins.prompts.append(prompt)
                return SimpleNamespace(content=f"{self.model}: {prompt}")

        class ClientObject:
            def __init__(self, model: str = "model-1") -> None:
                self.model = model
                self.messages = Messages(model)

        return ClientObject

    def namespace(self) -> dict[str, Any]:
        return {
            "__name__": "readme_example",
            "fetch_expensive_data": self.fetch_expensive_data,
            "ClientObject": self.client_class(),
        }


async def check_sync(ns: dict[str, Any], stand_ins: StandIns) -> None:
    f = ns["expensive_calculation"]
    assert f(2, 3) == 6
    assert f(2, 3) == 6
    assert SqliteStorage().get("expensive_calculation", f.cache_key(2, 3)) is not None


async def check_async(ns: dict[str, Any], stand_ins: StandIns) -> None:
    f = ns["expensive_calculation"]
    assert await f(2, 3) == 6.0
    assert await f(2, 3) == 6.0
    assert await f(x=2, y=3) == 6.0
    assert stand_ins.fetched == [(2, 3)]


async def check_custom(ns: dict[str, Any], stand_ins: StandIns) -> None:
    f = ns["expensive_calculation"]
    assert f(2, 3) is None
    assert FileStorage().get("expensive_calculation", f.cache_key(2, 3)) == b"null"


async def check_skip_args(ns: dict[str, Any], stand_ins: StandIns) -> None:
    f, client = ns["model_call"], ns["ClientObject"]
    assert await f(client(), "hello") == "model-1: hello"
    assert await f(client("model-2"), "hello") == "model-1: hello"  # client is skipped
    assert await f(client(), "bye") == "model-1: bye"
    assert stand_ins.prompts == ["hello", "bye"]


async def check_own_hasher(ns: dict[str, Any], stand_ins: StandIns) -> None:
    f, client = ns["model_call"], ns["ClientObject"]
    assert await f(client(), "hello") == "model-1: hello"
    assert await f(client(), "hello") == "model-1: hello"
    assert await f(client("model-2"), "hello") == "model-2: hello"  # the model is in the key
    assert stand_ins.prompts == ["hello", "hello"]


async def check_deletion(ns: dict[str, Any], stand_ins: StandIns) -> None:
    assert SqliteStorage().get("expensive_calculation", bytes(32)) is None


def prepare_deletion() -> None:
    SqliteStorage().set("expensive_calculation", bytes(32), b"stale")


Check = Callable[[dict[str, Any], StandIns], Any]
# (text that identifies the block, what must hold after it ran)
CHECKS: list[tuple[str, Check]] = [
    ('@cached(tag="expensive_calculation")\ndef', check_sync),
    ("await fetch_expensive_data(x, y)", check_async),
    ("value_serializer=JsonSerializer()", check_custom),
    ('DefaultArgHasher(skip_args=["client"])', check_skip_args),
    ("arg_hasher=model_call_arg_hasher", check_own_hasher),
    ('SqliteStorage().delete_tag("expensive_calculation")', check_deletion),
]


def test_the_checked_in_copy_is_verbatim() -> None:
    if README == COPY:
        pytest.skip("the seed README in shared/ is not here")
    assert COPY.read_bytes() == README.read_bytes()


def test_every_block_has_a_check() -> None:
    assert len(BLOCKS) == len(CHECKS)
    for _, block in BLOCKS:
        assert sum(marker in block for marker, _ in CHECKS) == 1, block


def test_only_elided_arguments_are_changed() -> None:
    changed = [block for _, block in BLOCKS if runnable(block) != block]
    assert len(changed) <= 1
    for block in changed:
        assert runnable(block).replace("create(\n", "create(\n        ...\n") == block


@pytest.mark.parametrize("line,block", BLOCKS, ids=[f"line{line}" for line, _ in BLOCKS])
async def test_readme_block(line: int, block: str) -> None:
    stand_ins = StandIns()
    ns = stand_ins.namespace()
    (check,) = [check for marker, check in CHECKS if marker in block]
    if check is check_deletion:
        prepare_deletion()
    exec(compile("\n" * line + runnable(block), str(README), "exec"), ns)
    await check(ns, stand_ins)
