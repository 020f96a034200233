"""PUBLISH (0x14): an unsealed object its creator makes gettable while it goes on writing it; it cannot be aborted
after, a close or a failed ``with`` block seals it, and the store seals it as it is when its creator goes away."""

import signal
import time

import numpy as np
import pytest

import quiver
from quiver import _wire
from conftest import expect, start_python


def state(client, oid):
    return [o.state for o in client.list() if o.id == oid]


@pytest.fixture
def other(store):
    c = store.client(name="other")
    yield c
    c.close()


def test_a_published_object_is_gettable_while_its_writer_goes_on_writing(client, other):
    oid = quiver.ObjectId.random()
    o = client.create(oid, 16)
    mem = np.frombuffer(o.data, dtype=np.uint8)
    mem[:] = 0
    assert other.get(oid, timeout_ms=0) is None
    o.publish()
    assert o.published
    b = other.get(oid, timeout_ms=0)
    seen = np.frombuffer(b.data, dtype=np.uint8)
    assert seen.tolist() == [0] * 16 and state(client, oid) == ["CREATED"]
    mem[:4] = [1, 2, 3, 4]  # written after the publish: the reader sees the same memory
    assert seen[:4].tolist() == [1, 2, 3, 4]
    o.publish()  # again: nothing changes
    del mem
    o.close()  # published: sealed, not aborted
    assert state(client, oid) == ["SEALED"]
    assert client.hash(oid) == _wire.digest(np.array([1, 2, 3, 4] + [0] * 12, dtype=np.uint8))
    del seen
    b.release()


def test_a_published_object_cannot_be_aborted(client, other):
    oid = quiver.ObjectId.random()
    o = client.create(oid, 8)
    o.publish()
    with pytest.raises(ValueError, match="cannot abort object .*: it is published, and readers may hold it; seal it"):
        o.abort()
    assert state(client, oid) == ["CREATED"] and other.get(oid) is not None  # unchanged, still gettable
    with pytest.raises(quiver.InvalidRequestException, match="published"):  # and the store refuses it too
        client._conn.call(_wire.ABORT, bytes(oid))
    with pytest.raises(RuntimeError):
        with o:
            raise RuntimeError("a failure while writing")
    assert state(client, oid) == ["SEALED"]  # the with block sealed it as it was
    with pytest.raises(ValueError, match="sealed: it can no longer be written"):
        o.publish()


def test_close_aborts_an_object_that_was_not_published(client):
    oid = quiver.ObjectId.random()
    o = client.create(oid, 8)
    o.close()
    assert state(client, oid) == []
    client.create_and_seal(oid, b"free again")


PUBLISHER = """
import sys, numpy as np, quiver
c = quiver.connect(sys.argv[1])
o = c.create(quiver.ObjectId.from_hex(sys.argv[2]), 8)
mem = np.frombuffer(o.data, dtype=np.uint8)
mem[:] = 7
o.publish()
mem[:3] = [1, 2, 3]
print("published", flush=True)
sys.stdin.readline()  # killed here
"""

UNPUBLISHED = PUBLISHER.replace("o.publish()", "pass")


@pytest.mark.parametrize("published", [True, False])
def test_when_its_creator_dies_a_published_object_is_sealed_as_it_is_and_an_unpublished_one_goes(
        store, client, published):
    oid = quiver.ObjectId.random()
    py = start_python(PUBLISHER if published else UNPUBLISHED, store.socket, oid.hex())
    assert expect(py, "published", guard=60) == ""
    assert state(client, oid) == ["CREATED"]
    py.send_signal(signal.SIGKILL)
    py.wait(timeout=60)
    deadline = time.monotonic() + 60  # a hang guard while the store notices the closed socket
    while state(client, oid) == ["CREATED"]:
        assert time.monotonic() < deadline
    if published:
        assert state(client, oid) == ["SEALED"]
        b = client.get(oid)
        assert b.data.to_pybytes() == bytes([1, 2, 3, 7, 7, 7, 7, 7])
        assert client.hash(oid) == _wire.digest(b.data)
        b.release()
    else:
        assert state(client, oid) == []
