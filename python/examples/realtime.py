"""The real-time example in Python: one producer process, three consumer processes, one Quiver store.

The producer breaks a data frame of y = 4 + 3x + noise into batches of 1..40 rows and writes each as an Arrow
record batch under consecutive 20-byte object ids. Each consumer waits for the next id with
`get_buffers(..., timeout_ms=1000)`, reads the batch zero-copy and trains scikit-learn's `SGDRegressor().partial_fit`
on it. At the end every consumer's checksum must equal the producer's, and the coefficients must come close to 4 and 3.

    python realtime.py [--rows N] [--consumers N] [--seed N]     # exits non-zero when a check fails
"""

import argparse
import json
import subprocess
import sys

import numpy as np
import pyarrow as pa

import quiver.plasma as plasma

FIRST_ID = int.from_bytes(b"quiver-realtime\0\0\0\0\0", "big")
END = b"end"


def object_id(i):
    return plasma.ObjectID((FIRST_ID + i).to_bytes(20, "big"))


def checksum(x, y):
    """Order-independent sum over rows of both columns at 1e-9 resolution (exact integers: equal or not)."""
    return int(np.round(x * 1e9).astype(np.int64).sum() + np.round(y * 1e9).astype(np.int64).sum())


def produce(socket, rows, seed):
    client = plasma.connect(socket)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, rows)
    y = 4 + 3 * x + rng.normal(0, 0.1, rows)
    i = start = 0
    while start < rows:
        n = int(rng.integers(1, 41))
        batch = pa.record_batch({"x": x[start:start + n], "y": y[start:start + n]})
        sink = pa.MockOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as w:
            w.write_batch(batch)
        buf = client.create(object_id(i), sink.size())
        with pa.ipc.new_stream(pa.FixedSizeBufferWriter(buf), batch.schema) as w:
            w.write_batch(batch)
        client.seal(object_id(i))
        start += n
        i += 1
    client.create_and_seal(object_id(i), b"", END)  # the end: an empty object with metadata "end"
    print(json.dumps({"role": "producer", "rows": rows, "batches": i, "checksum": checksum(x, y)}), flush=True)


def consume(socket, index):
    from sklearn.linear_model import SGDRegressor
    client = plasma.connect(socket)
    model = SGDRegressor(random_state=index)
    rows = batches = total = 0
    i = 0
    while True:
        [(meta, buf)] = client.get_buffers([object_id(i)], timeout_ms=1000, with_meta=True)
        if buf is None:
            continue  # not sealed within a second: the producer is slower, wait again
        if meta == END:
            break
        batch = pa.ipc.open_stream(buf).read_next_batch()
        x = batch.column("x").to_numpy()
        y = batch.column("y").to_numpy()
        model.partial_fit(x.reshape(-1, 1), y)
        total += checksum(x, y)
        rows += len(x)
        batches += 1
        i += 1
    print(json.dumps({"role": "consumer", "index": index, "rows": rows, "batches": batches, "checksum": total,
                      "intercept": float(model.intercept_[0]), "coef": float(model.coef_[0])}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--consumers", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--socket", help="a running store's socket (default: start one here)")
    a = p.parse_args()
    store = plasma.start_plasma_store(256 << 20) if a.socket is None else None
    socket = a.socket or store.__enter__()[0]
    try:
        me = [sys.executable, __file__]
        consumers = [subprocess.Popen(me + ["--role-consume", socket, str(k)], stdout=subprocess.PIPE, text=True)
                     for k in range(a.consumers)]
        producer = subprocess.run(me + ["--role-produce", socket, str(a.rows), str(a.seed)], stdout=subprocess.PIPE,
                                  text=True, check=True)
        made = json.loads(producer.stdout)
        results = [json.loads(c.communicate()[0]) for c in consumers]
    finally:
        if store is not None:
            store.__exit__(None, None, None)
    print(f"producer: {made['rows']} rows in {made['batches']} batches, checksum {made['checksum']}")
    ok = True
    for r in results:
        good = (r["rows"], r["batches"], r["checksum"]) == (made["rows"], made["batches"], made["checksum"])
        close = abs(r["intercept"] - 4) < 0.3 and abs(r["coef"] - 3) < 0.3
        ok &= good and close
        print(f"consumer {r['index']}: {r['rows']} rows, {r['batches']} batches, checksum "
              f"{'equal' if good else 'DIFFERENT'}; y = {r['intercept']:.3f} + {r['coef']:.3f}x "
              f"(truth 4 + 3x){'' if close else ' NOT CLOSE'}")
    print("realtime: ok" if ok else "realtime: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--role-produce":
        produce(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--role-consume":
        consume(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
