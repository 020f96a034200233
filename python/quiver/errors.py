"""Errors, one class per condition, named as the Java client names them (dev.quiver.client)."""


class QuiverException(Exception):
    """The base of every error the client raises. Messages say what happened, the limit involved and what to do."""


class ObjectExistsException(QuiverException):
    """An object with this id exists (being created, sealed, or deleted but still referenced)."""


class ObjectNotFoundException(QuiverException):
    """No such object, or not visible (unsealed, or deleted)."""


class StoreFullException(QuiverException):
    """Not enough memory in the store, even after evicting everything evictable."""


class ObjectAlreadySealedException(QuiverException):
    """The object was sealed already."""


class ObjectNotSealedException(QuiverException):
    """The object is not sealed yet."""


class InvalidRequestException(QuiverException):
    """The store refused a request that makes no sense (not the owner, not held, bad sizes, ...)."""


class ProtocolException(QuiverException):
    """A frame could not be understood; the connection is closed."""


class StoreUnavailableException(QuiverException):
    """The store cannot be reached, did not answer in time, or the connection to it was lost."""


class ShelfKeyExistsException(QuiverException):
    """A shelf key is taken and the put did not ask to replace it."""


class ShelfKeyNotFoundException(QuiverException):
    """No table under this shelf key."""


class StreamWriterConflictException(QuiverException):
    """The stream has a writer already."""


class ArrowFormatException(QuiverException):
    """An object's bytes are not the Arrow data they claim to be."""
