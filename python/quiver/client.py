"""The Quiver client: a connection to a store, zero-copy buffers over its arena, and the store's operations.

One connection per client, as in docs/protocol.md: requests are pipelined under a send lock, and a reader thread
matches replies to requests by request id. Object bytes never go through the socket: the client maps the store's
arena once and hands out pyarrow Buffers over that mapping.

What Python can and cannot take back
------------------------------------
A pyarrow Buffer over the mapping (and every slice, array or numpy view made from it) cannot be revoked: pyarrow
has no way to invalidate it. So the store reference behind a buffer is tied to the buffer's life: it is released
when the last view of it is garbage-collected, never earlier. ``ObjectBuffer.release()`` (or leaving its ``with``
block) makes the ``ObjectBuffer`` unusable at once; views taken from it before keep the reference until they die.
When the client is closed, or its connection is lost, the socket stays open until every such view is gone: the
store keeps a connection's references until its socket closes, so it never reuses memory that this process can
still read.
"""

import collections
import ctypes
import hashlib
import itertools
import logging
import mmap
import os
import queue
import socket as _socket
import stat
import struct
import threading
import weakref

import numpy as np
import pyarrow as pa

from . import _wire as w
from .errors import ObjectNotFoundException, ProtocolException, QuiverException, StoreUnavailableException

log = logging.getLogger("quiver")

#: Wait for an object without a time limit.
WAIT_FOREVER = -1
#: Answer at once.
NO_WAIT = 0
#: Default deadline of a request, in seconds (a blocking get waits its own timeout on top of it).
DEFAULT_REQUEST_TIMEOUT = 30.0


# ---------------------------------------------------------------------------------------------------- object ids

class ObjectId(bytes):
    """A 20-byte object id (a ``bytes``). Printed as 40 lower-case hex digits."""

    def __new__(cls, value):
        if isinstance(value, str):
            raise TypeError("an object id is 20 bytes; for a name use ObjectId.for_name(name), "
                            "for hex digits ObjectId.from_hex(text)")
        b = bytes(value)
        if len(b) != w.ID_SIZE:
            raise ValueError(f"an object id is exactly {w.ID_SIZE} bytes, got {len(b)}")
        return super().__new__(cls, b)

    @classmethod
    def for_name(cls, name):
        """The id of a name: SHA-1 of its UTF-8 bytes, as Java's ``ObjectId.forName``."""
        return cls(hashlib.sha1(name.encode("utf-8")).digest())

    @classmethod
    def random(cls):
        return cls(os.urandom(w.ID_SIZE))

    @classmethod
    def from_hex(cls, text):
        return cls(bytes.fromhex(text))

    def binary(self):
        """The 20 raw bytes (Plasma's name for them)."""
        return bytes(self)

    def __repr__(self):
        return f"ObjectId({self.hex()})"

    __str__ = bytes.hex


def as_id(value):
    """Accepts an ObjectId, 20 bytes, or a Plasma-style object with ``binary()``."""
    if isinstance(value, ObjectId):
        return value
    if hasattr(value, "binary") and not isinstance(value, (bytes, bytearray, memoryview)):
        value = value.binary()
    return ObjectId(value)


def _ids(ids):
    out = [as_id(i) for i in ids]
    if len(out) > w.MAX_BATCH:
        raise ValueError(f"{len(out)} ids in one request; the limit is {w.MAX_BATCH}: split the request")
    return out


# ---------------------------------------------------------------------------------------------------- socket path

def default_socket():
    """The socket the Java CLI uses by default.

    ``$QUIVER_SOCKET`` if set; else ``$XDG_RUNTIME_DIR/quiver.sock`` if that is a directory owned by this user;
    else ``/tmp/quiver-$UID/quiver.sock``, whose directory must be owned by this user and closed to others.
    """
    env = os.environ.get("QUIVER_SOCKET")
    if env:
        return env
    uid = os.getuid()
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        try:
            st = os.stat(xdg)
            if stat.S_ISDIR(st.st_mode) and st.st_uid == uid:
                return os.path.join(xdg, "quiver.sock")
        except OSError:
            pass
    d = f"/tmp/quiver-{uid}"
    try:
        st = os.lstat(d)
    except FileNotFoundError:
        return os.path.join(d, "quiver.sock")
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid or st.st_mode & 0o077:
        raise StoreUnavailableException(
            f"{d} is not a private directory of user {uid} (owner {st.st_uid}, mode {oct(st.st_mode & 0o777)}); "
            f"another user could serve a fake store there. Remove it, or set QUIVER_SOCKET to the store's socket")
    return os.path.join(d, "quiver.sock")


