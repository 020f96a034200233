"""Streams as a log in shared memory (docs/stream-log.md): segments, frames, retention, late joins, loss, ends and
writers that die, between clients and processes on a real store."""

import gc
import signal
import time

import numpy as np
import pyarrow as pa
import pytest

import quiver
from quiver import streams
from conftest import expect, start_python


def wait_until(condition, limit=60.0):
    """Asks again until ``condition`` holds (each check is a round trip to the store); a hang guard, not a timing."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true within a minute"


def batch(seq, rows=3):
    """Batch ``seq``: every value says which batch it belongs to."""
    return pa.record_batch({
        "seq": pa.array([seq] * rows, type=pa.int64()),
        "row": pa.array(np.arange(rows, dtype=np.int32)),
        "name": pa.array([f"b{seq}r{r}" for r in range(rows)]),
        "tag": pa.array([f"t{seq % 3}"] * rows).dictionary_encode(),
    })


def check(ev, seq, rows=3):
    assert isinstance(ev, streams.Batch), ev
    assert ev.seq == seq
    assert ev.table.column("seq").to_pylist() == [seq] * rows
    assert ev.table.column("row").to_pylist() == list(range(rows))
    assert ev.table.column("name").to_pylist() == [f"b{seq}r{r}" for r in range(rows)]
    assert ev.table.column("tag").to_pylist() == [f"t{seq % 3}"] * rows


def segments(client, name):
    """(segment number, state) of the stream's segments that gets can find, lowest first."""
    ids = streams._Ids(name)
    return [(ids.segno(o.id), o.state) for o in client.range(ids.first, ids.lock, 1000)]


def in_arena(client, address):
    return client._conn.base <= address < client._conn.base + client.capacity


@pytest.fixture
def reader_client(store):
    c = store.client(name="reader")
    yield c
    c.close()


def test_round_trip_between_clients_is_zero_copy(client, reader_client):
    r = reader_client.stream_reader("round-trip")
    assert r.next(0) == streams.Timeout(0, False)  # no stream yet, no writer
    with client.stream_writer("round-trip") as w:
        assert r.next(0) == streams.Timeout(0, True)  # a writer that holds the lock, before its first segment
        for seq in range(5):
            assert w.append(batch(seq, rows=seq + 1)) == seq
            ev = r.next(5000)
            check(ev, seq, rows=seq + 1)
            for column in ev.table.columns:
                for b in column.chunk(0).buffers():
                    assert b is None or in_arena(reader_client, b.address), "a copy, not the segment's memory"
        assert r.next(0) == streams.Timeout(5, True)
        assert w.end() == 5
    assert r.next(0) == streams.End(5)
    assert r.next(1000) == streams.End(5)
    del ev, column, b
    gc.collect()
    [info] = client.range(streams._Ids("round-trip").first, streams._Ids("round-trip").lock, 10)
    assert (info.state, info.ref_count) == ("SEALED", 0)  # at the end the reader let its segment go
    r.close()
    with pytest.raises(ValueError, match="the reader of stream 'round-trip' is closed"):
        r.next(0)


def test_many_batches_across_several_segments(client, reader_client):
    retention = streams.Retention(max_batches=40)  # at most 10 batches a segment, and nothing dropped below
    follower = None
    with client.stream_writer("many", retention) as w:
        for seq in range(35):
            w.append(batch(seq))
            if follower is None:
                follower = reader_client.stream_reader("many")
            check(follower.next(5000), seq)
        listed = segments(client, "many")
        assert [n for n, _ in listed] == list(range(4))
        assert [s for _, s in listed] == ["SEALED"] * 3 + ["CREATED"]  # the one being written is published only
        w.end()
    late = reader_client.stream_reader("many")
    for seq in range(35):
        check(late.next(0), seq)
    assert late.next(0) == streams.End(35)


