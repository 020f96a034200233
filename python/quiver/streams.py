"""Streams of Arrow batches as a log in shared memory, in the format of docs/stream-log.md (version 1), which Java's
``StreamWriter`` and ``StreamReader`` follow too.

Stream ``NAME`` names its objects ``SHA-1("quiver.stream/" + NAME)[:12] + n`` (8 bytes, big-endian). Object ``n`` is
segment ``n`` of the log: a 256-byte header, then frames (SCHEMA, BATCH..., NEXT or END). The writer creates a
segment, writes its header and SCHEMA frame, and *publishes* it (``WritableObject.publish``): readers get it while the
writer goes on appending. Each append writes a frame after the segment's PUBLISHED count, then raises PUBLISHED (an
aligned 8-byte store), adds 1 to the WAKE word and wakes the readers that sleep on it (a futex). Readers follow
PUBLISHED without asking the store, and load each batch zero-copy from the segment.

Memory order: PUBLISHED is written after the frame's bytes and read before them, with plain aligned 8-byte accesses;
on x86-64 (total store order) those are release stores and acquire loads. Other architectures need fences that
Python cannot issue.

Sequence number 2**64-1 is the writer's lock, held as Java's ``StreamWriter`` holds it: an empty object that the
writer creates (a second writer gets ``ObjectExistsException`` from the store), then seals and deletes at once while
keeping its creator's reference. The delete is deferred, so the id stays reserved (invisible to gets and ``RANGE``)
until the writer closes or its process dies; then the store frees the lock and announces ``DELETED`` to subscribers,
which is what a writer waiting for the stream (``writer_wait``) listens for. A sealed lock that nobody holds (its
writer died between the seal and the delete) is deleted by the next writer.

Readers' positions are visible (docs/stream-log.md section 6): each reader publishes a 128-byte *cursor* object,
``SHA-1("quiver.stream-cursor/" + NAME)[:12] + 8 random bytes``, with its pid, the batch it waits for, its segment and
offset, and its losses, updated in place after every event. ``quiver streams``, Java's ``Streams`` and the store's
metrics read it; the writer keeps the next sequence number in each segment's header (offset 72) for their lag figures.
A reader seals and deletes its cursor when closed; the store seals the cursor of a reader whose process died.
"""

import collections
import ctypes
import hashlib
import math
import numbers
import os
import random
import struct
import time

import numpy as np
import pyarrow as pa

from . import _wire
from .client import NO_WAIT, ObjectId
from .errors import ArrowFormatException, ObjectExistsException, QuiverException, StreamWriterConflictException

try:  # futex wait/wake on the WAKE word; without it readers poll (see _sleep_on)
    from . import _futex
except ImportError:  # pragma: no cover - depends on the branch being merged
    _futex = None

_LOCK = 2 ** 64 - 1
MAGIC = b"QVRLOG01"
HEADER = 256
_SEGNO, _FIRST_SEQ, _CAPACITY, _PID, _FLAGS, _PUBLISHED, _NEXT_SEQ, _WAKE = 8, 16, 24, 32, 40, 64, 72, 128
_NEXT_SEQ_KEPT = 1  # a flag: the writer keeps NEXT_SEQ
CURSOR_MAGIC = b"QVRCUR01"
_CURSOR_SIZE = 128
_C_PID, _C_NEXT, _C_SEGMENT, _C_LOST = 8, 64, 72, 88  # pid, start time | NEXT | SEGMENT, OFFSET | LOST, LOSSES
_FRAME = struct.Struct("<IIqqII")  # length, type, seq, append time (ns), body length, reserved
SCHEMA, BATCH, NEXT, END = 1, 2, 3, 4
EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"
MIN_SEGMENT, MAX_SEGMENT = 64 * 1024, 1024 * 1024
_SPIN_NS = 30_000   # how long a reader spins on PUBLISHED before it sleeps on WAKE
_SLICE = 0.1        # the longest sleep on WAKE; after each one a reader checks whether the writer is still there
_POLL = 200e-6      # the sleep between looks at PUBLISHED when futexes are not available
_now_ns = time.time_ns  # the append time of a batch (a test sets its own clock)

Batch = collections.namedtuple("Batch", "seq table")
Batch.__doc__ = ("The next batch: a pyarrow Table over store memory (it keeps its segment referenced until it is "
                 "garbage-collected).")