# ---------------------------------------------------------------------------------------------------- records

ObjectInfo = collections.namedtuple(
    "ObjectInfo", "id data_size metadata_size ref_count state create_time_millis construct_nanos digest")
ObjectInfo.__doc__ = "One object of a listing; ``state`` is 'CREATED' or 'SEALED'."

StoreStats = collections.namedtuple(
    "StoreStats", "capacity used pinned evictable objects clients evicted_objects evicted_bytes")
StoreStats.__doc__ = "The store's memory and object counts (docs/protocol.md, STATS)."

ObjectEvent = collections.namedtuple("ObjectEvent", "kind id data_size metadata_size digest")
ObjectEvent.__doc__ = "A notification: ``kind`` is 'SEALED' or 'DELETED'."

Evicted = collections.namedtuple("Evicted", "bytes objects")


# ---------------------------------------------------------------------------------------------------- connection

class _Pending:
    __slots__ = ("event", "reply", "error", "frames", "ignore")

    def __init__(self, ignore=False):
        self.event = threading.Event()
        self.reply = None
        self.error = None
        self.frames = []
        self.ignore = ignore


class _Connection:
    """One socket to the store, the arena mapping, and the reader thread. Owns every reference the client holds."""

    def __init__(self, path, name, request_timeout):
        self.path = os.fspath(path)
        self.request_timeout = request_timeout
        self.lock = threading.RLock()  # sending, and the state below
        self.pending = {}
        self.rids = itertools.count(1)
        self.notifications = queue.Queue()
        self.live = 0          # references alive in this process (views not yet garbage-collected)
        self.closing = False   # closed by the user: no new calls
        self.lost = None       # why the connection ended, or None while it works
        self.sock_closed = False
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(request_timeout)
            try:
                sock.connect(self.path)
            except FileNotFoundError:
                raise StoreUnavailableException(
                    f"no store at {self.path}: the socket does not exist. Start one (quiver store -s {self.path}) "
                    f"or point QUIVER_SOCKET at a running store's socket") from None
            except OSError as e:
                raise StoreUnavailableException(f"cannot connect to the store at {self.path}: {e}") from None
            _check_peer(sock, self.path)
            rid = next(self.rids)
            sock.sendall(w.frame(w.CONNECT, rid, struct.pack("<I", w.PROTOCOL_VERSION) + w.string(name)
                                 + struct.pack("<q", os.getpid())))
            rtype, rrid, payload = _read_frame(sock)
            if rtype == w.ERROR:
                r = w.Reader(payload)
                status = r.take("B")
                raise w.exception(status, f"the store refused the connection: {r.string()}")
            if rtype != w.CONNECTED or rrid != rid:
                raise ProtocolException(f"expected CONNECTED for request {rid}, got type {rtype:#x} for {rrid}")
            r = w.Reader(payload)
            _version, self.client_id, self.capacity = r.take("Iqq")
            self.arena_path = r.string()
            r.end()
            with open(self.arena_path, "r+b") as f:
                self.arena = mmap.mmap(f.fileno(), self.capacity, mmap.MAP_SHARED)
            probe = ctypes.c_char.from_buffer(self.arena)
            self.base = ctypes.addressof(probe)
            del probe  # an export of the mapping; only its address is kept
        except _socket.timeout:
            sock.close()
            raise StoreUnavailableException(
                f"the store at {self.path} did not answer CONNECT within {request_timeout} s") from None
        except BaseException:
            sock.close()
            raise
        sock.settimeout(None)
        # sends get the deadline too: a store that stops reading fails the send instead of blocking it forever
        sec = int(request_timeout)
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_SNDTIMEO,
                        struct.pack("ll", sec, int((request_timeout - sec) * 1e6)))
        self.sock = sock
        self.reader = threading.Thread(target=self._read_loop, name=f"quiver-reader-{self.client_id}", daemon=True)
        self.reader.start()

    # --- requests

    def call(self, msg_type, payload=b"", wait_extra=0.0, forever=False):
        """Sends a request and returns its reply (type, payload), or the list of LISTING payloads."""
        p = _Pending()
        with self.lock:
            self._check_usable()
            rid = next(self.rids)
            if rid > 0x7FFFFFFF:
                self.rids = itertools.count(2)
                rid = 1
            self.pending[rid] = p
            try:
                self.sock.sendall(w.frame(msg_type, rid, payload))
            except OSError as e:
                self.pending.pop(rid, None)
                self._lose(f"sending to the store failed: {e}")
                raise StoreUnavailableException(f"the connection to the store at {self.path} is lost: {e}") from None
        deadline = None if forever else self.request_timeout + wait_extra
        if not p.event.wait(deadline):
            self._lose(f"the store did not answer within {deadline:.1f} s")
            raise StoreUnavailableException(
                f"the store at {self.path} did not answer within {deadline:.1f} s (request timeout "
                f"{self.request_timeout} s); the connection is treated as lost: reconnect")
        if p.error is not None:
            raise p.error
        return p.reply

    def send_release(self, oid):
        """Fire-and-forget RELEASE (failures are logged when the reply comes)."""
        with self.lock:
            if self.lost is not None or self.sock_closed:
                return
            rid = next(self.rids)
            self.pending[rid] = _Pending(ignore=True)
            try:
                self.sock.sendall(w.frame(w.RELEASE, rid, w.id_list([oid])))
            except OSError as e:
                self.pending.pop(rid, None)
                self._lose(f"sending to the store failed: {e}")

    def _check_usable(self):
        if self.closing:
            raise StoreUnavailableException("the client is closed")
        if self.lost is not None:
            raise StoreUnavailableException(f"the connection to the store at {self.path} is lost ({self.lost}); "
                                            f"connect again")

    # --- references

    def ref(self):
        with self.lock:
            self.live += 1

    def unref(self, oid, release):
        with self.lock:
            self.live -= 1
            if release and not self.closing:
                self.send_release(oid)
            self._maybe_close_socket()

    def _maybe_close_socket(self):
        if (self.closing or self.lost is not None) and self.live == 0 and not self.sock_closed:
            self.sock_closed = True
            try:
                self.sock.shutdown(_socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()

    # --- lifecycle

    def close(self):
        with self.lock:
            if self.closing:
                return
            self.closing = True
            self._fail_pending(StoreUnavailableException("the client was closed while the request was waiting"))
            if self.live:
                log.info("quiver: %d buffer(s) still alive; the connection stays open until they are "
                         "garbage-collected", self.live)
            self._maybe_close_socket()

    def _lose(self, why):
        with self.lock:
            if self.lost is None:
                self.lost = why
                self._fail_pending(StoreUnavailableException(
                    f"the connection to the store at {self.path} is lost: {why}"))
                self._maybe_close_socket()

    def _fail_pending(self, error):
        for p in self.pending.values():
            p.error = error
            p.event.set()
        self.pending.clear()
        self.notifications.put(None)

    def _read_loop(self):
        try:
            while True:
                rtype, rid, payload = _read_frame(self.sock)
                if self.lost is not None:
                    continue  # keep draining: the socket stays open while views are alive
                if rid == 0:
                    if rtype == w.NOTIFICATION:
                        self.notifications.put(_notification(payload))
                        continue
                    msg = _error_message(payload) if rtype == w.ERROR else f"unexpected frame {rtype:#x}"
                    self._lose(f"the store closed the connection: {msg}")
                    continue
                with self.lock:
                    p = self.pending.get(rid)
                    if p is None:
                        continue  # a reply to a request that was failed already
                    if rtype == w.LISTING:
                        last = payload[0]
                        p.frames.append(payload)
                        if not last:
                            continue
                        p.reply = p.frames
                    elif rtype == w.ERROR:
                        r = w.Reader(payload)
                        status = r.take("B")
                        p.error = w.exception(status, r.string())
                    else:
                        p.reply = (rtype, payload)
                    del self.pending[rid]
                if p.ignore:
                    _log_release(rtype, payload, p)
                p.event.set()
        except EOFError:
            self._lose("the store closed the connection (EOF)")
        except ProtocolException as e:
            self._lose(f"malformed frame from the store: {e}")
        except OSError as e:
            self._lose(f"reading from the store failed: {e}")


def _log_release(rtype, payload, p):
    if p.error is not None:
        log.warning("quiver: release failed: %s", p.error)
    elif rtype == w.STATUSES and len(payload) >= 5 and payload[4] != w.OK:
        log.warning("quiver: release answered %s", w.STATUS_NAMES[payload[4]] if payload[4] < 11 else payload[4])


def _error_message(payload):
    try:
        r = w.Reader(payload)
        status = r.take("B")
        return f"{w.STATUS_NAMES[status] if status < 11 else status}: {r.string()}"
    except QuiverException:
        return "an unreadable error frame"


def _recv_exact(sock, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise EOFError
        got += k
    return buf


def _read_frame(sock):
    length, rtype, flags, rid = w.HEADER.unpack(_recv_exact(sock, 12))
    if length < 8 or length > w.MAX_FRAME:
        raise ProtocolException(f"frame length {length} outside [8, {w.MAX_FRAME}]")
    if flags != 0:
        raise ProtocolException(f"frame flags {flags:#x}, must be 0")
    if rtype not in w.REPLY_TYPES:
        raise ProtocolException(f"unknown frame type {rtype:#x}")
    payload = bytes(_recv_exact(sock, length - 8)) if length > 8 else b""
    return rtype, rid, payload


def _check_peer(sock, path):
    """Refuses a store run by another user: it could read and change everything this client writes."""
    try:
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED,
                                                              struct.calcsize("3i")))
    except (OSError, AttributeError):
        return  # no SO_PEERCRED on this platform: the socket's owner-only mode is the guard
    if uid != os.getuid():
        raise StoreUnavailableException(
            f"the store at {path} runs as user {uid}, not as this user ({os.getuid()}); refusing to use it. "
            f"Connect to a store started by your own user")


