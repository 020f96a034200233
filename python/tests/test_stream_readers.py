"""Readers' positions are visible (docs/stream-log.md section 6): a Python reader's cursor, as Java's listing reads it
(``quiver streams --json`` from the CLI jar), and the writer's next sequence number in each segment's header."""

import json
import os
import struct
import subprocess

import pyarrow as pa

from conftest import FLAGS, jar, java
from quiver import streams


def listed(store):
    """``quiver streams --json``, by stream name."""
    out = subprocess.run([java(), *FLAGS, "-jar", jar(), "streams", "-s", store.socket, "--json"],
                         capture_output=True, text=True, timeout=120, check=True)
    return {s["name"]: s for s in json.loads(out.stdout)}


def frame_bytes(client, name, from_seq):
    """Bytes of the frames of the batches from ``from_seq`` on, in segment 0."""
    ids = streams._Ids(name)
    with client.get(ids.segment(0)) as b:
        seg = streams._Frames(b.data, 0, name)
        return sum(length for _off, length, ftype, seq, _t, _body in seg.scan()
                   if ftype == streams.BATCH and seq >= from_seq)


def cursors(client, name):
    ids = streams._Ids(name)
    return client.range(ids.cursor(0), ids.cursor(2 ** 64 - 1), 1000)


def test_a_python_readers_cursor_shows_in_the_java_listing(client, store):
    with client.stream_writer("py-readers") as w:
        for i in range(7):
            w.append(pa.record_batch({"x": [i] * 5}))
        r = client.stream_reader("py-readers", start=2)
        [opened] = listed(store)["py-readers"]["readers"]
        assert (opened["pid"], opened["nextSeq"], opened["lagBatches"]) == (os.getpid(), 2, 5)
        assert opened["lagBytes"] == frame_bytes(client, "py-readers", 2)  # before it read anything

        for seq in (2, 3, 4):
            assert r.next(1000).seq == seq
        stream = listed(store)["py-readers"]
        assert stream["nextSeq"] == 7
        [reader] = stream["readers"]
        assert reader["id"] == opened["id"]
        assert (reader["nextSeq"], reader["lagBatches"], reader["lostBatches"]) == (5, 2, 0)
        assert reader["lagBytes"] == frame_bytes(client, "py-readers", 5)

        w.end()
        for seq in (5, 6):
            assert r.next(1000).seq == seq
        assert isinstance(r.next(1000), streams.End)
        [done] = listed(store)["py-readers"]["readers"]
        assert (done["nextSeq"], done["lagBatches"], done["lagBytes"]) == (7, 0, 0)
        r.close()
    assert listed(store)["py-readers"]["readers"] == []
    assert cursors(client, "py-readers") == []  # sealed and deleted as it closed


def test_a_lapped_python_readers_losses_show_in_the_java_listing(client, store):
    with client.stream_writer("py-lapped", streams.Retention(max_batches=4)) as w:
        w.append(pa.record_batch({"x": [0]}))
        r = client.stream_reader("py-lapped")
        assert r.next(1000).seq == 0
        for i in range(1, 30):
            w.append(pa.record_batch({"x": [i]}))
        lost = r.next(1000)
        assert isinstance(lost, streams.Lost), lost
        [reader] = listed(store)["py-lapped"]["readers"]
        assert (reader["lostBatches"], reader["losses"]) == (lost.to_seq - lost.from_seq, 1)
        assert reader["nextSeq"] == lost.to_seq
        r.close()


def test_the_python_writer_keeps_the_next_sequence_number_in_the_segment_header(client):
    ids = streams._Ids("py-next-seq")
    with client.stream_writer("py-next-seq") as w:
        for i in range(3):
            w.append(pa.record_batch({"x": [i]}))
            with client.get(ids.segment(0)) as b:
                flags, _published, next_seq = struct.unpack_from("<Q16xQQ", b.data, 40)
                assert (flags & 1, next_seq) == (1, w.next_seq)
