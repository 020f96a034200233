package dev.quiver.client;

/** The object is still being written: it has no digest, cannot be deleted or released by its writer yet. */
public final class ObjectNotSealedException extends QuiverException {
    public ObjectNotSealedException(String message) {
        super(message);
    }

    public ObjectNotSealedException(String message, Throwable cause) {
        super(message, cause);
    }
}
