"""pyarrow.flight as a real peer of the store's Flight endpoint (quiver store --flight, docs/flight.md).

The store runs as a child JVM with ``--flight 0``; pyarrow's Flight client lists, reads, writes and follows what the
store holds, and Java programs on the store's side (python/tests/java/FlightPeer.java) check what they see locally.
"""

import json
import re
import os
import shutil
import subprocess
import tempfile
import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.flight as flight
import pytest

import quiver
from conftest import FLAGS, READY, expect, jar, java, run_java, start_java

GUARD = 120  # seconds: a hang guard, not a timing


class FlightStore:
    """A Java store in a child process serving Flight on a free loopback port."""

    def __init__(self, memory="1g"):
        self.dir = tempfile.mkdtemp(prefix="quiver-py-flight-")
        self.socket = os.path.join(self.dir, "store.sock")
        self.arena_dir = tempfile.mkdtemp(prefix="quiver-py-flight-", dir="/dev/shm")
        self.proc = subprocess.Popen([java(), *FLAGS, "-jar", jar(), "store", "-m", memory, "-s", self.socket,
                                      "-d", self.arena_dir, "--flight", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.uri = None
        lines = []
        for line in self.proc.stdout:
            lines.append(line)
            if line.startswith("quiver store: flight "):
                self.uri = line.split()[-1]
            if line.startswith(READY):
                break
        if self.uri is None:
            raise RuntimeError("the store did not start with a Flight endpoint:\n" + "".join(lines))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.arena_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def fstore():
    s = FlightStore()
    yield s
    s.stop()


@pytest.fixture
def remote(fstore):
    c = flight.FlightClient(fstore.uri)
    yield c
    c.close()


def shelf_ticket(key):
    return flight.Ticket(json.dumps({"shelf": key}).encode())


def test_lists_and_reads_a_10m_row_table_equal_to_the_source(fstore, remote):
    n = 10_000_000
    source = pa.table({"x": pa.array(np.arange(n, dtype=np.int64)),
                       "y": pa.array(np.arange(n, dtype=np.float64) * 0.5)})
    with quiver.connect(fstore.socket) as local:
        local.shelf.put("big", pa.Table.from_batches(source.to_batches(max_chunksize=1_000_000)))

    infos = {tuple(p.decode() for p in i.descriptor.path): i for i in remote.list_flights()}
    big = infos[("shelf", "big")]
    assert big.total_records == n
    assert big.schema.equals(source.schema)
    assert big.total_bytes > 16 * n

    got = remote.do_get(big.endpoints[0].ticket).read_all()
    assert got.equals(source)


def test_puts_a_pandas_table_that_a_local_java_reader_sees_zero_copy(fstore, remote):
    df = pd.DataFrame({"x": np.arange(50_000, dtype=np.int64) * 3, "label": [f"r{i}" for i in range(50_000)]})
    table = pa.Table.from_pandas(df, preserve_index=False)
    writer, _ = remote.do_put(flight.FlightDescriptor.for_path("shelf", "from-pandas"), table.schema)
    writer.write_table(table, max_chunksize=10_000)
    writer.close()

    seen = run_java("FlightPeer", fstore.socket, "shelf-read", "from-pandas").stdout.split("\n")
    assert f"rows {len(df)}" in seen
    assert f"sum {int(df['x'].sum())}" in seen
    assert "zero-copy true" in seen
    # and what pyarrow reads back is the pandas table, pandas metadata included
    back = remote.do_get(shelf_ticket("from-pandas")).read_pandas()
    pd.testing.assert_frame_equal(back, df)


def test_follows_a_live_stream_every_batch_in_order_then_the_end(fstore, remote):
    n = 50
    writer = start_java("FlightPeer", fstore.socket, "stream-write", "live", n)
    assert expect(writer, "appended", guard=GUARD) == "0"
    reader = remote.do_get(flight.Ticket(json.dumps({"stream": "live", "start": "earliest"}).encode()))
    seqs = []
    first = threading.Event()

    def follow():
        for chunk in reader:  # FlightStreamChunk: data, app_metadata
            meta = json.loads(chunk.app_metadata.to_pybytes())
            seq = meta["seq"]
            assert "lostFrom" not in meta
            assert chunk.data.column("x").to_pylist() == list(range(seq * 100, seq * 100 + 100))
            seqs.append(seq)
            first.set()

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    assert first.wait(GUARD), "the follower got no batch"
    writer.stdin.write("go\n")  # the rest is appended while the remote reader follows
    writer.stdin.flush()
    assert expect(writer, "ended", guard=GUARD) == str(n)
    follower.join(GUARD)
    assert not follower.is_alive(), "the follower did not see the end of the stream"
    assert seqs == list(range(n))
    writer.wait(timeout=GUARD)


def test_bad_tickets_and_descriptors_get_clear_errors(remote):
    # pyarrow raises INVALID_ARGUMENT as ArrowInvalid and NOT_FOUND as ArrowKeyError
    with pytest.raises(pa.ArrowInvalid, match="invalid argument.*not one of this endpoint's"):
        remote.do_get(flight.Ticket(b"shelf/big")).read_all()
    with pytest.raises(pa.ArrowKeyError, match="no table under key 'absent'"):
        remote.do_get(shelf_ticket("absent")).read_all()
    with pytest.raises(pa.ArrowInvalid, match=re.escape('expected ["shelf", KEY]')):
        remote.get_flight_info(flight.FlightDescriptor.for_path("tables", "big"))


def test_actions_describe_the_store_and_delete_a_key(fstore, remote):
    with quiver.connect(fstore.socket) as local:
        local.shelf.put("doomed", pa.table({"x": [1, 2, 3]}))
    d = json.loads(next(iter(remote.do_action(flight.Action("describe", b"")))).body.to_pybytes())
    assert d["capacity"] == 1 << 30
    result = json.loads(next(iter(remote.do_action(flight.Action("delete", b"doomed")))).body.to_pybytes())
    assert result == {"key": "doomed", "deleted": True}
    with quiver.connect(fstore.socket) as local:
        assert "doomed" not in local.shelf.list()
