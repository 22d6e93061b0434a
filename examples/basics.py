"""The main example in Python: a slow function, cached on the embedded SQLite default.

Run it twice (`make example` does): the first call of the first run takes a second; every later
call, in this run or the next, is read back from `.miniperscache/miniperscache.db`.
"""

import time

from miniperscache import cached


@cached(tag="expensive_calculation_py")
def expensive_calculation(x: int, y: int) -> float:
    time.sleep(1)
    return float(x * y)


for call in ("first", "second"):
    start = time.perf_counter()
    result = expensive_calculation(6, 7)
    elapsed = time.perf_counter() - start
    print(f"{call} call: expensive_calculation(6, 7) = {result} in {elapsed:.6f}s")
