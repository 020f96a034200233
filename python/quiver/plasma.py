"""A drop-in for ``pyarrow.plasma`` over a Quiver store: ``import quiver.plasma as plasma``.

The names, arguments and return values are Plasma's (pyarrow 0.x-11). Differences:

- ``put``/``get`` serialise with pickle protocol 5 and out-of-band buffers (Plasma used the removed
  ``pyarrow.serialize``): numpy arrays, pandas frames and Arrow tables come back as views of store memory.
- ``hash`` returns the 8-byte little-endian CRC-32C digest that Quiver records (Plasma used its own hash).
- A buffer from ``get_buffers`` holds its store reference until it is garbage-collected (Plasma: until released).
"""

import os
import pickle
import struct

import numpy as np
import pyarrow as pa

from . import client as _client
from ._launcher import start_store
from .client import ObjectId
from .errors import ObjectExistsException, ObjectNotFoundException, StoreFullException

#: Plasma's exception names.
PlasmaObjectExists = ObjectExistsException
PlasmaObjectNotFound = ObjectNotFoundException
PlasmaStoreFull = StoreFullException

#: Metadata of objects written by ``put``: a pickle (protocol 5) with out-of-band buffers.
PICKLE_MEDIA_TYPE = b"application/vnd.quiver.python-pickle5"
_ALIGN = 64


class _NotAvailable:
    def __repr__(self):
        return "ObjectNotAvailable"


#: What ``get`` returns for an object that was not sealed within the timeout.
ObjectNotAvailable = _NotAvailable()


class ObjectID(ObjectId):
    """A 20-byte object id, as Plasma's."""

    @staticmethod
    def from_random():
        return ObjectID(os.urandom(20))

    def __repr__(self):
        return f"ObjectID({self.hex()})"


def _ids(object_ids):
    return [_client.as_id(i) for i in object_ids]


