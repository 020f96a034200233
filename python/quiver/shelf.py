"""The shelf: Arrow tables under human-readable keys, in the format of Java's ``dev.quiver.arrow.Shelf``.

Version ``v`` of key ``K`` is one sealed object with id ``SHA-1("quiver.shelf/K/" + str(v % 64))`` holding an Arrow
IPC stream; its metadata (US-ASCII) is::

    application/vnd.apache.arrow.stream; shelf-key=K; shelf-version=V; rows=R

A read gets the key's 64 slot ids at once with no wait and keeps the highest version; a replace writes version
``v + 1``, seals it, then deletes the older visible versions (deferred while a reader holds one). See docs/python.md.
"""

import random
import re

from . import arrow
from .client import NO_WAIT, ObjectId
from .errors import ObjectExistsException, QuiverException, ShelfKeyExistsException, ShelfKeyNotFoundException

SLOTS = 64
MAX_KEY_LENGTH = 128
_MEDIA = arrow.STREAM_MEDIA_TYPE.decode("ascii")
_META_PREFIX = _MEDIA + "; shelf-key="
MIN_METADATA = len(_META_PREFIX + "a; shelf-version=1; rows=0")
MAX_METADATA = len(_META_PREFIX + "; shelf-version=; rows=") + MAX_KEY_LENGTH + 2 * 20
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_ADJECTIVES = ("amber brave brisk calm clever coral crisp dapper eager early fancy gentle glad golden green happy "
               "hazel jolly keen kind lively lucky mellow merry misty nimble noble proud quick quiet rapid royal "
               "rustic shiny silver snowy steady sunny swift tidy vivid warm wild witty young zesty").split()
_NOUNS = ("badger beacon birch bison brook canyon cedar comet crane dolphin eagle falcon fern finch fjord fox glacier "
          "harbor hawk heron island lark lynx maple meadow moose otter owl panda pine prairie puffin quail raven "
          "reef river robin salmon sparrow summit tiger tundra walrus willow wren yak").split()


def validate(key):
    """Checks a key: 1 to 128 characters from A-Z a-z 0-9 . _ -, starting with a letter or a digit."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"a shelf key cannot be empty: use 1 to {MAX_KEY_LENGTH} characters from A-Z a-z 0-9 . _ -")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"shelf key '{key[:20]}...' has {len(key)} characters; the limit is {MAX_KEY_LENGTH}")
    if not _KEY.match(key):
        raise ValueError(f"shelf key '{key}' must start with a letter or a digit and use only A-Z a-z 0-9 . _ -")
    return key


def slot_ids(key):
    return [ObjectId.for_name(f"quiver.shelf/{key}/{s}") for s in range(SLOTS)]


def id_of(key, version):
    return ObjectId.for_name(f"quiver.shelf/{key}/{version % SLOTS}")


def metadata(key, version, rows):
    return f"{_META_PREFIX}{key}; shelf-version={version}; rows={rows}".encode("ascii")


def parse(meta):
    """``(key, version, rows)`` from a shelf table's metadata, or None if the object is not one."""
    if not MIN_METADATA <= len(meta) <= MAX_METADATA:
        return None
    try:
        text = bytes(meta).decode("ascii")
    except UnicodeDecodeError:
        return None
    if not text.startswith(_MEDIA + ";"):
        return None
    fields = {}
    for part in text[len(_MEDIA) + 1:].split(";"):
        name, eq, value = part.partition("=")
        if not eq:
            return None
        fields[name.strip()] = value.strip()
    try:
        key, version, rows = fields["shelf-key"], int(fields["shelf-version"]), int(fields["rows"])
        validate(key)
    except (KeyError, ValueError):
        return None
    return (key, version, rows) if version >= 0 and rows >= 0 else None


