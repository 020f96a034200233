package dev.quiver.client;

/** An object with this id exists already, or is deleted but still in use (its id stays reserved). */
public final class ObjectExistsException extends QuiverException {
    public ObjectExistsException(String message) {
        super(message);
    }

    public ObjectExistsException(String message, Throwable cause) {
        super(message, cause);
    }
}