class PlasmaClient:
    """Plasma's client API over a ``quiver.Client``."""

    def __init__(self, store_socket_name):
        self._client = _client.connect(store_socket_name, name="plasma")
        self.store_socket_name = store_socket_name
        self._writing = {}
        self._subscription = None

    @property
    def quiver(self):
        """The underlying ``quiver.Client`` (tables, tensors, shelf, streams)."""
        return self._client

    # --- create / seal

    def create(self, object_id, data_size, metadata=b""):
        """Creates an object; returns a mutable buffer (``pa.FixedSizeBufferWriter`` accepts it). Seal it with
        ``seal(object_id)``."""
        oid = _client.as_id(object_id)
        o = self._client.create(oid, data_size, metadata)
        self._writing[oid] = o
        return o.data

    def seal(self, object_id):
        oid = _client.as_id(object_id)
        o = self._writing.pop(oid, None)
        if o is None:
            raise ObjectNotFoundException(f"object {oid.hex()} is not being written by this client: create it first")
        o.seal()

    def abort(self, object_id):
        oid = _client.as_id(object_id)
        o = self._writing.pop(oid, None)
        if o is None:
            raise ObjectNotFoundException(f"object {oid.hex()} is not being written by this client")
        o.abort()

    def create_and_seal(self, object_id, data, metadata=b""):
        self._client.create_and_seal(object_id, data, metadata)

    def put_raw_buffer(self, value, object_id=None, metadata=b"", memcopy_threads=6):
        oid = _client.as_id(object_id) if object_id is not None else ObjectID.from_random()
        self._client.create_and_seal(oid, value, metadata)
        return ObjectID(oid)

    # --- get

    def get_buffers(self, object_ids, timeout_ms=-1, with_meta=False):
        """Buffers over store memory, None for objects not sealed within ``timeout_ms``; with ``with_meta``,
        ``(metadata bytes, buffer)`` pairs."""
        got = self._client.get(_ids(object_ids), timeout_ms)
        out = []
        for b in got:
            if b is None:
                out.append((None, None) if with_meta else None)
                continue
            data = b.data
            out.append((b.metadata.to_pybytes(), data) if with_meta else data)
            b.release()
        return out

    def get_metadata(self, object_ids, timeout_ms=-1):
        got = self._client.get(_ids(object_ids), timeout_ms)
        out = []
        for b in got:
            out.append(None if b is None else b.metadata)
            if b is not None:
                b.release()
        return out

    def put(self, value, object_id=None, memcopy_threads=6, serialization_context=None):
        """Stores a Python value (pickle protocol 5, large buffers out of band); returns its ObjectID."""
        oid = _client.as_id(object_id) if object_id is not None else ObjectID.from_random()
        buffers = []
        body = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
        raws = [b.raw() for b in buffers]
        header_size = 12 + 8 * len(raws)
        offsets, pos = [], _round(header_size + len(body))
        for r in raws:
            offsets.append(pos)
            pos = _round(pos + r.nbytes)
        total = pos if raws else header_size + len(body)
        with self._client.create(oid, total, PICKLE_MEDIA_TYPE) as o:
            dst = np.frombuffer(o.data, dtype=np.uint8)
            header = struct.pack(f"<IQ{len(raws)}Q", len(raws), len(body), *[r.nbytes for r in raws])
            dst[:header_size] = np.frombuffer(header, dtype=np.uint8)
            dst[header_size:header_size + len(body)] = np.frombuffer(body, dtype=np.uint8)
            for off, r in zip(offsets, raws):
                dst[off:off + r.nbytes] = np.frombuffer(r, dtype=np.uint8)
        return ObjectID(oid)

    def get(self, object_ids, timeout_ms=-1, serialization_context=None):
        """Values stored with ``put`` (views of store memory for their buffers), raw objects as their buffer,
        ``ObjectNotAvailable`` for objects not sealed within ``timeout_ms``. One id gives one value."""
        single = not isinstance(object_ids, (list, tuple))
        ids = [object_ids] if single else object_ids
        out = []
        for b in self._client.get(_ids(ids), timeout_ms):
            if b is None:
                out.append(ObjectNotAvailable)
                continue
            with b:
                out.append(_deserialize(b.data) if b.metadata.equals(pa.py_buffer(PICKLE_MEDIA_TYPE)) else b.data)
        return out[0] if single else out

    # --- the rest

    def contains(self, object_id):
        return self._client.contains(object_id)

    def delete(self, object_ids):
        self._client.delete(_ids(object_ids))

    def release(self, object_id):
        """Plasma's explicit release; here references go when their buffers are garbage-collected."""

    def hash(self, object_id):
        return struct.pack("<Q", self._client.hash(object_id))

    def evict(self, num_bytes):
        return self._client.evict(num_bytes).bytes

    def store_capacity(self):
        return self._client.capacity

    def list(self):
        out = {}
        for o in self._client.list():
            out[ObjectID(o.id)] = {
                "data_size": o.data_size,
                "metadata_size": o.metadata_size,
                "ref_count": o.ref_count,
                "create_time": o.create_time_millis // 1000,
                "construct_duration": -1 if o.construct_nanos < 0 else o.construct_nanos // 1_000_000_000,
                "state": o.state.lower(),
            }
        return out

    def subscribe(self):
        if self._subscription is None:
            self._subscription = self._client.subscribe()

    def get_next_notification(self):
        """``(ObjectID, data_size, metadata_size)`` of the next seal; sizes are -1 for a deletion."""
        if self._subscription is None:
            raise ValueError("call subscribe() first")
        ev = self._subscription.next()
        if ev.kind == "DELETED":
            return ObjectID(ev.id), -1, -1
        return ObjectID(ev.id), ev.data_size, ev.metadata_size

    def debug_string(self):
        return repr(self._client.stats())

    def disconnect(self):
        self._writing.clear()
        self._client.close()


def _round(n):
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def _deserialize(data):
    n, body_len = struct.unpack_from("<IQ", data)
    sizes = struct.unpack_from(f"<{n}Q", data, 12)
    header_size = 12 + 8 * n
    body = data.slice(header_size, body_len)
    pos = _round(header_size + body_len)
    buffers = []
    for size in sizes:
        buffers.append(data.slice(pos, size))
        pos = _round(pos + size)
    return pickle.loads(body, buffers=buffers)


def connect(store_socket_name, manager_socket_name="", release_delay=0, num_retries=-1):
    """Connects to the store on ``store_socket_name``; the other arguments of old Plasma versions are ignored."""
    return PlasmaClient(store_socket_name)


def start_plasma_store(plasma_store_memory, use_valgrind=False, use_profiler=False, plasma_directory=None,
                       use_hugepages=False, external_store=None):
    """Starts a Java Quiver store of ``plasma_store_memory`` bytes; a context manager yielding
    ``(socket_name, process)``, as Plasma's. Finds the store through ``QUIVER_HOME`` or the repository's
    ``bin/quiver``."""
    return start_store(plasma_store_memory, directory=plasma_directory, huge_pages=use_hugepages)