def _notification(payload):
    r = w.Reader(payload)
    kind, oid, data_size, meta_size, dig = r.take("B20sqqQ")
    r.end()
    return ObjectEvent("SEALED" if kind == 0 else "DELETED", ObjectId(oid), data_size, meta_size, dig)


def _statuses(reply, n):
    rtype, payload = reply
    if rtype != w.STATUSES:
        raise ProtocolException(f"expected STATUSES, got {rtype:#x}")
    r = w.Reader(payload)
    k = r.count(1)
    if k != n:
        raise ProtocolException(f"{k} statuses for {n} ids")
    out = list(r.raw(k))
    r.end()
    return out


def _listing(frames):
    out = []
    for payload in frames:
        r = w.Reader(payload)
        r.take("B")
        for _ in range(r.count(65)):
            oid, ds, ms, refs, state, ctime, cns, dig = r.take("20sqqiBqqQ")
            out.append(ObjectInfo(ObjectId(oid), ds, ms, refs, "SEALED" if state == 1 else "CREATED", ctime, cns,
                                  dig))
        r.end()
    return out


# ---------------------------------------------------------------------------------------------------- buffers

class _Ref:
    """One store reference. The base object of the pyarrow Buffers over the object: when the last of them is
    garbage-collected, the finalizer releases the reference."""

    __slots__ = ("__weakref__",)


