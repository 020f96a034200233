"""Streams of Arrow batches, in the format of Java's ``StreamWriter`` and ``StreamReader``.

Stream ``NAME`` names its objects ``SHA-1("quiver.stream/" + NAME)[:12] + seq`` (8 bytes, big-endian): batch
``seq`` is one sealed Arrow IPC stream object (metadata ``application/vnd.apache.arrow.stream``). Sequence number
2**64-1 is the writer's lock: an object created and never sealed while a writer is open (a second writer gets
``ObjectExistsException`` from the store; the store aborts the lock when the writer's process dies). The end of a
stream is an object at the next sequence number with metadata ``application/vnd.quiver.stream-end`` and 8 bytes of
data: the batch count, little-endian.
"""

import collections
import hashlib
import struct

from . import arrow
from .client import NO_WAIT, ObjectId
from .errors import ObjectExistsException, StreamWriterConflictException

END_MEDIA_TYPE = b"application/vnd.quiver.stream-end"
_LOCK = 2 ** 64 - 1

Batch = collections.namedtuple("Batch", "seq table")
Batch.__doc__ = "The next batch: a pyarrow Table over store memory (it holds the batch until garbage-collected)."
Lost = collections.namedtuple("Lost", "from_seq to_seq")
Lost.__doc__ = "Batches [from_seq, to_seq) were removed before this reader got to them; it continues at to_seq."
End = collections.namedtuple("End", "batches")
End.__doc__ = "The writer ended the stream after ``batches`` batches; every later call returns this again."
Timeout = collections.namedtuple("Timeout", "waiting_for")
Timeout.__doc__ = "Batch ``waiting_for`` was not sealed within the timeout; the stream goes on."


class Retention(collections.namedtuple("Retention", "max_batches max_bytes")):
    """How many batches a writer keeps: the newest ``max_batches`` and at most ``max_bytes`` of them."""

    def __new__(cls, max_batches=2 ** 63 - 1, max_bytes=2 ** 63 - 1):
        if max_batches < 1 or max_bytes < 1:
            raise ValueError(f"retention must keep at least one batch and one byte, got {max_batches} batches, "
                             f"{max_bytes} bytes")
        return super().__new__(cls, max_batches, max_bytes)


class _Ids:
    def __init__(self, name):
        if not isinstance(name, str) or not 0 < len(name) <= 200 or not all(0x20 < ord(c) < 0x7F for c in name):
            raise ValueError(f"a stream name is 1 to 200 printable ASCII characters without spaces, got {name!r}")
        self.name = name
        self.prefix = hashlib.sha1(("quiver.stream/" + name).encode("utf-8")).digest()[:12]

    def batch(self, seq):
        return ObjectId(self.prefix + struct.pack(">Q", seq))

    def seq_of(self, oid):
        if bytes(oid[:12]) != self.prefix:
            raise ValueError(f"{oid.hex()} is not an object of stream {self.name}")
        return struct.unpack(">Q", oid[12:])[0]

    @property
    def first(self):
        return self.batch(0)

    @property
    def lock(self):
        return self.batch(_LOCK)


def _is_end(buffer):
    return buffer.metadata.to_pybytes() == END_MEDIA_TYPE


def _is_end_marker(client, info):
    if info.state != "SEALED" or info.data_size != 8 or info.metadata_size != len(END_MEDIA_TYPE):
        return False
    b = client.get(info.id, NO_WAIT)
    if b is None:
        return False
    with b:
        return _is_end(b)


