"""quiver.plasma as a drop-in for pyarrow.plasma, and the Plasma examples run as scripts."""

import gc
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import quiver
import quiver.plasma as plasma
from conftest import ROOT

EXAMPLES = os.path.join(ROOT, "python", "examples")


@pytest.fixture
def pc(store):
    c = plasma.connect(store.socket, "", 0)  # the extra arguments of old versions are accepted
    yield c
    c.disconnect()


def test_object_ids(pc):
    assert plasma.ObjectID(20 * b"a").binary() == 20 * b"a"
    assert plasma.ObjectID.from_random() != plasma.ObjectID.from_random()
    with pytest.raises(ValueError, match="20 bytes"):
        plasma.ObjectID(b"short")


def test_create_seal_get_buffers_with_meta(pc):
    oid = plasma.ObjectID.from_random()
    buf = pc.create(oid, 16, b"meta")
    w = pa.FixedSizeBufferWriter(buf)
    w.write(bytes(range(16)))
    w.close()
    assert pc.get_buffers([oid], timeout_ms=0) == [None]  # not sealed yet
    pc.seal(oid)
    [(meta, data)] = pc.get_buffers([oid], with_meta=True)
    assert (meta, data.to_pybytes()) == (b"meta", bytes(range(16)))
    assert pc.get(oid).to_pybytes() == bytes(range(16))  # a raw object comes back as its buffer
    info = pc.list()[oid]
    assert (info["data_size"], info["metadata_size"], info["state"]) == (16, 4, "sealed")
    with pytest.raises(plasma.PlasmaObjectExists):
        pc.create(oid, 1)


def test_abort_and_create_and_seal(pc):
    oid = plasma.ObjectID.from_random()
    pc.create(oid, 8)
    pc.abort(oid)
    assert not pc.contains(oid)
    pc.create_and_seal(oid, b"12345678")
    assert pc.contains(oid) and len(pc.hash(oid)) == 8


def test_put_get_values_zero_copy(pc, store):
    a = np.arange(100_000, dtype=np.int64)
    got = pc.get(pc.put(a))
    np.testing.assert_array_equal(got, a)
    base = pc.quiver._conn.base
    assert base <= got.ctypes.data < base + pc.store_capacity()  # a view of store memory, not a copy
    df = pd.DataFrame({"a": np.arange(1000.0), "b": np.arange(1000)})
    back = pc.get(pc.put(df))
    pd.testing.assert_frame_equal(back, df)
    t = pa.table({"x": np.arange(1000), "s": ["v"] * 1000})
    tb = pc.get(pc.put(t))
    assert tb.equals(t)
    assert base <= tb.column("x").chunks[0].buffers()[1].address < base + pc.store_capacity()
    assert pc.get([plasma.ObjectID.from_random()], timeout_ms=10) == [plasma.ObjectNotAvailable]


def test_notifications_evict_capacity(pc):
    pc.subscribe()
    oid = pc.put(b"x" * 100)
    while True:
        got, size, meta = pc.get_next_notification()
        if got == oid:
            break
    assert size > 100 and meta > 0
    gc.collect()
    pc.delete([oid])
    got, size, meta = pc.get_next_notification()
    while got != oid:
        got, size, meta = pc.get_next_notification()
    assert (size, meta) == (-1, -1)
    assert pc.store_capacity() == pc.quiver.capacity
    assert pc.evict(0) == 0


def _run(script, *args):
    env = dict(os.environ, QUIVER_HOME=ROOT)
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args], capture_output=True, text=True,
                          env=env, timeout=600)


def test_walkthrough_runs_against_a_store(store):
    p = _run("plasma_walkthrough.py", store.socket)
    assert p.returncode == 0, p.stderr
    assert "walkthrough: ok" in p.stdout


def test_realtime_example_with_start_plasma_store():
    p = _run("realtime.py")  # 10,000 rows: enough for SGD to come close
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count("checksum equal") == 3 and "realtime: ok" in p.stdout


def test_start_plasma_store_says_what_to_set(monkeypatch, tmp_path):
    monkeypatch.setenv("QUIVER_HOME", str(tmp_path))
    with pytest.raises(quiver.StoreUnavailableException, match="QUIVER_HOME"):
        with plasma.start_plasma_store(1 << 20):
            pass


@pytest.mark.parametrize("direction", ["java-producer", "python-producer"])
def test_mixed_java_and_python_on_one_stream(direction):
    p = _run("mixed.py", direction)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count("checksum equal") == 3 and "mixed: ok" in p.stdout