class ObjectBuffer:
    """A sealed object got from the store: ``data`` and ``metadata`` are pyarrow Buffers over the arena (no copy).

    ``release()`` (or the end of a ``with`` block) makes this object unusable; the store reference goes when the
    last Buffer taken from it is garbage-collected (see the module comment).
    """

    __slots__ = ("id", "_data", "_metadata", "_conn")

    def __init__(self, conn, oid, offset, data_size, metadata_size):
        ref = _Ref()
        conn.ref()
        weakref.finalize(ref, conn.unref, oid, True).atexit = False  # at exit the socket closes anyway
        self.id = oid
        self._conn = conn
        self._data = pa.foreign_buffer(conn.base + offset, data_size, base=ref)
        self._metadata = pa.foreign_buffer(conn.base + offset + data_size, metadata_size, base=ref)

    @property
    def data(self):
        """The object's data, a read-only pyarrow Buffer over store memory."""
        if self._data is None:
            raise ValueError(f"object {self.id.hex()} was released; get it again")
        return self._data

    @property
    def metadata(self):
        """The object's metadata, a read-only pyarrow Buffer over store memory."""
        if self._metadata is None:
            raise ValueError(f"object {self.id.hex()} was released; get it again")
        return self._metadata

    @property
    def size(self):
        return self.data.size

    def release(self):
        """Gives up this handle. Views taken from it keep the store reference until they are garbage-collected."""
        self._data = self._metadata = None

    close = release

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def __repr__(self):
        state = "released" if self._data is None else f"{self._data.size} + {self._metadata.size} bytes"
        return f"ObjectBuffer({self.id.hex()}, {state})"


