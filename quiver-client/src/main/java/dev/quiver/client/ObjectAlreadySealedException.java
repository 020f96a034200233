package dev.quiver.client;

/** The object is sealed: it cannot be written, sealed again or aborted. */
public final class ObjectAlreadySealedException extends QuiverException {
    public ObjectAlreadySealedException(String message) {
        super(message);
    }

    public ObjectAlreadySealedException(String message, Throwable cause) {
        super(message, cause);
    }
}
