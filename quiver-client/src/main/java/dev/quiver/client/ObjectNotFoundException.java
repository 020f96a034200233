package dev.quiver.client;

/** No (visible) object with this id. */
public final class ObjectNotFoundException extends QuiverException {
    public ObjectNotFoundException(String message) {
        super(message);
    }

    public ObjectNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