class WritableObject:
    """An object being written: ``data`` (and ``metadata``) are mutable pyarrow Buffers over its place in the arena.

    As a context manager it seals on success and aborts on an exception (seals, if it was published). After ``seal``
    or ``abort`` this handle refuses access; a Buffer taken before stays mapped (pyarrow cannot revoke it), and the
    creator's reference is released only when it is garbage-collected, so the store never gives those bytes to another
    object meanwhile.
    Never write after sealing: the bytes are immutable for every reader.
    """

    def __init__(self, client, oid, offset, data_size, metadata):
        conn = client._conn
        self.id = oid
        self._client = client
        self._state = "CREATED"
        self._published = False
        self._offset = offset
        self._size = data_size + len(metadata)
        arr = np.frombuffer(conn.arena, dtype=np.uint8, count=self._size, offset=offset)
        conn.ref()
        self._sealed = [False]
        # Released when the last view of the block dies, and only if sealed (abort drops the reference itself).
        weakref.finalize(arr, _release_if_sealed, conn, oid, self._sealed).atexit = False
        if len(metadata):
            arr[data_size:] = np.frombuffer(metadata, dtype=np.uint8)
        self._block = arr
        self._data = pa.py_buffer(arr[:data_size])
        self._metadata = pa.py_buffer(arr[data_size:])

    @property
    def data(self):
        self._check()
        return self._data

    @property
    def metadata(self):
        self._check()
        return self._metadata

    def _check(self):
        if self._state != "CREATED":
            raise ValueError(f"object {self.id.hex()} is {self._state.lower()}: it can no longer be written")

    def seal(self, digest=True):
        """Seals the object: computes its digest, makes it visible and immutable. With ``digest=False`` no digest is
        computed (a pass over every byte saved) and the store records ``NO_DIGEST``; ``hash`` computes it on demand."""
        self._check()
        value = w.digest(memoryview(self._block)) if digest else w.NO_DIGEST
        st = _statuses(self._client._conn.call(w.SEAL, struct.pack("<I20sQ", 1, self.id, value)), 1)[0]
        if st != w.OK:
            raise w.exception(st, f"seal of {self.id.hex()} failed: {w.STATUS_NAMES[st]}")
        self._state = "SEALED"
        self._sealed[0] = True
        self._drop()

    def publish(self):
        """Makes the object gettable now, while this writer goes on writing it: for a log that readers follow as it
        grows (a stream's segment), not for ordinary objects. Readers get it as usual and read its bytes in place;
        what they may read, and when, is for the writer to publish inside the bytes. From now on the object cannot be
        aborted: ``close()`` (or the end of a ``with`` block, even on an exception) seals it as it is, and if this
        client goes away first, the store seals it as it is. The content digest is that of the bytes at seal.
        Publishing twice is a no-op.
        """
        self._check()
        if not self._published:
            rtype, _ = self._client._conn.call(w.PUBLISH, bytes(self.id))
            if rtype != w.OK_REPLY:
                raise ProtocolException(f"expected OK to PUBLISH, got {rtype:#x}")
            self._published = True

    @property
    def published(self):
        """True once ``publish()`` succeeded."""
        return self._published

    def abort(self):
        """Discards the object; its id is free again. Refused (``ValueError``) once the object is published: readers
        may hold it, so it can only be sealed."""
        if self._state != "CREATED":
            return
        if self._published:
            raise ValueError(f"cannot abort object {self.id.hex()}: it is published, and readers may hold it; seal it "
                             f"instead (close() does)")
        self._state = "ABORTED"
        try:
            self._client._conn.call(w.ABORT, bytes(self.id))
        finally:
            self._drop()

    def _drop(self):
        self._data = self._metadata = self._block = None

    def close(self):
        """Ends the writing: seals a published object as it is, aborts an unpublished one (an object sealed or aborted
        already is left alone)."""
        if self._state == "CREATED":
            if self._published:
                self.seal()
            else:
                self.abort()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or self._published:
            if self._state == "CREATED":
                self.seal()
        else:
            self.abort()