class Shelf:
    """Keys to Arrow tables, shared with every process (Java's included) through the store."""

    def __init__(self, client):
        self.client = client

    def _versions(self, key):
        """The visible versions of a key at one instant: [(version, rows, ObjectBuffer)]."""
        out = []
        for b in self.client.get(slot_ids(key), NO_WAIT):
            if b is None:
                continue
            tag = parse(b.metadata.to_pybytes())
            if tag and tag[0] == key and id_of(key, tag[1]) == b.id:
                out.append((tag[1], tag[2], b))
            else:
                b.release()
        return out

    def put(self, key, table, replace=False):
        """Puts a pyarrow Table (or RecordBatch) under ``key`` (None: a generated key); returns the key.

        Raises ShelfKeyExistsException if the key is taken and ``replace`` is false. Readers see the old table or
        the new one, complete, never a mix.
        """
        if key is None:
            for _ in range(32):
                try:
                    return self.put(_generate(), table)
                except ShelfKeyExistsException:
                    pass
            raise ShelfKeyExistsException("32 generated keys in a row were taken; choose a key")
        validate(key)
        versions = self._versions(key)
        newest = max((v for v, _, _ in versions), default=0)
        rows_there = next((r for v, r, _ in versions if v == newest), 0)
        for _, _, b in versions:
            b.release()
        if versions and not replace:
            raise ShelfKeyExistsException(f"key '{key}' is already on the shelf (version {newest}, {rows_there} "
                                          f"rows); replace it explicitly (put(key, table, replace=True))")
        rows = table.num_rows
        version = newest + 1
        for _ in range(2 * SLOTS):
            try:
                arrow.put_table(self.client, id_of(key, version), table, metadata(key, version, rows))
                break
            except ObjectExistsException:
                # replace: a concurrent replacer has this version, or a reader holds an old one in this slot
                version = version + 1 if replace else self._next_free_version(key, version)
        else:
            raise QuiverException(f"all {SLOTS} version slots of key '{key}' are taken by versions that readers "
                                  f"still hold; release them and try again")
        # delete every visible version below the newest (the store defers it while a reader holds one)
        versions = self._versions(key)
        top = max(v for v, _, _ in versions) if versions else version
        old = [b.id for v, _, b in versions if v < top]
        for _, _, b in versions:
            b.release()
        if old:
            self.client.delete(old)
        return key

    def _next_free_version(self, key, version):
        """A put of a new key found its version's object taken (as Java's Shelf: exactly one of concurrent puts of a
        new key gets through). Raises ShelfKeyExistsException if the key was put meanwhile or is being put; returns
        the version to try next if the slot is only held by an old, deleted version that a reader still holds."""
        slot = id_of(key, version)
        state = next((o.state for o in self.client.list() if o.id == slot), None)
        if state == "CREATED":
            raise ShelfKeyExistsException(f"key '{key}' is being put by another client right now; replace it "
                                          f"explicitly if this table should win (put(key, table, replace=True))")
        versions = self._versions(key)
        for _, _, b in versions:
            b.release()
        if versions:
            raise ShelfKeyExistsException(f"key '{key}' was put by another client meanwhile (version "
                                          f"{max(v for v, _, _ in versions)}); replace it explicitly")
        return version if state is None else version + 1

    def get(self, key):
        """The newest table under ``key``, zero-copy over store memory; ShelfKeyNotFoundException if none."""
        validate(key)
        versions = self._versions(key)
        if not versions:
            raise ShelfKeyNotFoundException(f"no table under key '{key}' on the shelf")
        v, _, b = max(versions, key=lambda x: x[0])
        try:
            return arrow.read_table(b.data, f"shelf key '{key}' (version {v})")
        finally:
            for _, _, x in versions:
                x.release()

    def version(self, key):
        """The newest version number of ``key``, or None."""
        versions = self._versions(validate(key))
        for _, _, b in versions:
            b.release()
        return max((v for v, _, _ in versions), default=None)

    def list(self):
        """Every key on the shelf, sorted (read from the store, so other processes' keys are included)."""
        candidates = [o.id for o in self.client.list()
                      if o.state == "SEALED" and MIN_METADATA <= o.metadata_size <= MAX_METADATA]
        keys = set()
        for i in range(0, len(candidates), 4096):
            for b in self.client.get(candidates[i:i + 4096], NO_WAIT):
                if b is None:
                    continue
                tag = parse(b.metadata.to_pybytes())
                if tag and id_of(tag[0], tag[1]) == b.id:
                    keys.add(tag[0])
                b.release()
        return sorted(keys)

    def delete(self, key):
        """Deletes every visible version of ``key``; returns whether a table was there."""
        versions = self._versions(validate(key))
        ids = [b.id for _, _, b in versions]
        for _, _, b in versions:
            b.release()
        if not ids:
            return False
        return any(o in ("DELETED", "DEFERRED") for o in self.client.delete(ids))

    def __contains__(self, key):
        return self.version(key) is not None


def _generate():
    r = random.SystemRandom()
    return f"{r.choice(_ADJECTIVES)}-{r.choice(_NOUNS)}-{r.randrange(10000):04d}"