def test_a_batch_larger_than_a_segment_gets_a_segment_of_its_own(client, reader_client):
    usual = streams.Retention(max_bytes=256 * 1024).segment_size()
    big = pa.record_batch({"v": pa.array(np.arange(usual // 8 * 3 // 2, dtype=np.int64))})  # 1.5 segments
    with client.stream_writer("big", streams.Retention(max_bytes=256 * 1024)) as w:
        w.append(batch(0))
        w.append(big)
        w.append(batch(2))
        w.end()
    sizes = [o.data_size for o in client.range(streams._Ids("big").first, streams._Ids("big").lock, 10)]
    assert len(sizes) == 3 and sizes[0] == sizes[2] == usual and sizes[1] > big.nbytes
    r = reader_client.stream_reader("big")
    check(r.next(0), 0)
    assert r.next(0).table.column("v").to_numpy().tolist() == big.column(0).to_pylist()
    check(r.next(0), 2)
    assert r.next(0) == streams.End(3)


def test_late_joins_earliest_latest_and_at(client, reader_client):
    w = client.stream_writer("late", streams.Retention(max_batches=40))
    for seq in range(25):
        w.append(batch(seq))
    assert len(segments(client, "late")) == 3
    check(reader_client.stream_reader("late", start="earliest").next(0), 0)
    latest = reader_client.stream_reader("late", start="latest")
    check(latest.next(0), 24)
    assert latest.next(0) == streams.Timeout(25, True)
    for start in (0, 9, 10, 13, 24):  # first and last of segments, and inside one
        at = reader_client.stream_reader("late", start=start)
        check(at.next(0), start)
        if start < 24:
            check(at.next(0), start + 1)
    ahead = reader_client.stream_reader("late", start=27)
    assert ahead.next(0) == streams.Timeout(27, True)
    for seq in range(25, 28):
        w.append(batch(seq))
    check(ahead.next(0), 27)
    w.end()
    assert reader_client.stream_reader("late", start="latest").next(0) == streams.End(28)
    assert ahead.next(0) == streams.End(28)


def test_an_ended_stream_refuses_a_writer_and_changes_nothing(client):
    with client.stream_writer("ended") as w:
        w.append(batch(0))
        w.end()
        with pytest.raises(ValueError, match="writer of stream 'ended' is closed"):
            w.append(batch(1))
    before = segments(client, "ended")
    with pytest.raises(ValueError, match="stream 'ended' was ended after 1 batches"):
        client.stream_writer("ended")
    assert segments(client, "ended") == before
    with client.stream_writer("ended-empty") as w:
        assert w.end() == 0
    assert client.stream_reader("ended-empty").next(0) == streams.End(0)


def test_a_reader_slower_than_retention_is_told_exactly_what_it_lost(client, reader_client):
    retention = streams.Retention(max_batches=8)  # 2 batches a segment
    with client.stream_writer("lossy", retention) as w:
        w.append(batch(0))
        slow = reader_client.stream_reader("lossy")
        check(slow.next(0), 0)  # the slow reader holds segment 0
        for seq in range(1, 31):
            w.append(batch(seq))
        kept = segments(client, "lossy")
        assert 0 not in [n for n, _ in kept]  # deleted for gets, kept for the reader that holds it
        first_kept = reader_client.stream_reader("lossy")
        first_seq = first_kept.next(0).seq
        assert sum(1 for _ in range(first_seq, 31)) <= 8
        check(slow.next(0), 1)  # still readable in the segment it holds, intact
        assert slow.next(0) == streams.Lost(2, first_seq)
        for seq in range(first_seq, 31):
            check(slow.next(0), seq)
        assert slow.next(0) == streams.Timeout(31, True)
        w.end()
    assert slow.next(0) == streams.End(31)


def test_retention_by_age_drops_segments_whose_newest_batch_is_older(client, monkeypatch):
    now = [10 ** 18]
    monkeypatch.setattr(streams, "_now_ns", lambda: now[0])
    with client.stream_writer("aged", streams.Retention(max_batches=8, max_age=60)) as w:
        for seq in range(6):  # 3 segments of 2, appended "now"
            w.append(batch(seq))
        assert [n for n, _ in segments(client, "aged")] == [0, 1, 2]
        now[0] += 61 * 10 ** 9
        w.append(batch(6))  # the segments before the current one are older than a minute now
        assert [n for n, _ in segments(client, "aged")] == [3]
        w.end()
    r = client.stream_reader("aged")
    check(r.next(0), 6)


@pytest.mark.parametrize("kwargs, message", [
    ({"max_batches": 0}, "at least one batch"), ({"max_bytes": 0}, "one byte"),
    ({"max_age": 0}, "max_age is a finite number of seconds > 0"), ({"max_age": -1}, "max_age"),
    ({"max_age": float("inf")}, "max_age"), ({"max_age": "60"}, "max_age"), ({"max_age": True}, "max_age")])
def test_a_bad_retention_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        streams.Retention(**kwargs)


def test_bad_appends_and_reader_arguments_are_refused_and_change_nothing(client):
    with client.stream_writer("bad-input") as w:
        w.append(batch(0))
        with pytest.raises(TypeError, match="expected a pyarrow RecordBatch or Table, got list"):
            w.append([1, 2])
        assert w.next_seq == 1
        assert w.append(pa.table({"other": [1.5]})) == 1  # another schema: a segment of its own
        w.end()
    r = client.stream_reader("bad-input")
    check(r.next(0), 0)
    assert r.next(0).table.column("other").to_pylist() == [1.5]
    assert r.next(0) == streams.End(2)
    for bad in (-1, "first", True, 1.5):
        with pytest.raises(ValueError, match="start is 'earliest', 'latest' or a sequence number"):
            client.stream_reader("bad-input", start=bad)
    with pytest.raises(TypeError, match="timeout_ms is an int number of milliseconds"):
        client.stream_reader("bad-input").next("1")
    with pytest.raises(TypeError, match="retention is a quiver.streams.Retention"):
        client.stream_writer("bad-input-2", retention=5)


def test_a_stream_of_the_old_format_is_refused_with_what_to_do(client):
    client.put_table(streams._Ids("old-format").segment(0), pa.table({"x": [1]}))  # an old batch object
    with pytest.raises(quiver.ArrowFormatException, match="written by an older version of Quiver; delete it"):
        client.stream_reader("old-format")
    with pytest.raises(quiver.ArrowFormatException, match="older version"):
        client.stream_writer("old-format")


def test_a_process_reading_its_own_stream_lets_go_of_the_segments_retention_dropped(client):
    ids = streams._Ids("own")
    with client.stream_writer("own", streams.Retention(max_batches=4)) as w:  # 1 batch a segment
        r = client.stream_reader("own")
        for seq in range(12):
            w.append(batch(seq))
            check(r.next(0), seq)
        gc.collect()  # the batches read are gone: only the reader's current segment is held
        held = [ids.segno(o.id) for o in client.list() if o.id[:12] == ids.prefix and o.id != ids.lock]
        assert held == [n for n, _ in segments(client, "own")]  # nothing deleted is kept alive by a reference
        w.end()


TORN_WRITER = """
import struct, sys, pyarrow as pa, quiver
from quiver import streams
w = quiver.connect(sys.argv[1]).stream_writer(sys.argv[2])
for i in range(int(sys.argv[3])):
    print("appended", w.append(pa.record_batch({"seq": pa.array([i] * 3, type=pa.int64())})), flush=True)
# what a crash in the middle of an append leaves: a frame written after PUBLISHED, never published
seg = w._seg
struct.pack_into("<IIqqII", seg.mem, seg.used, 64, streams.BATCH, w.next_seq, 0, 32, 0)
seg.mem[seg.used + 32:seg.used + 64] = 0xAB
print("torn", flush=True)
sys.stdin.readline()  # killed here
"""


def test_a_killed_writer_leaves_no_torn_batch_and_a_new_writer_continues(store, client, reader_client):
    py = start_python(TORN_WRITER, store.socket, "killed", 4)
    assert [expect(py, "appended", guard=60) for _ in range(4)] == ["0", "1", "2", "3"]
    assert expect(py, "torn", guard=60) == ""
    r = reader_client.stream_reader("killed")
    assert [r.next(5000).table.column("seq").to_pylist() for _ in range(4)] == [[i] * 3 for i in range(4)]
    assert r.next(0) == streams.Timeout(4, True)
    py.send_signal(signal.SIGKILL)
    py.wait(timeout=60)
    wait_until(lambda: segments(client, "killed") == [(0, "SEALED")])  # the store sealed it as it was
    assert r.next(0) == streams.Timeout(4, False)  # the writer is gone: no torn batch, no end
    with client.stream_writer("killed") as w:  # the lock went with the process
        assert w.append(pa.record_batch({"seq": pa.array([4] * 3, type=pa.int64())})) == 4
        ev = r.next(5000)  # in the new writer's segment: the torn frame of the old one is never read
        assert (ev.seq, ev.table.column("seq").to_pylist()) == (4, [4] * 3)
        assert r.next(0) == streams.Timeout(5, True)
        w.end()
    assert [n for n, _ in segments(client, "killed")] == [0, 1]
    assert r.next(0) == streams.End(5)


WAITING_READER = """
import sys, quiver
r = quiver.connect(sys.argv[1]).stream_reader(sys.argv[2], start=int(sys.argv[3]))
for _ in range(int(sys.argv[4])):
    print("waiting", flush=True)
    ev = r.next(-1)
    print("got", ev.seq, ev.table.column("seq").to_pylist(), flush=True)
"""


def test_a_reader_in_another_process_waiting_for_a_batch_is_woken_when_it_is_appended(store, client):
    with client.stream_writer("wake", streams.Retention(max_batches=8)) as w:
        w.append(batch(0))
        py = start_python(WAITING_READER, store.socket, "wake", 1, 4)  # waits with no time limit
        for seq in range(1, 5):  # across segments of 2 batches
            assert expect(py, "waiting", guard=60) == ""
            w.append(batch(seq))
            assert expect(py, "got", guard=60) == f"{seq} {[seq] * 3}"
        assert py.wait(timeout=60) == 0
        w.end()


@pytest.mark.parametrize("start", ["earliest", "latest"])
def test_a_reader_opened_before_the_stream_starts_at_batch_0_and_is_told_what_retention_dropped(
        client, reader_client, start):
    name = f"before-{start}"
    r = reader_client.stream_reader(name, start=start)
    with client.stream_writer(name, streams.Retention(max_batches=8)) as w:  # 2 batches a segment
        for seq in range(12):
            w.append(batch(seq))
        first_kept = reader_client.stream_reader(name).next(0).seq
        assert first_kept > 0
        assert r.next(0) == streams.Lost(0, first_kept)
        for seq in range(first_kept, 12):
            check(r.next(0), seq)
        w.end()
    assert r.next(0) == streams.End(12)


ROLLING_WRITER = """
import sys, pyarrow as pa, quiver
from quiver import streams
w = quiver.connect(sys.argv[1]).stream_writer(sys.argv[2])
print("appended", w.append(pa.record_batch({"seq": pa.array([0] * 3, type=pa.int64())})), flush=True)
# what a crash in the middle of a roll leaves: the next segment created, its header half written, never published
nxt = w.client.create(w._ids.segment(w._next_segment), 65536)
print("rolling", flush=True)
sys.stdin.readline()  # killed here
"""


def test_a_writer_killed_while_it_rolls_leaves_no_segment_and_a_new_writer_continues(store, client, reader_client):
    py = start_python(ROLLING_WRITER, store.socket, "rolled")
    assert expect(py, "appended", guard=60) == "0"
    assert expect(py, "rolling", guard=60) == ""
    r = reader_client.stream_reader("rolled")
    check_seq = r.next(5000)
    assert check_seq.seq == 0
    assert segments(client, "rolled") == [(0, "CREATED"), (1, "CREATED")]
    assert r.next(0) == streams.Timeout(1, True)
    py.send_signal(signal.SIGKILL)
    py.wait(timeout=60)
    wait_until(lambda: segments(client, "rolled") == [(0, "SEALED")])  # the unpublished one is gone
    assert r.next(0) == streams.Timeout(1, False)
    with client.stream_writer("rolled") as w:
        assert w.append(pa.record_batch({"seq": pa.array([1] * 3, type=pa.int64())})) == 1
        ev = r.next(5000)
        assert (ev.seq, ev.table.column("seq").to_pylist()) == (1, [1] * 3)
        w.end()
    assert [n for n, _ in segments(client, "rolled")] == [0, 1]
    assert r.next(0) == streams.End(2)