def _release_if_sealed(conn, oid, sealed):
    conn.unref(oid, sealed[0])


# ---------------------------------------------------------------------------------------------------- client

class Client:
    """A connection to a Quiver store. Thread-safe. Use ``connect()``.

    Timeouts of gets and creates are in milliseconds (``WAIT_FOREVER`` = -1, ``NO_WAIT`` = 0), as in the protocol
    and the Java client.
    """

    def __init__(self, socket=None, *, name="python", request_timeout=DEFAULT_REQUEST_TIMEOUT):
        if request_timeout is None or request_timeout <= 0:
            raise ValueError(f"request_timeout must be a positive number of seconds, got {request_timeout!r}")
        self.socket = os.fspath(socket) if socket is not None else default_socket()
        self._conn = _Connection(self.socket, name, float(request_timeout))
        self._subscriptions = weakref.WeakSet()

    # --- properties

    @property
    def capacity(self):
        """Usable bytes of the store's arena."""
        return self._conn.capacity

    @property
    def arena_path(self):
        return self._conn.arena_path

    @property
    def connected(self):
        """True until the client is closed or its connection is lost (as last observed; no round trip)."""
        c = self._conn
        return not c.closing and c.lost is None

    @property
    def request_timeout(self):
        return self._conn.request_timeout

    # --- create / seal / abort

    def create(self, object_id, data_size, metadata=b"", timeout_ms=NO_WAIT):
        """Creates an object of ``data_size`` bytes plus ``metadata`` and returns it for writing in place.

        Use it as a context manager: sealed at the end of the block, aborted if the block raises.
        ``timeout_ms`` > 0 (or -1) waits for memory when the store is full instead of failing.
        """
        oid = as_id(object_id)
        metadata = bytes(metadata)
        if not isinstance(data_size, int) or data_size < 0:
            raise ValueError(f"data_size must be a non-negative int, got {data_size!r}")
        if data_size + len(metadata) > self.capacity:
            raise ValueError(f"an object of {data_size + len(metadata)} bytes can never fit a store of "
                             f"{self.capacity} bytes: start the store with a larger -m")
        reply = self._conn.call(w.CREATE, struct.pack("<20sqqq", oid, data_size, len(metadata), timeout_ms),
                                wait_extra=max(timeout_ms, 0) / 1000.0, forever=timeout_ms < 0)
        offset = _single(reply, w.CREATED, "q")
        self._check_range(offset, data_size + len(metadata))
        return WritableObject(self, oid, offset, data_size, metadata)

    def create_and_seal(self, object_id, data, metadata=b""):
        """Creates, fills and seals an object in one go."""
        data = memoryview(data).cast("B")
        with self.create(object_id, data.nbytes, metadata) as o:
            np.frombuffer(o.data, dtype=np.uint8)[:] = np.frombuffer(data, dtype=np.uint8)

    def _check_range(self, offset, size):
        if offset < 0 or offset + size > self.capacity:
            self._conn._lose(f"object at {offset}+{size} outside the arena of {self.capacity} bytes")
            raise ProtocolException(f"the store placed an object at {offset}+{size}, outside its arena of "
                                    f"{self.capacity} bytes")

    # --- get

    def get(self, object_ids, timeout_ms=NO_WAIT):
        """Gets sealed objects zero-copy.

        ``object_ids`` is one id (returns an ``ObjectBuffer`` or None) or a list of ids (returns a list with None
        for each object not sealed within ``timeout_ms``).
        """
        single = _is_single_id(object_ids)
        ids = [as_id(object_ids)] if single else _ids(object_ids)
        if not isinstance(timeout_ms, int):
            raise TypeError(f"timeout_ms is an int number of milliseconds, got {timeout_ms!r}")
        if not ids:
            return []
        payload = struct.pack("<qI", timeout_ms, len(ids)) + b"".join(ids)
        rtype, reply = self._conn.call(w.GET, payload, wait_extra=max(timeout_ms, 0) / 1000.0,
                                       forever=timeout_ms < 0)
        if rtype != w.OBJECTS:
            raise ProtocolException(f"expected OBJECTS, got {rtype:#x}")
        r = w.Reader(reply)
        n = r.count(25)
        if n != len(ids):
            raise ProtocolException(f"{n} entries for {len(ids)} ids")
        out = []
        for oid in ids:
            present, offset, ds, ms = r.take("Bqqq")
            if present:
                self._check_range(offset, ds + ms)
                out.append(ObjectBuffer(self._conn, oid, offset, ds, ms))
            else:
                out.append(None)
        r.end()
        return out[0] if single else out

    # --- other operations

    def contains(self, object_id):
        """Whether the object exists and is sealed."""
        oid = as_id(object_id)
        return _statuses(self._conn.call(w.CONTAINS, w.id_list([oid])), 1)[0] == w.OK

    def delete(self, object_ids):
        """Deletes sealed objects; deferred while referenced. Returns, per id, 'DELETED', 'DEFERRED' or the failure
        ('OBJECT_NOT_FOUND', 'NOT_SEALED'); for a single id, True if it was deleted or deferred."""
        single = _is_single_id(object_ids)
        ids = [as_id(object_ids)] if single else _ids(object_ids)
        if not ids:
            return []
        st = _statuses(self._conn.call(w.DELETE, w.id_list(ids)), len(ids))
        names = ["DELETED" if s == w.OK else w.STATUS_NAMES[s] for s in st]
        return names[0] in ("DELETED", "DEFERRED") if single else names

    def list(self):
        """Every object in the store, as ``ObjectInfo`` (not a snapshot: the store may stream it)."""
        return _listing(self._conn.call(w.LIST))

    def range(self, from_id, to_id, limit, descending=False):
        """Objects with ids in ``[from_id, to_id)`` (unsigned bytewise), at most ``limit``, lowest (or highest)
        first; delete-pending objects left out."""
        payload = struct.pack("<20s20si?", as_id(from_id), as_id(to_id), limit, descending)
        return _listing(self._conn.call(w.RANGE, payload))

    def evict(self, num_bytes):
        """Evicts unreferenced sealed objects until ``num_bytes`` are freed; returns ``Evicted(bytes, objects)``."""
        if num_bytes < 0:
            raise ValueError(f"num_bytes must be >= 0, got {num_bytes}")
        reply = self._conn.call(w.EVICT, struct.pack("<q", num_bytes))
        if reply[0] != w.EVICTED:
            raise ProtocolException(f"expected EVICTED, got {reply[0]:#x}")
        return Evicted(*struct.unpack("<qi", reply[1]))

    def hash(self, object_id):
        """The object's digest (CRC-32C of data then metadata): as the writer sealed it, or, for an object sealed
        without one (docs/protocol.md, 'Content digest'), computed now from its bytes."""
        oid = as_id(object_id)
        recorded = _single(self._conn.call(w.HASH, bytes(oid)), w.DIGEST, "Q")
        if recorded != w.NO_DIGEST:
            return recorded
        buf = self.get(oid, NO_WAIT)
        if buf is None:
            raise ObjectNotFoundException(f"cannot hash object {bytes(oid).hex()}: it was deleted while its digest "
                                          "was being computed")
        with buf:
            return w.digest(buf.data, buf.metadata)

    def stats(self):
        reply = self._conn.call(w.STATS)
        if reply[0] != w.STORE_STATS:
            raise ProtocolException(f"expected STORE_STATS, got {reply[0]:#x}")
        return StoreStats(*struct.unpack("<qqqqqiqq", reply[1]))

    def subscribe(self):
        """Notifications of seals and deletions, on a connection of their own (see ``Subscription``)."""
        s = Subscription(self.socket, self._conn.request_timeout)
        self._subscriptions.add(s)
        return s

    # --- Arrow

    def put_table(self, object_id, data):
        """Writes a pyarrow Table or RecordBatch as one Arrow IPC stream object; returns its size in bytes."""
        from . import arrow
        return arrow.put_table(self, object_id, data)

    def get_table(self, object_id, timeout_ms=NO_WAIT):
        """Reads an Arrow IPC stream object as a pyarrow Table over store memory (no copy), or None."""
        from . import arrow
        return arrow.get_table(self, object_id, timeout_ms)

    def put_tensor(self, object_id, tensor):
        """Writes a numpy array or pyarrow Tensor as an Arrow IPC Tensor message; returns its size."""
        from . import arrow
        return arrow.put_tensor(self, object_id, tensor)

    def get_tensor(self, object_id, timeout_ms=NO_WAIT):
        """Reads a tensor object as a pyarrow Tensor over store memory (no copy), or None."""
        from . import arrow
        return arrow.get_tensor(self, object_id, timeout_ms)

    @property
    def shelf(self):
        """The key/value shelf of Arrow tables in this store (the format Java's Shelf uses)."""
        from .shelf import Shelf
        return Shelf(self)

    def stream_writer(self, name, retention=None, writer_wait=0):
        """Opens stream ``name`` for appending batches (one writer per stream), waiting up to ``writer_wait``
        seconds for its current writer to let go (see ``streams.StreamWriter.open``)."""
        from .streams import StreamWriter
        return StreamWriter.open(self, name, retention, writer_wait)

    def stream_reader(self, name, start="earliest"):
        """A reader of stream ``name``: start 'earliest', 'latest' or a sequence number."""
        from .streams import StreamReader
        return StreamReader.open(self, name, start)

    # --- lifecycle

    def close(self):
        """Disconnects. Buffers still alive keep the connection (and their references) until garbage-collected."""
        for s in list(self._subscriptions):
            s.close()
        self._conn.close()

    disconnect = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"quiver.Client({self.socket!r}, capacity={self.capacity})"


