"""quiver.Client against a real Java store: the operations, errors, and when references are released."""

import ctypes
import gc
import os
import signal
import struct

import numpy as np
import pyarrow as pa
import pytest

import quiver
from quiver import _wire
from conftest import expect, start_python


def oid(name):
    return quiver.ObjectId.for_name(name)


def event(sub, predicate, limit=60.0):
    """The next notification that matches; fails (instead of hanging) if none comes within ``limit`` seconds."""
    while True:
        ev = sub.next(timeout=limit)
        assert ev is not None, f"no matching notification within {limit} s"
        if predicate(ev):
            return ev


def refs(client, object_id):
    return next((o.ref_count for o in client.list() if o.id == object_id), None)


def test_create_seal_get_with_metadata_and_digest(client):
    data = os.urandom(1000)
    with client.create(oid("basic"), len(data), b"meta") as o:
        np.frombuffer(o.data, dtype=np.uint8)[:] = np.frombuffer(data, dtype=np.uint8)
    b = client.get(oid("basic"))
    assert b.data.to_pybytes() == data
    assert b.metadata.to_pybytes() == b"meta"
    # the digest the store recorded is CRC-32C of data then metadata, as docs/protocol.md says
    assert client.hash(oid("basic")) == _wire.crc32c(data + b"meta")
    assert _wire._crc32c_python(data + b"meta") == client.hash(oid("basic"))
    assert client.contains(oid("basic"))
    info = next(o for o in client.list() if o.id == oid("basic"))
    assert (info.data_size, info.metadata_size, info.state) == (1000, 4, "SEALED")


def test_an_object_sealed_without_a_digest_is_hashed_from_its_bytes(client):
    data = os.urandom(5000)
    with client.create(oid("undigested"), len(data), b"m") as o:
        np.frombuffer(o.data, dtype=np.uint8)[:] = np.frombuffer(data, dtype=np.uint8)
        o.seal(digest=False)
    info = next(i for i in client.list() if i.id == oid("undigested"))
    assert info.digest == _wire.NO_DIGEST
    assert client.hash(oid("undigested")) == _wire.crc32c(data + b"m")
    assert refs(client, oid("undigested")) == 0  # hashing read the object and let it go


def test_create_aborts_when_the_block_raises_and_leaves_no_trace(client):
    with pytest.raises(RuntimeError):
        with client.create(oid("aborted"), 64):
            raise RuntimeError("writer failed")
    assert not client.contains(oid("aborted"))
    assert refs(client, oid("aborted")) is None
    client.create_and_seal(oid("aborted"), b"again")  # the id is free
    assert client.get(oid("aborted")).data.to_pybytes() == b"again"


def test_writable_handle_refuses_access_after_seal(client):
    o = client.create(oid("sealed-once"), 8)
    o.seal()
    with pytest.raises(ValueError, match="sealed"):
        o.data
    with pytest.raises(ValueError):
        o.seal()


def test_get_missing_returns_none_and_waits_for_a_seal(client, store):
    assert client.get(oid("missing"), timeout_ms=0) is None
    assert client.get([oid("missing"), oid("basic-missing")], timeout_ms=50) == [None, None]
    writer = store.client()
    with writer.create(oid("later"), 3) as o:
        o.data  # noqa: B018 - sealed at the end of the block
        np.frombuffer(o.data, dtype=np.uint8)[:] = [1, 2, 3]
    assert client.get(oid("later"), timeout_ms=quiver.WAIT_FOREVER).data.to_pybytes() == b"\x01\x02\x03"
    writer.close()


