"""The wire protocol of docs/protocol.md: frame layouts, type and status codes, and the content digest."""

import struct

from . import errors

PROTOCOL_VERSION = 1
MAX_FRAME = 8 * 1024 * 1024
MAX_BATCH = 65536
ID_SIZE = 20

HEADER = struct.Struct("<IHHI")  # length, type, flags, requestId

# requests
CONNECT, CREATE, CREATE_BATCH, SEAL, ABORT, GET, RELEASE, CONTAINS, DELETE, LIST, EVICT, HASH, SUBSCRIBE, STATS, \
    RANGE = range(0x01, 0x10)
PUBLISH = 0x14
# replies
CONNECTED, CREATED, CREATED_BATCH, STATUSES, OBJECTS, LISTING, EVICTED, DIGEST, OK_REPLY, STORE_STATS = \
    range(0x81, 0x8B)
NOTIFICATION = 0xC0
ERROR = 0xFF
REPLY_TYPES = frozenset(range(0x81, 0x8B)) | {NOTIFICATION, ERROR}

# status codes
OK, DEFERRED, OBJECT_EXISTS, OBJECT_NOT_FOUND, STORE_FULL, ALREADY_SEALED, NOT_SEALED, NOT_OWNER, NOT_HELD, \
    INVALID_REQUEST, PROTOCOL_ERROR = range(11)
STATUS_NAMES = ("OK", "DEFERRED", "OBJECT_EXISTS", "OBJECT_NOT_FOUND", "STORE_FULL", "ALREADY_SEALED", "NOT_SEALED",
                "NOT_OWNER", "NOT_HELD", "INVALID_REQUEST", "PROTOCOL_ERROR")

_EXCEPTIONS = {
    OBJECT_EXISTS: errors.ObjectExistsException,
    OBJECT_NOT_FOUND: errors.ObjectNotFoundException,
    STORE_FULL: errors.StoreFullException,
    ALREADY_SEALED: errors.ObjectAlreadySealedException,
    NOT_SEALED: errors.ObjectNotSealedException,
    NOT_OWNER: errors.InvalidRequestException,
    NOT_HELD: errors.InvalidRequestException,
    INVALID_REQUEST: errors.InvalidRequestException,
    PROTOCOL_ERROR: errors.ProtocolException,
}


def exception(status, message):
    """The exception for a failure status, as the Java client maps it."""
    return _EXCEPTIONS.get(status, errors.ProtocolException)(message)


def frame(msg_type, request_id, payload=b""):
    return HEADER.pack(8 + len(payload), msg_type, 0, request_id) + payload


def string(text):
    b = text.encode("utf-8")
    if len(b) > 0xFFFF:
        raise ValueError(f"a protocol string holds at most 65535 bytes, got {len(b)}")
    return struct.pack("<H", len(b)) + b


def id_list(ids):
    if len(ids) > MAX_BATCH:
        raise ValueError(f"{len(ids)} ids in one request; the limit is {MAX_BATCH}: split the request")
    return struct.pack("<I", len(ids)) + b"".join(ids)


class Reader:
    """Reads the fields of one payload in order, and insists that it is consumed exactly."""

    __slots__ = ("buf", "pos")

    def __init__(self, buf):
        self.buf = buf
        self.pos = 0

    def take(self, fmt):
        s = struct.Struct("<" + fmt)
        if self.pos + s.size > len(self.buf):
            raise errors.ProtocolException(f"truncated payload: needed {s.size} bytes at {self.pos} of {len(self.buf)}")
        v = s.unpack_from(self.buf, self.pos)
        self.pos += s.size
        return v if len(v) > 1 else v[0]

    def raw(self, n):
        if self.pos + n > len(self.buf):
            raise errors.ProtocolException(f"truncated payload: needed {n} bytes at {self.pos} of {len(self.buf)}")
        v = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return v

    def string(self):
        return self.raw(self.take("H")).decode("utf-8")

    def count(self, entry_size):
        n = self.take("I")
        if n > MAX_BATCH or n * entry_size > len(self.buf) - self.pos:
            raise errors.ProtocolException(f"bad count {n} in a payload of {len(self.buf)} bytes")
        return n

    def end(self):
        if self.pos != len(self.buf):
            raise errors.ProtocolException(f"{len(self.buf) - self.pos} trailing bytes after the last field")


# --- content digest: CRC-32C zero-extended to u64 -------------------------------------------------------------------

def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_TABLE = _table()


def _crc32c_python(data, crc=0):
    c = crc ^ 0xFFFFFFFF
    t = _TABLE
    for b in bytes(data):
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _native():
    """crc32c_extend of the C library that google-crc32c bundles, called through ctypes: the package's own Python
    function accepts only ``bytes``, which would copy an object out of the arena first."""
    import ctypes
    import glob
    import os

    import google_crc32c
    pkg = os.path.dirname(os.path.dirname(google_crc32c.__file__))
    for path in glob.glob(os.path.join(pkg, "google_crc32c.libs", "libcrc32c*.so*")):
        lib = ctypes.CDLL(path)
        fn = lib.crc32c_extend
        fn.restype = ctypes.c_uint32
        fn.argtypes = [ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t]
        return fn
    return None


try:
    import numpy as _np

    _extend = _native()
except (ImportError, OSError, AttributeError):  # pragma: no cover - depends on the environment
    _extend = None

if _extend is not None:
    def crc32c(data, crc=0):
        a = _np.frombuffer(data, dtype=_np.uint8)
        return _extend(crc, a.ctypes.data, a.nbytes)
else:  # pragma: no cover - correct but slow (about 5 MB/s)
    crc32c = _crc32c_python


#: The digest of an object sealed without one (all bits set: no zero-extended CRC-32C is); readers compute it.
NO_DIGEST = 0xFFFFFFFFFFFFFFFF


def digest(*parts):
    """The digest of an object: CRC-32C over its data, then its metadata (docs/protocol.md, 'Content digest')."""
    crc = 0
    for p in parts:
        if len(p):
            crc = crc32c(p, crc)
    return crc
