package dev.quiver.client;

import dev.quiver.protocol.Status;

/** Status codes to exceptions. */
final class Errors {
    private Errors() {}

    static QuiverException toException(Status status, String message) {
        return switch (status) {
            case OBJECT_EXISTS -> new ObjectExistsException(message);
            case OBJECT_NOT_FOUND -> new ObjectNotFoundException(message);
            case STORE_FULL -> new StoreFullException(message);
            case ALREADY_SEALED -> new ObjectAlreadySealedException(message);
            case NOT_SEALED -> new ObjectNotSealedException(message);
            case NOT_OWNER, NOT_HELD, INVALID_REQUEST -> new InvalidRequestException(message);
            case PROTOCOL_ERROR -> new ProtocolException(message);
            case OK, DEFERRED -> throw new IllegalArgumentException(status + " is not an error");
        };
    }
}
