"""Python client figures for BENCHMARKS.md, each next to a baseline measured in the same run.

    python python/bench/bench.py [--reps N]        # starts its own store (1.4 GiB arena); prints Markdown rows

- small gets: get of a 1 KiB object + read of every byte + release (the reference goes when the buffer dies)
- 1 GiB get + sum: get, numpy sum of every int64 over the store's memory, release; against a numpy sum of the same
  words in this process's private memory (touched before). Warm: the pages of the arena were touched once before.
- table read: get_table of a 10 M-row table (int64 + float64, zero-copy) + sum of one column; against the same sum
  over the same table in private memory.
Exits non-zero if the 1 GiB get + sum takes more than 1.2 times the private-memory sum.
"""

import argparse
import gc
import statistics
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import quiver
from quiver._launcher import start_store

GIB = 1 << 30


def median_time(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), max(times)


def fmt(s):
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.1f} ms"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=7)
    a = p.parse_args()
    rows = []
    with start_store(GIB + (400 << 20)) as (socket, _):
        c = quiver.connect(socket)

        small = quiver.ObjectId.for_name("bench/small")
        c.create_and_seal(small, np.arange(1024, dtype=np.uint8))
        n = 2000

        def small_gets():
            for _ in range(n):
                b = c.get(small)
                np.frombuffer(b.data, dtype=np.uint8).sum()
                del b

        med, lo, hi = median_time(small_gets, a.reps)
        rows.append(("get 1 KiB + read + release, 1 client", f"{fmt(med / n)} ({n / med:,.0f} /s)", ""))

        big = quiver.ObjectId.for_name("bench/1g")
        words = GIB // 8
        with c.create(big, GIB) as o:
            np.frombuffer(o.data, dtype=np.int64)[:] = 1
        private = np.ones(words, dtype=np.int64)

        def quiver_sum():
            b = c.get(big)
            assert np.frombuffer(b.data, dtype=np.int64).sum() == words
            del b

        def private_sum():
            assert private.sum() == words

        # alternate, so that both see the same machine state
        q, pr = [], []
        for _ in range(a.reps):
            q.append(median_time(quiver_sum, 1)[0])
            pr.append(median_time(private_sum, 1)[0])
        qm, pm = statistics.median(q), statistics.median(pr)
        ratio = qm / pm
        rows.append(("get 1 GiB + numpy sum of every int64", fmt(qm), f"private-memory numpy sum {fmt(pm)}; "
                     f"ratio {ratio:.2f}×"))
        del private
        gc.collect()

        table = pa.table({"x": np.arange(10_000_000, dtype=np.int64), "y": np.random.default_rng(1).random(10_000_000)})
        tid = quiver.ObjectId.for_name("bench/table")
        c.put_table(tid, table)
        expected = pc.sum(table.column("x")).as_py()

        def table_read():
            t = c.get_table(tid)
            assert pc.sum(t.column("x")).as_py() == expected

        def table_private():
            assert pc.sum(table.column("x")).as_py() == expected

        tm = median_time(table_read, a.reps)[0]
        tp = median_time(table_private, a.reps)[0]
        mib = table.nbytes / (1 << 20)
        rows.append((f"get_table of a 10 M-row table ({mib:.0f} MiB, zero-copy) + sum of a column", fmt(tm),
                     f"the same sum over the table in private memory {fmt(tp)}"))
        c.close()

    print("| figure (median) | Python client | baseline, same run |")
    print("|---|---:|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    if ratio > 1.2:
        print(f"FAIL: the 1 GiB get + sum took {ratio:.2f}× the private-memory sum (limit 1.2×)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