def test_errors_are_named_like_java_and_change_nothing(client):
    client.create_and_seal(oid("exists"), b"x")
    with pytest.raises(quiver.ObjectExistsException):
        client.create(oid("exists"), 10)
    pinned = client.create(oid("half"), client.capacity // 2)
    with pytest.raises(quiver.StoreFullException):
        client.create(oid("too-big"), client.capacity // 2 + 64)
    pinned.abort()
    with pytest.raises(ValueError, match="20 bytes"):
        client.get(b"short")
    with pytest.raises(ValueError, match="non-negative"):
        client.create(oid("negative"), -1)
    with pytest.raises(ValueError, match="never fit"):
        client.create(oid("huge"), client.capacity + 1)
    with pytest.raises(quiver.ObjectNotFoundException):
        client.hash(oid("nothing"))
    assert client.get(oid("exists")).data.to_pybytes() == b"x"
    assert not client.contains(oid("negative")) and not client.contains(oid("huge"))
    assert client.connected


def test_delete_evict_stats(client):
    client.create_and_seal(oid("to-delete"), b"abc")
    held = client.get(oid("to-delete"))
    assert client.delete([oid("to-delete"), oid("never")]) == ["DEFERRED", "OBJECT_NOT_FOUND"]
    assert not client.contains(oid("to-delete"))
    assert held.data.to_pybytes() == b"abc"  # still readable by its holder
    del held
    gc.collect()
    client.create_and_seal(oid("to-evict"), bytes(4096))
    before = client.stats()
    ev = client.evict(1)
    assert ev.objects >= 1 and ev.bytes >= 64
    assert client.stats().evicted_objects > before.evicted_objects


def test_release_on_garbage_collection_follows_the_last_view(client):
    client.create_and_seal(oid("gc"), bytes(range(100)))
    b = client.get(oid("gc"))
    view = np.frombuffer(b.data, dtype=np.uint8)[10:20]  # a view outlives the handle
    b.release()
    with pytest.raises(ValueError, match="released"):
        b.data
    del b
    gc.collect()
    assert refs(client, oid("gc")) == 1  # the numpy view still holds it
    assert view[0] == 10
    del view
    gc.collect()
    assert refs(client, oid("gc")) == 0


def test_close_releases_everything_once_buffers_are_gone(store, client):
    c = store.client()
    c.create_and_seal(oid("closing"), b"data")
    kept = c.get(oid("closing")).data
    clients_before = client.stats().clients
    c.close()
    with pytest.raises(quiver.StoreUnavailableException, match="closed"):
        c.get(oid("closing"))
    # the socket stays open while a buffer over the arena is alive: the store keeps the reference
    assert refs(client, oid("closing")) == 1
    assert kept.to_pybytes() == b"data"
    with client.subscribe() as sub:
        client.delete(oid("closing"))  # deferred until the reference goes
        del kept
        gc.collect()
        ev = event(sub, lambda e: e.kind == "DELETED" and e.id == oid("closing"))
        assert ev.id == oid("closing")
    assert client.stats().clients < clients_before + 1  # the subscription's connection is counted while open


def test_subscribe_sees_seals_and_deletes(client):
    with client.subscribe() as sub:
        client.create_and_seal(oid("notified"), b"12345", b"m")
        ev = event(sub, lambda e: e.id == oid("notified"))
        assert (ev.kind, ev.data_size, ev.metadata_size, ev.digest) == ("SEALED", 5, 1, _wire.crc32c(b"12345m"))
        client.delete(oid("notified"))
        assert event(sub, lambda e: e.id == oid("notified")).kind == "DELETED"


def test_buffers_from_get_lie_inside_the_mapping_and_see_another_process_poke(client, store):
    client.create_and_seal(oid("poked"), bytes(4096))
    b = client.get(oid("poked"))
    base = ctypes.addressof(ctypes.c_char.from_buffer(client._conn.arena))
    assert base <= b.data.address and b.data.address + b.data.size <= base + client.capacity
    table_id = oid("poked-table")
    client.put_table(table_id, pa.table({"x": np.arange(1000, dtype=np.int64)}))
    t = client.get_table(table_id)
    addr = t.column("x").chunks[0].buffers()[1].address
    assert base <= addr < base + client.capacity

    # another process maps the arena on its own and writes one byte into the object (against the rules, on purpose)
    child = start_python(POKE, store.socket, oid("poked").hex())
    assert expect(child, "poked") == "ok"
    child.wait(timeout=60)
    assert b.data.to_pybytes()[100] == 0x5A


POKE = """
import mmap, sys, quiver
c = quiver.connect(sys.argv[1])
b = c.get(quiver.ObjectId.from_hex(sys.argv[2]))
offset = b.data.address - c._conn.base
with open(c.arena_path, "r+b") as f:
    m = mmap.mmap(f.fileno(), c.capacity)
m[offset + 100] = 0x5A
print("poked ok", flush=True)
"""


def test_a_sigkilled_python_client_has_its_references_released(client, store):
    client.create_and_seal(oid("held-by-child"), b"held")
    child = start_python(HOLD, store.socket, oid("held-by-child").hex())
    assert expect(child, "holding") == "1"
    assert refs(client, oid("held-by-child")) == 1
    with client.subscribe() as sub:
        assert client.delete(oid("held-by-child"))  # deferred: the child holds it
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
        # the store frees the object when the killed client's reference goes: a DELETED notification says so
        ev = event(sub, lambda e: e.id == oid("held-by-child") and e.kind == "DELETED")
        assert ev.kind == "DELETED"
    assert refs(client, oid("held-by-child")) is None


HOLD = """
import sys, quiver
c = quiver.connect(sys.argv[1])
b = c.get(quiver.ObjectId.from_hex(sys.argv[2]))
print("holding", 1, flush=True)
sys.stdin.read()
"""


def test_a_lost_connection_fails_calls_and_keeps_views_readable(store):
    from conftest import Store
    own = Store("64m")
    c = own.client(request_timeout=5)
    c.create_and_seal(oid("survivor"), b"still here")
    view = c.get(oid("survivor")).data
    own.stop()
    with pytest.raises(quiver.StoreUnavailableException):
        c.contains(oid("survivor"))
    assert not c.connected
    assert view.to_pybytes() == b"still here"  # the mapping outlives the store's files
    del view
    gc.collect()


def test_default_socket_follows_the_java_cli(monkeypatch, tmp_path):
    monkeypatch.setenv("QUIVER_SOCKET", "/x/y.sock")
    assert quiver.default_socket() == "/x/y.sock"
    monkeypatch.delenv("QUIVER_SOCKET")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert quiver.default_socket() == str(tmp_path / "quiver.sock")
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    # a user id of its own, so that no real /tmp/quiver-UID of this machine is touched
    uid = 4_000_000 + os.getpid() % 100_000
    monkeypatch.setattr(os, "getuid", lambda: uid)
    assert quiver.default_socket() == f"/tmp/quiver-{uid}/quiver.sock"  # not there yet: the path to try
    d = f"/tmp/quiver-{uid}"
    os.mkdir(d, 0o700)
    try:
        # owned by the real user, not by `uid`: someone else's directory is refused, with what to do
        with pytest.raises(quiver.StoreUnavailableException, match="QUIVER_SOCKET"):
            quiver.default_socket()
    finally:
        os.rmdir(d)


def test_connect_to_nothing_says_what_to_do(tmp_path):
    with pytest.raises(quiver.StoreUnavailableException, match="no store at"):
        quiver.connect(str(tmp_path / "none.sock"))