class Subscription:
    """Seal and delete notifications, from a connection of its own. Iterate, or call ``next(timeout)``."""

    def __init__(self, socket, request_timeout):
        self._conn = _Connection(socket, "subscription", request_timeout)
        reply = self._conn.call(w.SUBSCRIBE)
        if reply[0] != w.OK_REPLY:
            raise ProtocolException(f"expected OK to SUBSCRIBE, got {reply[0]:#x}")

    def next(self, timeout=None):
        """The next ``ObjectEvent``, waiting up to ``timeout`` seconds (None: forever); None on timeout.

        Raises StoreUnavailableException when the subscription's connection ended.
        """
        try:
            ev = self._conn.notifications.get(timeout=timeout)
        except queue.Empty:
            return None
        if ev is None:
            self._conn.notifications.put(None)
            raise StoreUnavailableException(f"the subscription ended: {self._conn.lost or 'closed'}")
        return ev

    def __iter__(self):
        while True:
            try:
                yield self.next()
            except StoreUnavailableException:
                return

    def close(self):
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _single(reply, expected, fmt):
    rtype, payload = reply
    if rtype != expected:
        raise ProtocolException(f"expected reply {expected:#x}, got {rtype:#x}")
    r = w.Reader(payload)
    v = r.take(fmt)
    r.end()
    return v


def _is_single_id(value):
    return isinstance(value, (bytes, bytearray, memoryview)) or hasattr(value, "binary")


def connect(socket=None, *, name="python", request_timeout=DEFAULT_REQUEST_TIMEOUT):
    """Connects to the store at ``socket`` (default: ``default_socket()``, as the Java CLI)."""
    return Client(socket, name=name, request_timeout=request_timeout)