class StreamWriter:
    """Appends batches to a stream; one writer per stream. ``end()`` writes the end marker."""

    def __init__(self, client, ids, retention, lock, next_seq):
        self.client = client
        self._ids = ids
        self.retention = retention
        self._lock = lock
        self.next_seq = next_seq
        self._kept = collections.deque()
        self._kept_bytes = 0
        self._closed = False

    @classmethod
    def open(cls, client, name, retention=None):
        ids = _Ids(name)
        retention = retention or Retention()
        try:
            lock = client.create(ids.lock, 0)
        except ObjectExistsException:
            raise StreamWriterConflictException(
                f"stream '{name}' has a writer already: a stream takes one writer at a time (the other closes, or "
                f"its process ends, first)") from None
        try:
            sealed = [o for o in client.range(ids.first, ids.lock, 2 ** 31 - 1) if o.state == "SEALED"]
            next_seq = ids.seq_of(sealed[-1].id) + 1 if sealed else 0
            if sealed and _is_end_marker(client, sealed[-1]):
                raise ValueError(f"stream '{name}' was ended after {next_seq - 1} batches; it cannot be appended to "
                                 f"(delete it, or use another name)")
            w = cls(client, ids, retention, lock, next_seq)
            for o in sealed:
                w._keep(ids.seq_of(o.id), o.data_size)
            w._apply_retention()
            return w
        except BaseException:
            lock.abort()
            raise

    @property
    def name(self):
        return self._ids.name

    def append(self, batch):
        """Appends a RecordBatch (or Table); returns its sequence number."""
        self._check_open()
        seq = self.next_seq
        size = arrow.put_table(self.client, self._ids.batch(seq), batch)
        self.next_seq += 1
        self._keep(seq, size)
        self._apply_retention()
        return seq

    def end(self):
        """Ends the stream (readers see ``End``) and closes the writer; returns the number of batches."""
        self._check_open()
        self.client.create_and_seal(self._ids.batch(self.next_seq), struct.pack("<q", self.next_seq), END_MEDIA_TYPE)
        self.close()
        return self.next_seq

    def close(self):
        """Gives up the writer's role without ending the stream."""
        if not self._closed:
            self._closed = True
            self._lock.abort()

    def _check_open(self):
        if self._closed:
            raise ValueError(f"the writer of stream '{self.name}' is closed")

    def _keep(self, seq, size):
        self._kept.append((seq, size))
        self._kept_bytes += size

    def _apply_retention(self):
        drop = []
        while len(self._kept) > self.retention.max_batches or (
                self._kept_bytes > self.retention.max_bytes and len(self._kept) > 1):
            seq, size = self._kept.popleft()
            self._kept_bytes -= size
            drop.append(self._ids.batch(seq))
        if drop:
            self.client.delete(drop)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class StreamReader:
    """Reads a stream in order: ``next(timeout_ms)`` returns a Batch, Lost, End or Timeout."""

    def __init__(self, client, ids, position):
        self.client = client
        self._ids = ids
        self.position = position
        self._end = None

    @classmethod
    def open(cls, client, name, start="earliest"):
        """``start``: 'earliest' (the oldest batch kept), 'latest' (the newest sealed), or a sequence number."""
        ids = _Ids(name)
        if start in ("earliest", "latest"):
            position = 0
            for o in client.range(ids.first, ids.lock, 8, descending=start == "latest"):
                if o.state == "SEALED":
                    position = ids.seq_of(o.id)
                    break
        elif isinstance(start, int) and start >= 0:
            position = start
        else:
            raise ValueError(f"start is 'earliest', 'latest' or a sequence number >= 0, got {start!r}")
        return cls(client, ids, position)

    @property
    def name(self):
        return self._ids.name

    def next(self, timeout_ms=1000):
        if self._end is not None:
            return self._end
        ids, client = self._ids, self.client
        b = client.get(ids.batch(self.position), NO_WAIT)
        if b is None:
            later = client.range(ids.batch(self.position), ids.lock, 1)
            if later and ids.seq_of(later[0].id) > self.position:
                return self._lost(ids.seq_of(later[0].id))
            b = client.get(ids.batch(self.position), max(1, timeout_ms))
            if b is None:
                return self._after_timeout()
        with b:
            if _is_end(b):
                self._end = End(struct.unpack("<q", b.data.to_pybytes())[0])
                return self._end
            seq = self.position
            self.position += 1
            return Batch(seq, arrow.read_table(b.data, f"batch {seq} of stream '{self.name}'"))

    def _lost(self, to_seq):
        lost = Lost(self.position, to_seq)
        self.position = to_seq
        return lost

    def _after_timeout(self):
        ids, client = self._ids, self.client
        later = client.range(ids.batch(self.position), ids.lock, 1)
        if later:
            seq = ids.seq_of(later[0].id)
            return self._lost(seq) if seq > self.position else Timeout(self.position)
        before = client.range(ids.first, ids.batch(self.position), 1, descending=True)
        if before and _is_end_marker(client, before[0]):
            self._end = End(ids.seq_of(before[0].id))
            return self._end
        return Timeout(self.position)

    def __iter__(self):
        """Batches until the end (Lost events are yielded too; timeouts are waited through)."""
        while True:
            ev = self.next(1000)
            if isinstance(ev, End):
                return
            if not isinstance(ev, Timeout):
                yield ev
