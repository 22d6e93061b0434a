"""Cache-hit cost of miniperscache beside the persistent caches people compare it with.

Run: `.venv/bin/python benchmarks/bench_hit.py` (after `make python-install`). Peers are measured
when installed (`pip install diskcache joblib cachier`). Each cache is warmed with one call, then
the same call is timed; results are per call, best of several rounds, and should be compared as
ratios within one run: the machines are shared and noisy. Not part of the test suite.
"""

from __future__ import annotations

import sys
import tempfile
import timeit
from pathlib import Path
from typing import Any, Callable


def best_per_call(fn: Callable[[], Any], number: int = 20_000, repeat: int = 5) -> float:
    fn()  # warm: the first call computes and stores
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def candidates(tmp: Path) -> dict[str, Callable[[], Any]]:
    import miniperscache

    def work(x: int, y: str) -> list[int]:
        return [x] * len(y)

    out: dict[str, Callable[[], Any]] = {"plain function (no cache)": lambda: work(1, "ab")}
    sqlite = miniperscache.cached(
        tag="bench_sqlite", storage=miniperscache.SqliteStorage(tmp / "mpc.db")
    )(work)
    out["miniperscache SqliteStorage"] = lambda: sqlite(1, "ab")
    files = miniperscache.cached(
        tag="bench_files", storage=miniperscache.FileStorage(tmp / "mpc-files")
    )(work)
    out["miniperscache FileStorage"] = lambda: files(1, "ab")
    try:
        import diskcache

        dc = diskcache.Cache(str(tmp / "diskcache")).memoize()(work)
        out["diskcache memoize"] = lambda: dc(1, "ab")
    except ImportError:
        pass
    try:
        import joblib

        jl = joblib.Memory(str(tmp / "joblib"), verbose=0).cache(work)
        out["joblib.Memory"] = lambda: jl(1, "ab")
    except ImportError:
        pass
    try:
        import cachier

        ch = cachier.cachier(cache_dir=str(tmp / "cachier"))(work)
        out["cachier (pickle)"] = lambda: ch(1, "ab")
    except ImportError:
        pass
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = {name: best_per_call(fn) for name, fn in candidates(Path(tmp)).items()}
    ours = results["miniperscache SqliteStorage"]
    print(f"Python {sys.version.split()[0]}; per-call time of a cache hit (best of 5 x 20k calls)")
    for name, seconds in sorted(results.items(), key=lambda kv: kv[1]):
        print(f"  {name:32} {seconds * 1e6:9.2f} µs   {seconds / ours:6.2f}x ours")


if __name__ == "__main__":
    main()
