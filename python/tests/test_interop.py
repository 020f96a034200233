"""Python and Java on one store: each reads what the other wrote, through Quiver's Java API (tests/java/Interop.java).

Every test goes both ways: Python writes, Java reads it and writes it back with its own writer, Python reads that.
"""

import concurrent.futures
import datetime
import decimal
import gc
import signal
import time

import numpy as np
import pyarrow as pa
import pytest

import quiver
from quiver import streams
from conftest import expect, java_stack, python_stack, run_java, start_java, start_python


def oid(name):
    return quiver.ObjectId.for_name(name)


def wait_until(condition, limit=60.0):
    """Asks the store again until ``condition`` holds (each check is a round trip); a hang guard, not a timing."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true within a minute"


def every_type_table():
    n = 7
    rng = np.random.default_rng(7)
    mask = np.array([False, True, False, False, True, False, False])
    ints = lambda t: pa.array(rng.integers(0, 100, n), type=t, mask=mask)  # noqa: E731
    ts = [datetime.datetime(2026, 12, 3, 14, i) for i in range(n)]
    return pa.table({
        "i8": ints(pa.int8()), "i16": ints(pa.int16()), "i32": ints(pa.int32()), "i64": ints(pa.int64()),
        "u8": ints(pa.uint8()), "u16": ints(pa.uint16()), "u32": ints(pa.uint32()), "u64": ints(pa.uint64()),
        "f32": pa.array(rng.random(n), type=pa.float32(), mask=mask),
        "f64": pa.array(rng.random(n), mask=mask),
        "bool": pa.array([True, None, False, True, None, False, True]),
        "str": pa.array(["a", None, "ccc", "", "é", "long" * 10, "z"]),
        "large_str": pa.array(["x", "y", None, "z", "", "w", "v"], type=pa.large_string()),
        "bin": pa.array([b"\x00\x01", None, b"", b"abc", b"d", b"e", b"f"]),
        "fixed": pa.array([b"abcd"] * 6 + [None], type=pa.binary(4)),
        "date32": pa.array([datetime.date(2026, 1, i + 1) for i in range(n)], type=pa.date32()),
        "date64": pa.array([datetime.date(2025, 2, i + 1) for i in range(n)], type=pa.date64()),
        "time64": pa.array([i * 1_000_000 for i in range(n)], type=pa.time64("us")),
        "ts_naive": pa.array(ts, type=pa.timestamp("ms")),
        "ts_utc": pa.array(ts, type=pa.timestamp("us", tz="UTC")),
        "ts_paris": pa.array(ts, type=pa.timestamp("ns", tz="Europe/Paris"), mask=mask),
        "duration": pa.array([i * 1000 for i in range(n)], type=pa.duration("ms")),
        "dec": pa.array([decimal.Decimal(f"{i}.25") for i in range(n)], type=pa.decimal128(10, 2)),
        "list": pa.array([[1, 2], None, [], [3], [4, None], [5], [6, 7, 8]], type=pa.list_(pa.int32())),
        "fsl": pa.array([[i, i + 1] for i in range(n)], type=pa.list_(pa.float64(), 2)),
        "struct": pa.array([{"a": i, "b": str(i)} if i != 3 else None for i in range(n)]),
        "map": pa.array([[("k", i)] for i in range(n)], type=pa.map_(pa.string(), pa.int64())),
        "dict": pa.array(["red", "green", None, "red", "blue", "green", "red"]).dictionary_encode(),
    })


def more_types_table():
    """Wider, nested, union, view and run-end encoded types: Arrow Java 19 reads and writes each of them too."""
    n = 4
    return pa.table({
        "large_bin": pa.array([b"a", None, b"", b"xyz"], type=pa.large_binary()),
        "large_list": pa.array([[1], None, [], [2, 3]], type=pa.large_list(pa.int16())),
        "time32s": pa.array([1, 2, None, 4], type=pa.time32("s")),
        "time32ms": pa.array([1, 2, None, 4], type=pa.time32("ms")),
        "time64ns": pa.array([1, 2, None, 4], type=pa.time64("ns")),
        "dec256": pa.array([decimal.Decimal("1.5"), None, decimal.Decimal("-2.25"), decimal.Decimal("0")],
                           type=pa.decimal256(40, 2)),
        "null": pa.nulls(n),
        "f16": pa.array(np.array([1.5, 2, 0, -1], dtype=np.float16)),
        "ts_offset": pa.array([datetime.datetime(2026, 1, 1, i) for i in range(n)], type=pa.timestamp("s", tz="+05:30")),
        "interval": pa.array([pa.MonthDayNano([1, 2, 3]), None, pa.MonthDayNano([0, 0, 1]), pa.MonthDayNano([-1, 0, 0])]),
        "duration_ns": pa.array([1, None, 3, 4], type=pa.duration("ns")),
        "sparse_union": pa.UnionArray.from_sparse(pa.array([0, 1, 0, 1], type=pa.int8()),
                                                  [pa.array([1, 2, 3, 4]), pa.array(["a", "b", "c", "d"])]),
        "dense_union": pa.UnionArray.from_dense(pa.array([0, 1, 0, 1], type=pa.int8()),
                                                pa.array([0, 0, 1, 1], type=pa.int32()),
                                                [pa.array([1, 2]), pa.array(["a", "b"])]),
        "list_struct": pa.array([[{"a": 1}], [], None, [{"a": 2}, {"a": None}]]),
        "struct_list": pa.array([{"l": [1, 2]}, {"l": None}, None, {"l": []}]),
        "nested_fsl": pa.array([[[1], [2]], None, [[3], [4]], [[5], None]], type=pa.list_(pa.list_(pa.int8()), 2)),
        "map_nested": pa.array([[("a", [1])], None, [], [("b", None)]], type=pa.map_(pa.string(), pa.list_(pa.int64()))),
        "dict_int8": pa.DictionaryArray.from_arrays(pa.array([0, 1, None, 0], type=pa.int8()), pa.array(["x", "y"])),
        "dict_ints": pa.DictionaryArray.from_arrays(pa.array([0, 1, 1, 0], type=pa.int32()), pa.array([10, 20])),
        "string_view": pa.array(["a", None, "a string longer than twelve bytes", ""], type=pa.string_view()),
        "binary_view": pa.array([b"a", None, b"binary longer than twelve bytes", b""], type=pa.binary_view()),
        "list_view": pa.array([[1], None, [], [2, 3]], type=pa.list_view(pa.int32())),
        "run_end": pa.RunEndEncodedArray.from_arrays(pa.array([2, 4], type=pa.int32()), pa.array([1.0, 2.0])),
    })


@pytest.mark.parametrize("make", [every_type_table, more_types_table])
def test_tables_of_every_shared_type_both_ways(client, store, make):
    t = make()
    src, dst = oid(f"py-{make.__name__}"), oid(f"java-{make.__name__}")
    client.put_table(src, t)
    assert run_java("Interop", store.socket, "table-copy", src.hex(), dst.hex()).stdout.strip() == f"copied {t.num_rows}"
    back = client.get_table(dst)
    assert back.schema == t.schema
    assert back.equals(t)
    assert client.get(dst).metadata.to_pybytes() == b"application/vnd.apache.arrow.stream"


def test_record_batches_and_several_batches(client, store):
    batches = [pa.record_batch({"x": pa.array(np.arange(i * 10, i * 10 + 10))}) for i in range(3)]
    client.put_table(oid("py-batches"), pa.Table.from_batches(batches))
    run_java("Interop", store.socket, "table-copy", oid("py-batches").hex(), oid("java-batches").hex())
    back = client.get_table(oid("java-batches"))
    assert back.column("x").to_pylist() == list(range(30))


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint16", "float32", "float64"])
def test_tensors_both_ways(client, store, dtype):
    a = (np.arange(24) * 3).astype(dtype).reshape(2, 3, 4)
    client.put_tensor(oid(f"py-tensor-{dtype}"), a)
    run_java("Interop", store.socket, "tensor-copy", oid(f"py-tensor-{dtype}").hex(), oid(f"java-tensor-{dtype}").hex())
    back = client.get_tensor(oid(f"java-tensor-{dtype}"))
    assert back.shape == (2, 3, 4)
    np.testing.assert_array_equal(back.to_numpy(), a)


def test_column_major_tensor_from_python(client, store):
    a = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4))
    client.put_tensor(oid("py-fortran"), a)
    run_java("Interop", store.socket, "tensor-copy", oid("py-fortran").hex(), oid("java-fortran").hex())
    np.testing.assert_array_equal(client.get_tensor(oid("java-fortran")).to_numpy(), a)


def test_shelf_keys_both_ways(client, store):
    shelf = client.shelf
    t = every_type_table()
    shelf.put("py-key", t)
    run_java("Interop", store.socket, "shelf-copy", "py-key", "java-key")
    assert shelf.get("java-key").equals(t)
    assert {"py-key", "java-key"} <= set(shelf.list())
    with pytest.raises(quiver.ShelfKeyExistsException):
        shelf.put("py-key", t)
    with pytest.raises(ValueError, match="must start"):
        shelf.put("-bad key", t)
    with pytest.raises(quiver.ShelfKeyNotFoundException):
        shelf.get("no-such-key")


def test_shelf_replacement_while_a_java_reader_holds_the_old_version(client, store):
    shelf = client.shelf
    shelf.put("swap", pa.table({"v": [1]}))
    java = start_java("Interop", store.socket, "shelf-hold", "swap")
    assert expect(java, "holding") == "1"
    shelf.put("swap", pa.table({"v": [2, 2]}), replace=True)
    assert shelf.get("swap").column("v").to_pylist() == [2, 2]
    assert shelf.version("swap") == 2
    java.stdin.write("\n")
    java.stdin.flush()
    assert expect(java, "value") == "1"  # the Java reader still reads its version, intact
    java.wait(timeout=60)
    # and the reverse: Java replaces while Python holds
    held = shelf.get("swap")
    run_java("Interop", store.socket, "shelf-copy", "swap", "swap")  # Java writes version 3 of the same key
    assert shelf.version("swap") == 3
    assert held.column("v").to_pylist() == [2, 2]
    del held
    gc.collect()


def test_stream_from_python_through_java_and_back(client, store):
    with client.stream_writer("py-stream") as w:
        for i in range(5):
            w.append(pa.record_batch({"seq": pa.array([i] * (i + 1), type=pa.int64()),
                                      "tag": pa.array(["t"] * (i + 1)).dictionary_encode()}))
        w.end()
    out = run_java("Interop", store.socket, "stream-copy", "py-stream", "java-stream").stdout.split("\n")
    assert out[:6] == [f"batch {i}" for i in range(5)] + ["end 5"]
    r = client.stream_reader("java-stream")
    for i in range(5):
        ev = r.next(5000)
        assert isinstance(ev, streams.Batch) and ev.seq == i
        assert ev.table.column("seq").to_pylist() == [i] * (i + 1)
    assert r.next(100) == streams.End(5)
    assert r.next(100) == streams.End(5)


def test_stream_from_java_late_join_and_lost(client, store):
    run_java("Interop", store.socket, "stream-write", "java-made", 6, 8)  # segments of 2 batches
    ids = streams._Ids("java-made")
    assert len(client.range(ids.first, ids.lock, 10)) == 3
    # as Java's Start.LATEST: the latest of an ended stream is its end
    assert client.stream_reader("java-made", start="latest").next(1000) == streams.End(6)
    late = client.stream_reader("java-made", start=5)
    assert late.next(1000).table.column("x").to_pylist() == [5]
    assert late.next(1000) == streams.End(6)
    # the first segment goes (as retention would); a reader at 0 is told exactly what it lost
    client.delete([ids.segment(0)])
    first_kept = client.stream_reader("java-made").next(1000).seq
    r = client.stream_reader("java-made", start=0)
    assert r.next(1000) == streams.Lost(0, first_kept)
    assert [r.next(1000).table.column("x").to_pylist() for _ in range(first_kept, 6)] == [[s] for s in
                                                                                         range(first_kept, 6)]
    assert r.next(1000) == streams.End(6)


def test_python_retention_is_seen_as_lost_by_java(client, store):
    with client.stream_writer("kept-2", streams.Retention(max_batches=2)) as w:
        for i in range(5):
            w.append(pa.record_batch({"x": [i]}))
        w.end()
    out = run_java("Interop", store.socket, "stream-copy", "kept-2", "kept-2-copy").stdout.split("\n")
    assert out[:3] == ["batch 3", "batch 4", "end 5"]  # the earliest batch kept is 3
    out = run_java("Interop", store.socket, "stream-copy", "kept-2", "kept-2-again", 0).stdout.split("\n")
    assert out[:4] == ["lost 0 3", "batch 3", "batch 4", "end 5"]


def test_one_writer_per_stream_across_languages(client, store):
    with client.stream_writer("contended"):
        with pytest.raises(quiver.StreamWriterConflictException):
            client.stream_writer("contended")
        proc = run_java("Interop", store.socket, "stream-write", "contended", 1, check=False)
        assert proc.returncode != 0 and "has a writer already" in proc.stderr


def test_python_reader_when_a_java_writer_dies(client, store):
    x = oid("dying-writer")
    java = start_java("Interop", store.socket, "create-and-hang", x.hex())
    assert expect(java, "created") == ""
    assert client.get(x, timeout_ms=50) is None  # unsealed: not visible, as to a Java reader
    java.send_signal(signal.SIGKILL)
    java.wait(timeout=60)
    # the store discards the dead writer's unsealed object once it sees the socket close: wait until it has
    wait_until(lambda: not any(o.id == x for o in client.list()))
    assert not client.contains(x)
    assert client.get(x, timeout_ms=0) is None
    client.create_and_seal(x, b"the id is free again")
    assert client.get(x).data.to_pybytes() == b"the id is free again"


def test_python_reader_when_a_java_stream_writer_dies(client, store):
    java = start_java("Interop", store.socket, "stream-hang", "orphan", 3)
    assert [expect(java, "appended") for _ in range(3)] == ["0", "1", "2"]
    r = client.stream_reader("orphan", start="earliest")
    assert [r.next(5000).seq for _ in range(3)] == [0, 1, 2]
    assert r.next(50) == streams.Timeout(3, True)  # a writer that stops is not an end
    java.send_signal(signal.SIGKILL)
    java.wait(timeout=60)
    ids = streams._Ids("orphan")
    wait_until(lambda: [o.state for o in client.range(ids.first, ids.lock, 10)] == ["SEALED"])  # sealed by the store
    assert r.next(50) == streams.Timeout(3, False)  # nor is a writer that dies: no partial batch, no End
    # the store frees the dead writer's lock; a Python writer waiting for it takes the stream over and continues at 3
    with client.stream_writer("orphan", writer_wait=60) as w:
        assert w.append(pa.record_batch({"x": [3]})) == 3
        w.end()
    assert r.next(5000).table.column("x").to_pylist() == [3]
    assert r.next(50) == streams.End(4)


def test_shelf_put_of_a_deleted_key_still_held_takes_the_next_version(client, store):
    shelf = client.shelf
    shelf.put("reserved", pa.table({"v": [1]}))
    held = shelf.get("reserved")
    assert shelf.delete("reserved")  # deferred: `held` keeps version 1 and its slot's id reserved
    assert "reserved" not in shelf
    shelf.put("reserved", pa.table({"v": [2]}))  # a new key again; version 1's slot is taken, so version 2
    assert shelf.version("reserved") == 2
    run_java("Interop", store.socket, "shelf-copy", "reserved", "reserved-from-java")
    assert shelf.get("reserved-from-java").column("v").to_pylist() == [2]
    assert held.column("v").to_pylist() == [1]


WAITING_JAVA = "dev.quiver.arrow.StreamWriter.awaitFreed"


def test_a_java_writer_waiting_on_a_python_writer_is_let_in_when_it_closes(client, store):
    w = client.stream_writer("handover")
    for i in range(2):
        w.append(pa.record_batch({"x": pa.array([i], type=pa.int64())}))
    java = start_java("Interop", store.socket, "stream-wait-write", "handover", 1, 600_000)
    wait_until(lambda: WAITING_JAVA in java_stack(java))  # subscribed, tried again, and now waits for the notice
    w.close()  # announced by the store: the Java writer is woken long before its 10 minutes
    assert expect(java, "opened", guard=60) == "2"
    assert java.wait(timeout=60) == 0
    r = client.stream_reader("handover")
    assert [r.next(5000).table.column("x").to_pylist() for _ in range(3)] == [[0], [1], [2]]
    assert r.next(100) == streams.End(3)


def test_a_python_writer_waiting_on_a_java_writer_is_let_in_when_it_closes(client, store):
    java = start_java("Interop", store.socket, "stream-hold", "handback")
    assert expect(java, "holding") == "0"
    with pytest.raises(quiver.StreamWriterConflictException, match="kept its writer for 0.2 s"):
        client.stream_writer("handback", writer_wait=0.2)
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        waiting = pool.submit(client.stream_writer, "handback", None, 600)
        wait_until(lambda: "_await_freed" in python_stack())  # subscribed, tried again, and now waits for the notice
        assert not waiting.done()
        java.stdin.write("\n")
        java.stdin.flush()
        assert expect(java, "closed") == ""
        with waiting.result(timeout=60) as w:  # a hang guard: woken by the store's notice, not its 10 minutes
            assert w.append(pa.record_batch({"x": [0]})) == 0
            w.end()
    finally:
        pool.shutdown(wait=False)
    assert java.wait(timeout=60) == 0


PYTHON_WRITER = """
import sys, pyarrow as pa, quiver
w = quiver.connect(sys.argv[1]).stream_writer(sys.argv[2])
for i in range(2):
    print("appended", w.append(pa.record_batch({"x": pa.array([i], type=pa.int64())})), flush=True)
sys.stdin.readline()  # killed by the test, the writer still open
"""


def test_a_killed_python_writers_lock_is_freed_and_a_waiting_java_writer_takes_over(client, store):
    py = start_python(PYTHON_WRITER, store.socket, "py-orphan")
    assert [expect(py, "appended") for _ in range(2)] == ["0", "1"]
    java = start_java("Interop", store.socket, "stream-wait-write", "py-orphan", 1, 600_000)
    wait_until(lambda: WAITING_JAVA in java_stack(java))  # subscribed, tried again, and now waits for the notice
    py.send_signal(signal.SIGKILL)
    py.wait(timeout=60)
    assert expect(java, "opened", guard=60) == "2"  # woken by the store's notice that the lock was freed
    assert java.wait(timeout=60) == 0
    r = client.stream_reader("py-orphan")
    assert [r.next(5000).table.column("x").to_pylist() for _ in range(3)] == [[0], [1], [2]]
    assert r.next(100) == streams.End(3)
