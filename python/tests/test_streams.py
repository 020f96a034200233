"""A stream writer's lock, held as Java's StreamWriter holds it: sealed and deleted at once while the writer keeps its
reference, freed (and announced) when the writer lets go, taken over when nobody holds it."""

import math

import pyarrow as pa
import pytest

import quiver
from quiver import streams


def lock_of(name):
    return streams._Ids(name).lock


def test_an_open_writer_holds_its_lock_sealed_deleted_and_referenced(client):
    lock = lock_of("held")
    with client.stream_writer("held") as w:
        w.append(pa.record_batch({"x": [0]}))
        [info] = [o for o in client.list() if o.id == lock]
        assert (info.state, info.ref_count) == ("SEALED", 1)
        assert not client.contains(lock) and client.get(lock) is None  # deleted: invisible, its id still reserved
        with pytest.raises(quiver.StreamWriterConflictException, match="has a writer already"):
            client.stream_writer("held")
    assert all(o.id != lock for o in client.list())  # freed with the writer's reference
    assert client.stream_reader("held").next(1000).table.column("x").to_pylist() == [0]


@pytest.mark.parametrize("let_go", ["close", "end"])
def test_a_writer_letting_go_is_announced(client, let_go):
    name = f"announced-{let_go}"
    with client.subscribe() as events:
        w = client.stream_writer(name)
        getattr(w, let_go)()
        marker = quiver.ObjectId.random()
        client.create_and_seal(marker, b"m")  # sealed after the writer let go: the store announces in its order
        seen = []
        while not seen or seen[-1].id != marker:
            ev = events.next(60)
            assert ev is not None, "no notification within a minute"
            seen.append(ev)
    assert [e.kind for e in seen if e.id == lock_of(name)] == ["SEALED", "DELETED"]


def test_a_sealed_lock_nobody_holds_is_taken_over(client):
    lock = lock_of("left-behind")
    with client.create(lock, 0):  # sealed, then released: what a writer killed between its seal and delete leaves
        pass
    with client.stream_writer("left-behind") as w:
        assert w.append(pa.record_batch({"x": [0]})) == 0
        [info] = [o for o in client.list() if o.id == lock]
        assert (info.state, info.ref_count) == ("SEALED", 1)  # the new writer's own lock


def test_an_unsealed_lock_is_not_taken_over(client):
    lock = lock_of("unsealed-lock")
    held = client.create(lock, 0)  # a writer of the old scheme, still running
    with pytest.raises(quiver.StreamWriterConflictException, match="kept its writer for 0.05 s"):
        client.stream_writer("unsealed-lock", writer_wait=0.05)
    assert [o.state for o in client.list() if o.id == lock] == ["CREATED"]
    held.abort()


@pytest.mark.parametrize("bad, error, message", [
    (-1, ValueError, "writer_wait must be a finite number of seconds >= 0, got -1"),
    (math.inf, ValueError, "must be a finite number"), (math.nan, ValueError, "must be a finite number"),
    ("1", TypeError, "writer_wait is a number of seconds, got '1'"), (True, TypeError, "is a number of seconds"),
    (None, TypeError, "is a number of seconds")])
def test_a_bad_writer_wait_is_refused_and_changes_nothing(client, bad, error, message):
    with pytest.raises(error, match=message):
        client.stream_writer("bad-wait", writer_wait=bad)
    ids = streams._Ids("bad-wait")
    assert all(o.id[:12] != ids.prefix for o in client.list())
