"""Streams of Arrow batches, in the format of Java's ``StreamWriter`` and ``StreamReader``.

Stream ``NAME`` names its objects ``SHA-1("quiver.stream/" + NAME)[:12] + seq`` (8 bytes, big-endian): batch
``seq`` is one sealed Arrow IPC stream object (metadata ``application/vnd.apache.arrow.stream``). The end of a
stream is an object at the next sequence number with metadata ``application/vnd.quiver.stream-end`` and 8 bytes of
data: the batch count, little-endian.

Sequence number 2**64-1 is the writer's lock, held as Java's ``StreamWriter`` holds it: an empty object that the
writer creates (a second writer gets ``ObjectExistsException`` from the store), then seals and deletes at once while
keeping its creator's reference. The delete is deferred, so the id stays reserved (invisible to gets and ``RANGE``)
until the writer closes or its process dies; then the store frees the lock and announces ``DELETED`` to subscribers,
which is what a writer waiting for the stream (``writer_wait``) listens for. A sealed lock that nobody holds (its
writer died between the seal and the delete) is deleted by the next writer.
"""

import collections
import hashlib
import math
import numbers
import struct
import time

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


class _LockHold:
    """Keeps the creator's reference of a sealed lock: the client releases it when the lock's (empty) data buffer is
    garbage-collected, so holding that buffer is holding the lock, and dropping it lets the lock go."""

    def __init__(self, lock):
        self._buffer = lock.data  # taken before the seal, which makes the handle refuse it

    def release(self):
        self._buffer = None  # the last view: the client sends the release now (CPython frees it at once)


def _take_lock(client, ids):
    try:
        return client.create(ids.lock, 0)
    except ObjectExistsException as exists:
        error = exists
    # A lock still visible and unreferenced was left by a writer that died between its seal and its delete: nobody
    # holds it, so it goes. A held one (a live writer) is only marked deleted, as its writer did itself.
    if client.delete([ids.lock])[0] == "DELETED":
        try:
            return client.create(ids.lock, 0)
        except ObjectExistsException as again:
            error = again  # another writer took it meanwhile
    raise StreamWriterConflictException(
        f"stream '{ids.name}' has a writer already: a stream takes one writer at a time (the other closes, or its "
        f"process ends, first; or open with writer_wait to wait for it)") from error


def _await_freed(events, lock, deadline):
    """Waits until the store announces that ``lock`` was freed; False if the deadline passes first."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ev = events.next(left)
        if ev is not None and ev.kind == "DELETED" and ev.id == lock:
            return True


class StreamWriter:
    """Appends batches to a stream; one writer per stream. ``end()`` writes the end marker."""

    def __init__(self, client, ids, retention, hold, next_seq):
        self.client = client
        self._ids = ids
        self.retention = retention
        self._hold = hold
        self.next_seq = next_seq
        self._kept = collections.deque()
        self._kept_bytes = 0
        self._closed = False

    @classmethod
    def open(cls, client, name, retention=None, writer_wait=0):
        """Opens stream ``name`` for writing: a new stream starts at 0, an existing one continues after its last
        sealed batch.

        ``writer_wait`` (seconds, default 0) is how long to wait for the stream's current writer to let go (close,
        end, or its process ends), as Java's ``StreamWriter.open(arrow, name, retention, writerWait)``: the wait is
        woken by the store's notice that the writer's lock was freed, on a subscription opened only if the stream
        is taken. Raises ``StreamWriterConflictException`` if the stream still has another writer after the wait,
        ``ValueError`` if the stream was ended.
        """
        if isinstance(writer_wait, bool) or not isinstance(writer_wait, numbers.Real):
            raise TypeError(f"writer_wait is a number of seconds, got {writer_wait!r}")
        if not 0 <= writer_wait < math.inf:
            raise ValueError(f"writer_wait must be a finite number of seconds >= 0, got {writer_wait!r}")
        try:
            return cls._open(client, name, retention)
        except StreamWriterConflictException:
            if writer_wait == 0:
                raise
        deadline = time.monotonic() + writer_wait
        lock = _Ids(name).lock
        with client.subscribe() as events:
            last = False
            while True:
                try:
                    return cls._open(client, name, retention)  # tried after subscribing: no release goes unnoticed
                except StreamWriterConflictException as e:
                    if last:
                        raise StreamWriterConflictException(
                            f"stream '{name}' kept its writer for {writer_wait} s (the wait allowed): is another "
                            f"writer still running? Stop it, or wait longer") from e
                    # One more try at the deadline: a lock that was never sealed (a writer of an older version of
                    # Quiver) goes without a notice.
                    last = not _await_freed(events, lock, deadline)

    @classmethod
    def _open(cls, client, name, retention):
        ids = _Ids(name)
        retention = retention or Retention()
        lock = _take_lock(client, ids)
        hold = _LockHold(lock)
        try:
            # Sealed, then deleted while referenced: the id stays reserved until this writer lets go, and its end is
            # announced to subscribers (an unsealed object's abort is not), which is what waiting writers watch.
            lock.seal()
            client.delete([ids.lock])
            sealed = [o for o in client.range(ids.first, ids.lock, 2 ** 31 - 1) if o.state == "SEALED"]
            next_seq = ids.seq_of(sealed[-1].id) + 1 if sealed else 0
            if sealed and _is_end_marker(client, sealed[-1]):
                raise ValueError(f"stream '{name}' was ended after {next_seq - 1} batches; it cannot be appended to "
                                 f"(delete it, or use another name)")
            w = cls(client, ids, retention, hold, next_seq)
            for o in sealed:
                w._keep(ids.seq_of(o.id), o.data_size)
            w._apply_retention()
            return w
        except BaseException:
            hold.release()
            lock.abort()  # if the seal did not happen
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
            self._hold.release()

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