Lost = collections.namedtuple("Lost", "from_seq to_seq")
Lost.__doc__ = "Batches [from_seq, to_seq) were removed before this reader got to them; it continues at to_seq."
End = collections.namedtuple("End", "batches")
End.__doc__ = "The writer ended the stream after ``batches`` batches; every later call returns this again."
Timeout = collections.namedtuple("Timeout", "waiting_for writer_alive")
Timeout.__doc__ = ("Batch ``waiting_for`` was not published within the timeout; the stream goes on. ``writer_alive``: "
                   "whether a writer was still writing the stream when the wait ended (False: it closed or died, and "
                   "nobody has taken the stream over yet).")


class Retention(collections.namedtuple("Retention", "max_batches max_bytes max_age")):
    """How much of a stream a writer keeps: about the newest ``max_batches`` batches, ``max_bytes`` bytes of segments,
    and (if ``max_age`` seconds is given) segments whose newest batch is younger than that.

    Retention drops whole segments, oldest first, at an append, never the segment being written: it keeps between
    about three quarters of each limit and the limit (a segment holds at most a quarter of it).
    """

    def __new__(cls, max_batches=2 ** 63 - 1, max_bytes=2 ** 63 - 1, max_age=None):
        if max_batches < 1 or max_bytes < 1:
            raise ValueError(f"retention must keep at least one batch and one byte, got {max_batches} batches, "
                             f"{max_bytes} bytes")
        if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, numbers.Real)
                                    or not 0 < max_age < math.inf):
            raise ValueError(f"max_age is a finite number of seconds > 0 (or None: no age limit), got {max_age!r}")
        return super().__new__(cls, max_batches, max_bytes, max_age)

    def segment_size(self):
        """The usual data size of a segment: a quarter of the byte limit, from 64 KiB to 8 MiB."""
        return min(MAX_SEGMENT, max(MIN_SEGMENT, self.max_bytes // 4)) // 64 * 64

    def segment_batches(self):
        """The most batches a segment holds: a quarter of the batch limit, at least 1."""
        return max(1, self.max_batches // 4)


class _Ids:
    def __init__(self, name):
        if not isinstance(name, str) or not 0 < len(name) <= 200 or not all(0x20 < ord(c) < 0x7F for c in name):
            raise ValueError(f"a stream name is 1 to 200 printable ASCII characters without spaces, got {name!r}")
        self.name = name
        self.prefix = hashlib.sha1(("quiver.stream/" + name).encode("utf-8")).digest()[:12]
        self.cursor_prefix = hashlib.sha1(("quiver.stream-cursor/" + name).encode("utf-8")).digest()[:12]
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        self.metadata = f'application/vnd.quiver.stream-log; stream="{quoted}"'.encode("ascii")
        self.cursor_metadata = f'application/vnd.quiver.stream-cursor; stream="{quoted}"'.encode("ascii")

    def segment(self, n):
        return ObjectId(self.prefix + struct.pack(">Q", n))

    def cursor(self, n):
        return ObjectId(self.cursor_prefix + struct.pack(">Q", n))

    def segno(self, oid):
        if bytes(oid[:12]) != self.prefix:
            raise ValueError(f"{oid.hex()} is not an object of stream {self.name}")
        return struct.unpack(">Q", oid[12:])[0]

    @property
    def first(self):
        return self.segment(0)

    @property
    def lock(self):
        return self.segment(_LOCK)


def _align(n, to=8):
    return (n + to - 1) // to * to


def _u64(address):
    return ctypes.c_uint64.from_address(address)


def _u32(address):
    return ctypes.c_uint32.from_address(address)


def _sleep_on(arena, offset, value, timeout):
    """Sleeps while the 32-bit word at ``arena[offset]`` holds ``value``, up to ``timeout`` seconds (a futex wait
    when ``quiver._futex`` is there, else one short poll interval); returns early on a wake."""
    if _futex is not None and _futex.is_supported():
        _futex.wait(arena, offset, value, timeout)
    else:
        time.sleep(min(_POLL, timeout))


def _wake_all(arena, offset):
    if _futex is not None and _futex.is_supported():
        _futex.wake(arena, offset, 2 ** 31 - 1)


def _has_dictionaries(types):
    for t in types:
        if pa.types.is_dictionary(t) or _has_dictionaries(t.field(i).type for i in range(t.num_fields)):
            return True
    return False


class _Frames:
    """The frames of one segment that readers may read: a pyarrow Buffer over the segment's data, its header checked.
    """

    def __init__(self, buf, n, where):
        self.buf, self.n, self.where = buf, n, where
        self.address = buf.address
        if buf.size < HEADER or bytes(buf[:8]) != MAGIC:
            raise ArrowFormatException(
                f"segment {n} of {where} is not a stream log segment (no {MAGIC.decode()} header): the stream was "
                f"written by an older version of Quiver; delete it (quiver streams rm NAME) and write it again")
        segno, self.first_seq, capacity = struct.unpack_from("<QqQ", buf, _SEGNO)
        if segno != n or capacity != buf.size:
            raise ArrowFormatException(f"segment {n} of {where} has a bad header: segment number {segno}, capacity "
                                       f"{capacity} for an object of {buf.size} bytes")

    def published(self):
        """Bytes of complete frames after the header (an acquire load: the frames below it are complete)."""
        p = _u64(self.address + _PUBLISHED).value
        if p > self.buf.size - HEADER or p % 8:
            raise ArrowFormatException(f"segment {self.n} of {self.where} publishes {p} bytes, outside its "
                                       f"{self.buf.size - HEADER} bytes of frames")
        return p

    def wake_word(self):
        return _u32(self.address + _WAKE).value

    def frame(self, offset, limit):
        """(length, type, seq, time, body length) of the frame at ``offset``, checked to end by ``limit``."""
        if limit - offset < _FRAME.size:
            raise ArrowFormatException(f"segment {self.n} of {self.where}: a frame at {offset} is cut at {limit}")
        length, ftype, seq, t, body, _ = _FRAME.unpack_from(self.buf, offset)
        if length % 8 or length < _FRAME.size or offset + length > limit or not SCHEMA <= ftype <= END \
                or body > length - _FRAME.size:
            raise ArrowFormatException(
                f"segment {self.n} of {self.where} has a bad frame at offset {offset}: length {length}, type {ftype}, "
                f"body {body} (frames end at {limit})")
        return length, ftype, seq, t, body

    def scan(self):
        """Every published frame, as (offset, length, type, seq, time, body length)."""
        end = HEADER + self.published()
        offset = HEADER
        while offset < end:
            f = self.frame(offset, end)
            yield (offset,) + f
            offset += f[0]

    def schema_message(self):
        """The SCHEMA frame's IPC Schema message (without the end-of-stream marker), a slice of the segment."""
        length, ftype, _seq, _t, body = self.frame(HEADER, HEADER + self.published())
        if ftype != SCHEMA or body < 8:
            raise ArrowFormatException(f"segment {self.n} of {self.where} does not start with a SCHEMA frame")
        return self.buf.slice(HEADER + _FRAME.size, body - 8)


class _Virtual:
    """A file-like object over several pyarrow Buffers, one after the other: ``read_buffer`` hands out slices of them
    (pyarrow's IPC reader keeps those slices as its arrays' buffers, so nothing is copied). Used for a batch with
    dictionaries, which pyarrow reads only as part of an IPC stream: the segment's schema message, then the batch."""

    closed = False

    def __init__(self, parts):
        self._parts = collections.deque(p for p in parts if p.size)

    def read_buffer(self, n):
        if not self._parts:
            return pa.py_buffer(b"")
        head = self._parts[0]
        if n < 0 or n >= head.size:
            self._parts.popleft()
            if n < 0 or n == head.size or not self._parts:
                return head
            rest = self.read_buffer(n - head.size)  # a read across parts: pyarrow reads message by message, so
            return pa.py_buffer(head.to_pybytes() + rest.to_pybytes())  # only a torn message gets here
        self._parts[0] = head.slice(n)
        return head.slice(0, n)

    def read(self, n=-1):
        return self.read_buffer(n).to_pybytes()

    def readable(self):
        return True

    def seekable(self):
        return False

    def writable(self):
        return False

    def close(self):
        self.closed = True


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


class _LockHold:
    """Keeps the creator's reference of a sealed lock: the client releases it when the lock's (empty) data buffer is
    garbage-collected, so holding that buffer is holding the lock, and dropping it lets the lock go."""

    def __init__(self, lock):
        self._buffer = lock.data  # taken before the seal, which makes the handle refuse it

    def release(self):
        self._buffer = None  # the last view: the client sends the release now (CPython frees it at once)


def _await_freed(events, lock, deadline):
    """Waits until the store announces that ``lock`` was freed; False if the deadline passes first."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ev = events.next(left)
        if ev is not None and ev.kind == "DELETED" and ev.id == lock:
            return True


_Kept = collections.namedtuple("_Kept", "n batches size newest_ns")


class _Writing:
    """The segment a writer appends to: its WritableObject and a numpy view of its data."""

    def __init__(self, client, obj, n, schema):
        self.obj, self.n, self.schema = obj, n, schema
        conn = client._conn
        self.arena = conn.arena
        self.offset = obj._offset  # of the data in the arena
        self.address = conn.base + self.offset
        self.mem = np.frombuffer(obj.data, dtype=np.uint8)
        self.capacity = self.mem.size
        self.used = HEADER  # offset of the next frame
        self.batches = 0
        self.newest_ns = 0

    def write_frame(self, ftype, seq, body_len=0, t=None):
        """Writes a frame's header at ``used`` (its body is in place already) and zeroes its padding; returns its
        length. Not published yet."""
        length = _align(_FRAME.size + body_len)
        self.mem[self.used + _FRAME.size + body_len:self.used + length] = 0
        _FRAME.pack_into(self.mem, self.used, length, ftype, seq, _now_ns() if t is None else t, body_len, 0)
        return length

    def publish(self, length, next_seq):
        """Publishes the frame just written (PUBLISHED after its bytes, and after NEXT_SEQ: the seq the next batch
        gets), then wakes the readers."""
        self.used += length
        _u64(self.address + _NEXT_SEQ).value = next_seq
        _u64(self.address + _PUBLISHED).value = self.used - HEADER
        wake = _u32(self.address + _WAKE)
        wake.value = (wake.value + 1) & 0xFFFFFFFF
        _wake_all(self.arena, self.offset + _WAKE)

    def seal(self):
        self.mem = None  # the last view of the block besides the handle's: the creator's reference goes with the seal
        self.obj.seal()


class StreamWriter:
    """Appends batches to a stream; one writer per stream. ``end()`` writes the end; ``close()`` lets the stream go
    without ending it (another writer may continue it)."""

    def __init__(self, client, ids, retention, hold, next_seq, next_segment, kept, schema):
        self.client = client
        self._ids = ids
        self.retention = retention
        self._hold = hold
        self.next_seq = next_seq
        self._next_segment = next_segment
        self._kept = collections.deque(kept)  # segments before the one being written, oldest first
        self._schema = schema                 # of the newest segment, for an END written before any append
        self._seg = None
        self._closed = False

    @classmethod
    def open(cls, client, name, retention=None, writer_wait=0):
        """Opens stream ``name`` for writing: a new stream starts at 0, an existing one continues after its last
        published batch, in a new segment.

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
        if retention is not None and not isinstance(retention, Retention):
            raise TypeError(f"retention is a quiver.streams.Retention, got {retention!r}")
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
            kept, next_seq, schema, next_segment = cls._existing(client, ids)
            return cls(client, ids, retention, hold, next_seq, next_segment, kept, schema)
        except BaseException:
            hold.release()
            lock.abort()  # if the seal did not happen
            raise

    @staticmethod
    def _existing(client, ids):
        """The segments a stream has (as _Kept), the next seq, the newest segment's schema and the next segment
        number; ValueError if the stream was ended."""
        kept, next_seq, schema = [], 0, None
        infos = client.range(ids.first, ids.lock, 2 ** 31 - 1)
        for i in range(0, len(infos), _wire.MAX_BATCH):
            chunk = infos[i:i + _wire.MAX_BATCH]
            for info, b in zip(chunk, client.get([o.id for o in chunk], NO_WAIT)):
                if b is None:
                    continue  # deleted or evicted meanwhile (none is unpublished: this writer has the lock)
                with b:
                    seg = _Frames(b.data, ids.segno(info.id), f"stream '{ids.name}'")
                    batches, newest, last = 0, 0, None
                    for _off, _len, ftype, seq, t, _body in seg.scan():
                        if ftype == BATCH:
                            batches, newest = batches + 1, t
                        last = (ftype, seq)
                    kept.append(_Kept(seg.n, batches, info.data_size, newest))
                    if last is None:
                        continue
                    if last[0] == END:
                        raise ValueError(f"stream '{ids.name}' was ended after {last[1]} batches; it cannot be "
                                         f"appended to (delete it with quiver streams rm {ids.name}, or use another "
                                         f"name)")
                    next_seq = last[1] + 1 if last[0] == BATCH else last[1]
                    schema = pa.ipc.read_schema(seg.schema_message())
        return kept, next_seq, schema, ids.segno(infos[-1].id) + 1 if infos else 0

    @property
    def name(self):
        return self._ids.name

    def append(self, batch):
        """Appends a RecordBatch (or a Table, as one batch); returns its sequence number."""
        self._check_open()
        batch = _as_batch(batch)
        schema = batch.schema
        counter = pa.MockOutputStream()
        _write_ipc(counter, batch)
        size = counter.size()  # the schema message, the batch's messages and the end-of-stream marker
        room = _align(_FRAME.size + size)  # written in place, then moved down over the schema message
        seg = self._seg
        if seg is None or not seg.schema.equals(schema, check_metadata=True) \
                or seg.batches >= self.retention.segment_batches() or seg.used + room + _FRAME.size > seg.capacity:
            seg = self._roll(schema, room)
        seq = self.next_seq
        start = seg.used + _FRAME.size
        sink = pa.FixedSizeBufferWriter(pa.py_buffer(seg.mem[start:start + size]))
        _write_ipc(sink, batch)
        sink.close()
        schema_len = 8 + struct.unpack_from("<i", seg.mem, start + 4)[0]
        body = size - schema_len
        ctypes.memmove(seg.address + start, seg.address + start + schema_len, body)
        now = _now_ns()
        seg.publish(seg.write_frame(BATCH, seq, body, now), seq + 1)
        seg.batches += 1
        seg.newest_ns = now
        self.next_seq += 1
        self._apply_retention()
        return seq

    def end(self):
        """Ends the stream (readers see ``End``) and closes the writer; returns the number of batches."""
        self._check_open()
        seg = self._seg or self._roll(self._schema or pa.schema([]), 0)
        seg.publish(seg.write_frame(END, self.next_seq), self.next_seq)
        self.close()
        return self.next_seq

    def close(self):
        """Gives up the writer's role without ending the stream: the segment being written is sealed as it is."""
        if not self._closed:
            self._closed = True
            try:
                if self._seg is not None:
                    self._seg.seal()
                    self._seg = None
            finally:
                self._hold.release()

    def _check_open(self):
        if self._closed:
            raise ValueError(f"the writer of stream '{self.name}' is closed")

    def _roll(self, schema, room):
        """Starts the next segment (its header and SCHEMA frame, published), with ``room`` for a first frame; ends the
        current one with NEXT, seals it and keeps it for retention."""
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, schema):
            pass
        schema_body = sink.getvalue()  # the schema message and the end-of-stream marker
        schema_frame = _align(_FRAME.size + schema_body.size)
        size = max(self.retention.segment_size(), _align(HEADER + schema_frame + room + _FRAME.size, 64))
        n = self._next_segment
        obj = self.client.create(self._ids.segment(n), size, self._ids.metadata)
        try:
            seg = _Writing(self.client, obj, n, schema)
            seg.mem[:HEADER] = 0  # store memory is not zeroed on create
            seg.mem[:8] = np.frombuffer(MAGIC, dtype=np.uint8)
            struct.pack_into("<QqQqQ", seg.mem, _SEGNO, n, self.next_seq, seg.capacity, os.getpid(), _NEXT_SEQ_KEPT)
            seg.mem[HEADER + _FRAME.size:HEADER + _FRAME.size + schema_body.size] = np.frombuffer(schema_body, np.uint8)
            seg.publish(seg.write_frame(SCHEMA, self.next_seq, schema_body.size), self.next_seq)
            obj.publish()
        except BaseException:
            seg = None
            obj.abort()
            raise
        self._next_segment = n + 1
        old = self._seg
        if old is not None:
            old.publish(old.write_frame(NEXT, self.next_seq), self.next_seq)
            old.seal()
            self._kept.append(_Kept(old.n, old.batches, old.capacity, old.newest_ns))
        self._seg, self._schema = seg, schema
        return seg

    def _apply_retention(self):
        r, seg = self.retention, self._seg
        batches = seg.batches + sum(k.batches for k in self._kept)
        size = seg.capacity + sum(k.size for k in self._kept)
        oldest_allowed = _now_ns() - r.max_age * 1e9 if r.max_age is not None else None
        drop = []
        while self._kept and (batches > r.max_batches or size > r.max_bytes
                              or (oldest_allowed is not None and self._kept[0].newest_ns < oldest_allowed)):
            k = self._kept.popleft()
            batches -= k.batches
            size -= k.size
            drop.append(self._ids.segment(k.n))
        if drop:
            self.client.delete(drop)  # deferred by the store while a reader holds a segment

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _as_batch(data):
    if isinstance(data, pa.RecordBatch):
        return data
    if isinstance(data, pa.Table):
        t = data.combine_chunks()
        batches = t.to_batches()
        if len(batches) == 1:
            return batches[0]
        return pa.RecordBatch.from_arrays([pa.array([], f.type) for f in t.schema], schema=t.schema)
    raise TypeError(f"expected a pyarrow RecordBatch or Table, got {type(data).__name__}")


def _write_ipc(sink, batch):
    with pa.ipc.new_stream(sink, batch.schema) as w:
        w.write_batch(batch)


EARLIEST, LATEST = "earliest", "latest"


class _Cursor:
    """A reader's position where others can see it: a published 128-byte object (docs/stream-log.md section 6) that
    the reader updates in place after each event, NEXT last (an aligned 8-byte store, a release store on x86-64)."""

    def __init__(self, client, ids):
        self._client = client
        for attempt in range(4):
            n = random.getrandbits(64)
            if n == 2 ** 64 - 1:
                continue  # the bound of the cursors' range
            try:
                self._obj = client.create(ids.cursor(n), _CURSOR_SIZE, ids.cursor_metadata)
                break
            except ObjectExistsException:
                if attempt == 3:
                    raise
        self._mem = np.frombuffer(self._obj.data, dtype=np.uint8)
        self._mem[:] = 0
        self._mem[:8] = np.frombuffer(CURSOR_MAGIC, dtype=np.uint8)
        struct.pack_into("<qq", self._mem, _C_PID, os.getpid(), time.time_ns())
        self._next = _u64(client._conn.base + self._obj._offset + _C_NEXT)
        self._lost = self._losses = 0

    def publish(self):
        self._obj.publish()

    def moved(self, position, segment, offset):
        struct.pack_into("<qq", self._mem, _C_SEGMENT, segment, offset)
        self._next.value = position

    def lost(self, batches):
        self._lost += batches
        self._losses += 1
        struct.pack_into("<qq", self._mem, _C_LOST, self._lost, self._losses)

    def close(self):
        """Seals and deletes the cursor: the reader is gone. If the client is gone, the store sealed it already."""
        self._mem = self._next = None  # the cursor's views: the creator's reference goes with the seal
        try:
            self._obj.seal()
            self._client.delete(self._obj.id)
        except (QuiverException, ValueError, OSError):
            pass


class StreamReader:
    """Reads a stream in order: ``next(timeout_ms)`` returns a Batch, Lost, End or Timeout.

    The reader holds one segment (one store reference) while it reads it; each Batch holds its segment until it is
    garbage-collected. ``close()`` lets the reader's segment go. Not thread-safe: one thread per reader.
    """

    def __init__(self, client, ids, start):
        self.client = client
        self._ids = ids
        self._start = start     # how to find the first segment while the reader has none
        self.position = start if isinstance(start, int) else 0
        self._seg = None        # _Frames of the segment being read
        self._schema_message = None
        self._at = HEADER       # offset of its next frame
        self._schema = None
        self._dicts = False
        self._end = None
        self._alive = False
        self._blocked = False   # at a NEXT whose segment is gone, with nothing after it
        self._closed = False
        self._pending = None
        self._cursor = None
        self._segno = 0         # the segment read, or waited for, as the cursor says it

    @classmethod
    def open(cls, client, name, start=EARLIEST):
        """``start``: 'earliest' (the oldest batch kept), 'latest' (the newest published batch, or the end of an
        ended stream), or a sequence number (that batch, or ``Lost`` up to the oldest kept if it is gone)."""
        ids = _Ids(name)
        if not (start in (EARLIEST, LATEST) or (isinstance(start, int) and not isinstance(start, bool)
                                                  and start >= 0)):
            raise ValueError(f"start is 'earliest', 'latest' or a sequence number >= 0, got {start!r}")
        r = cls(client, ids, start)
        r._cursor = _Cursor(client, ids)
        try:
            r._pending = r._attach_first()  # a Lost, for the first call
            if r._seg is None and r._pending is None:
                r._start = 0  # no segment yet: the stream starts at batch 0, and what retention drops before is Lost
            at = r._at
            if r._seg is not None:  # past the frames the first call skips, for the cursor's lag in bytes
                for off, length, ftype, seq, _t, _body in r._seg.scan():
                    if off < at:
                        continue
                    if ftype == BATCH and seq >= r.position or ftype in (NEXT, END):
                        break
                    at = off + length
            r._cursor.moved(r.position, r._segno, at if r._seg is not None else HEADER)
            r._cursor.publish()
        except BaseException:
            r.close()
            raise
        return r

    @property
    def name(self):
        return self._ids.name

    def next(self, timeout_ms=1000):
        """The next event, waiting up to ``timeout_ms`` milliseconds (-1: no limit) for a batch to be published."""
        ev = self._next_event(timeout_ms)
        self._cursor.moved(self.position, self._segno,
                           self._at if self._seg is not None or self._end is not None else HEADER)
        if isinstance(ev, Lost):
            self._cursor.lost(ev.to_seq - ev.from_seq)
        return ev

    def _next_event(self, timeout_ms):
        if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int):
            raise TypeError(f"timeout_ms is an int number of milliseconds, got {timeout_ms!r}")
        if self._closed:
            raise ValueError(f"the reader of stream '{self.name}' is closed")
        if self._end is not None:
            return self._end
        if self._pending is not None:
            ev, self._pending = self._pending, None
            return ev
        deadline = math.inf if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        check_at = time.monotonic() + _SLICE
        while True:
            ev = self._attach_first() if self._seg is None else None
            if ev is None and self._seg is not None:
                ev = self._read()
            if ev is not None:
                return ev
            now = time.monotonic()
            if now >= check_at or now >= deadline:
                ev = self._check_writer()
                if ev is True:
                    continue  # moved on to a later segment
                if ev is not None:
                    return ev
                if now >= deadline:
                    return Timeout(self.position, self._alive or self._lock_held())
                check_at = now + _SLICE
            self._wait(deadline)

    def close(self):
        """Lets the reader's segment go (batches read keep theirs until they are garbage-collected); ``next`` then
        refuses."""
        self._let_go()
        if not self._closed and self._cursor is not None:
            self._cursor.close()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- finding segments

    def _get(self, n, timeout_ms=NO_WAIT):
        b = self.client.get(self._ids.segment(n), timeout_ms)
        if b is None:
            return None
        with b:
            return _Frames(b.data, n, f"stream '{self.name}'")

    def _attach_first(self):
        """Finds the segment to start in; None if the stream has none yet (or the event that starting gives)."""
        ids, client = self._ids, self.client
        infos = client.range(ids.first, ids.lock, 8 if self._start == EARLIEST else 2 ** 31 - 1,
                             descending=self._start != EARLIEST)
        first = None
        for info in infos:
            seg = self._get(ids.segno(info.id))
            if seg is None:
                continue  # not published yet, or deleted meanwhile
            if self._start == LATEST:
                self._attach(seg)
                self.position = seg.first_seq
                for off, _len, ftype, seq, _t, _body in seg.scan():
                    if ftype != SCHEMA:
                        self._at, self.position = off, seq  # the last BATCH, or NEXT or END: read from there
                return None
            if self._start == EARLIEST or seg.first_seq <= self._start:
                return self._enter(seg, self._start == EARLIEST)
            first = seg  # AT(seq) below every segment kept: the lowest one, after a Lost
        if first is not None:
            return self._enter(first)
        return None

    def _let_go(self):
        self._seg = self._schema_message = None  # the last views of the segment held by the reader itself

    def _attach(self, seg):
        self._seg, self._at, self._segno = seg, HEADER, seg.n
        schema_message = seg.schema_message()
        try:
            self._schema = pa.ipc.read_schema(schema_message)
        except (pa.ArrowInvalid, OSError) as e:
            raise ArrowFormatException(f"the schema of segment {seg.n} of stream '{self.name}' is not a readable "
                                       f"Arrow IPC Schema message: {e}") from None
        self._schema_message = schema_message
        self._dicts = _has_dictionaries(f.type for f in self._schema)
        self._start = EARLIEST

    def _enter(self, seg, earliest=False):
        """Reads ``seg`` from its start: ``Lost`` if batches before it are gone (unless starting at the earliest)."""
        if earliest:
            self.position = seg.first_seq
        self._attach(seg)
        if seg.first_seq > self.position:
            lost = Lost(self.position, seg.first_seq)
            self.position = seg.first_seq
            return lost
        return None

    def _move_on(self, after):
        """Continues in the first segment numbered above ``after``; None if there is none yet."""
        ids = self._ids
        for info in self.client.range(ids.segment(after + 1), ids.lock, 8):
            seg = self._get(ids.segno(info.id))
            if seg is not None:
                return self._enter(seg) or True
        return None

    # --- reading

    def _read(self):
        """The next event from the published frames of the current segment, or None when there are no more."""
        seg = self._seg
        end = HEADER + seg.published()
        while self._at < end:
            off = self._at
            length, ftype, seq, _t, body = seg.frame(off, end)
            if ftype == BATCH:
                self._at += length
                if seq < self.position:
                    continue  # before the start (AT)
                if seq != self.position:
                    raise ArrowFormatException(f"segment {seg.n} of stream '{self.name}' has batch {seq} where "
                                               f"batch {self.position} belongs")
                self.position += 1
                return Batch(seq, self._batch(seg, off, body, seq))
            if ftype == END:
                self._at += length  # read: nothing is left behind it
                self.position = max(self.position, seq)
                self._end = End(seq)
                self._let_go()
                return self._end
            if ftype == NEXT:
                moved = self._move_on(seg.n)
                self._blocked = moved is None  # segment n + 1 is gone and nothing follows: wait, and look again
                if moved is None:
                    return None
                return self._read() if moved is True else moved
            self._at += length  # SCHEMA
        return None

    def _batch(self, seg, off, body_len, seq):
        body = seg.buf.slice(off + _FRAME.size, body_len)
        try:
            if self._dicts:
                r = pa.ipc.open_stream(pa.PythonFile(_Virtual([self._schema_message, body]), mode="r"))
                rb = r.read_next_batch()
            else:
                rb = pa.ipc.read_record_batch(pa.ipc.read_message(body), self._schema)
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError, StopIteration) as e:
            raise ArrowFormatException(f"batch {seq} of stream '{self.name}' (segment {seg.n}, offset {off}) is not a "
                                       f"readable Arrow IPC record batch: {e}") from None
        return pa.Table.from_batches([rb])

    # --- waiting

    def _wait(self, deadline):
        seg = self._seg
        if seg is None:  # no segment yet: the store wakes a get of segment 0 when it is published
            left = deadline - time.monotonic()
            if left > 0:
                b = self.client.get(self._ids.first, max(1, int(min(left, _SLICE) * 1000)))
                del b
            return
        left = min(_SLICE, deadline - time.monotonic())
        if self._blocked:
            time.sleep(max(0.0, left))
            return
        published = self._at - HEADER  # what this reader has read
        if seg.published() != published:
            return
        spin_end = time.perf_counter_ns() + _SPIN_NS
        while time.perf_counter_ns() < spin_end:
            if seg.published() != published:
                return
        word = seg.wake_word()
        if seg.published() != published:
            return
        if left > 0:
            _sleep_on(self.client._conn.arena, seg.address - self.client._conn.base + _WAKE, word, left)

    def _check_writer(self):
        """After a wait with no progress: moves on to a later segment if the stream continues in one (a new writer
        after a crash or a close), and notes whether a writer is alive (the newest segment is still being written,
        which the store ends, sealing it, when its writer goes)."""
        ids, seg = self._ids, self._seg
        if seg is None:
            newest = self.client.range(ids.first, ids.lock, 1, descending=True)
            self._alive = bool(newest) and newest[0].state == "CREATED"
            return None
        later = self.client.range(ids.segment(seg.n + 1), ids.lock, 1, descending=True)
        newest = later or self.client.range(ids.segment(seg.n), ids.segment(seg.n + 1), 1)
        self._alive = bool(newest) and newest[0].state == "CREATED"
        if later and self._at >= HEADER + seg.published():  # drained: frames published before the new segment came
            return self._move_on(seg.n)
        return None

    def _lock_held(self):
        """Whether a writer holds the stream's lock (one that has not written a segment yet): a LIST, since a held lock
        is delete-pending and RANGE leaves it out; asked only when a wait ends in a timeout, as Java's reader does."""
        lock = self._ids.lock
        return any(o.id == lock and (o.state == "CREATED" or o.ref_count > 0) for o in self.client.list())

    def __iter__(self):
        """Batches until the end (Lost events are yielded too; timeouts are waited through)."""
        while True:
            ev = self.next(1000)
            if isinstance(ev, End):
                return
            if not isinstance(ev, Timeout):
                yield ev
