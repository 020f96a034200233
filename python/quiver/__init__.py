"""Quiver from Python: a client of the Quiver shared-memory object store for Apache Arrow data.

    import quiver
    with quiver.connect() as client:                                   # the default socket, as the CLI's
        with client.create(quiver.ObjectId.for_name("x"), 1024) as o:   # sealed at the end of the block
            o.data ...                                                   # a mutable pyarrow Buffer in the store
        b = client.get(quiver.ObjectId.for_name("x"), timeout_ms=1000)   # a zero-copy view, or None

``quiver.plasma`` is a drop-in for ``pyarrow.plasma``.
"""

from .client import (NO_WAIT, WAIT_FOREVER, Client, Evicted, ObjectBuffer, ObjectEvent, ObjectId, ObjectInfo,
                     StoreStats, Subscription, WritableObject, connect, default_socket)
from .errors import (ArrowFormatException, InvalidRequestException, ObjectAlreadySealedException,
                     ObjectExistsException, ObjectNotFoundException, ObjectNotSealedException, ProtocolException,
                     QuiverException, ShelfKeyExistsException, ShelfKeyNotFoundException, StoreFullException,
                     StoreUnavailableException, StreamWriterConflictException)

__version__ = "0.1.0"

from . import arrow, shelf, streams  # noqa: E402 - after the client they build on
