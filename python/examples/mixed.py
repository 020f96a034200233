"""Java and Python on one stream: the Java producer of `quiver demo realtime` with Python consumers, or a Python
producer with the demo's Java consumers. Both sides use Quiver streams (the format is shared), and both compute the
demo's row checksum: CRC-32C over (row int64, x float64, y float64), big-endian, row after row.

    python mixed.py java-producer  [--rows N] [--consumers N]   # Java writes, Python consumers train SGDRegressor
    python mixed.py python-producer [--rows N] [--consumers N]  # Python writes, Java consumers (RealtimeConsumer)

Exits non-zero when a check fails.
"""

import argparse
import json
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa

import quiver
from quiver import _launcher, _wire, streams
import quiver.plasma as plasma

STREAM = "realtime-demo"
ROW = np.dtype([("row", ">i8"), ("x", ">f8"), ("y", ">f8")])


def row_checksum(crc, row, x, y):
    rec = np.empty(len(row), dtype=ROW)
    rec["row"], rec["x"], rec["y"] = row, x, y
    return _wire.crc32c(rec.tobytes(), crc)


def python_consumer(socket):
    from sklearn.linear_model import SGDRegressor
    client = quiver.connect(socket)
    reader = client.stream_reader(STREAM, start="earliest")
    print("READY", flush=True)
    model, crc, rows, batches = SGDRegressor(random_state=0), 0, 0, 0
    for ev in reader:
        if isinstance(ev, streams.Lost):
            raise SystemExit(f"lost batches {ev.from_seq}..{ev.to_seq - 1}")
        t = ev.table
        row, x, y = (t.column(c).to_numpy() for c in ("row", "x", "y"))
        model.partial_fit(x.reshape(-1, 1), y)
        crc = row_checksum(crc, row, x, y)
        rows += len(row)
        batches += 1
    print(json.dumps({"rows": rows, "batches": batches, "checksum": f"{crc:08x}",
                      "intercept": float(model.intercept_[0]), "coef": float(model.coef_[0])}), flush=True)


def python_producer(socket, rows, seed):
    client = quiver.connect(socket)
    rng = np.random.default_rng(seed)
    crc, batches, start = 0, 0, 0
    with client.stream_writer(STREAM) as w:
        while start < rows:
            n = min(rows - start, int(rng.integers(1, 41)))
            row = np.arange(start, start + n, dtype=np.int64)
            x = rng.uniform(0, 10, n)
            y = 4 + 3 * x + rng.normal(0, 1, n)
            w.append(pa.record_batch({"row": row, "x": x, "y": y,
                                      "produced_ns": np.full(n, time.monotonic_ns(), dtype=np.int64)}))
            crc = row_checksum(crc, row, x, y)
            start += n
            batches += 1
        w.end()
    return batches, f"{crc:08x}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("direction", choices=["java-producer", "python-producer"])
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--consumers", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    ok = True
    with plasma.start_plasma_store(256 << 20) as (socket, _):
        if a.direction == "java-producer":
            me = [sys.executable, __file__, "--role-consume", socket]
            consumers = [subprocess.Popen(me, stdout=subprocess.PIPE, text=True) for _ in range(a.consumers)]
            for c in consumers:
                assert c.stdout.readline().strip() == "READY"
            producer = _launcher.java_main_command("dev.quiver.examples.realtime.RealtimeProducer", jar="examples")
            out = subprocess.run(producer + [socket, STREAM, str(a.rows), "40", str(a.seed)],
                                 capture_output=True, text=True, check=True).stdout
            _, made_rows, made_batches, made_crc, _ = next(l for l in out.splitlines() if l.startswith("PRODUCED")).split()
            print(f"Java producer: {made_rows} rows in {made_batches} batches, checksum {made_crc}")
            for i, c in enumerate(consumers):
                r = json.loads(c.communicate()[0])
                good = (str(r["rows"]), str(r["batches"]), r["checksum"]) == (made_rows, made_batches, made_crc)
                close = abs(r["intercept"] - 4) < 0.5 and abs(r["coef"] - 3) < 0.5
                ok &= good and close and c.returncode == 0
                print(f"Python consumer {i}: {r['rows']} rows, checksum {'equal' if good else 'DIFFERENT'}, "
                      f"y = {r['intercept']:.2f} + {r['coef']:.2f}x{'' if close else ' NOT CLOSE'}")
        else:
            cmd = (_launcher.java_main_command("dev.quiver.examples.realtime.RealtimeConsumer", jar="examples")
                   + [socket, STREAM, str(a.rows)])
            consumers = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(a.consumers)]
            for c in consumers:
                assert c.stdout.readline().strip() == "READY"
            batches, crc = python_producer(socket, a.rows, a.seed)
            print(f"Python producer: {a.rows} rows in {batches} batches, checksum {crc}")
            for i, c in enumerate(consumers):
                out = c.communicate()[0]
                res = next(l for l in out.splitlines() if l.startswith("RESULT")).split()
                good = (res[1], res[2], res[3], res[4]) == (str(a.rows), str(batches), "0", crc)
                close = abs(float(res[5]) - 4) < 0.5 and abs(float(res[6]) - 3) < 0.5
                ok &= good and close and c.returncode == 0
                print(f"Java consumer {i}: {res[1]} rows, checksum {'equal' if good else 'DIFFERENT'}, "
                      f"y = {float(res[5]):.2f} + {float(res[6]):.2f}x{'' if close else ' NOT CLOSE'}")
    print("mixed: ok" if ok else "mixed: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--role-consume":
        python_consumer(sys.argv[2])
    else:
        sys.exit(main())
