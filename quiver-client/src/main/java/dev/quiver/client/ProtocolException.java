package dev.quiver.client;

/** The store and the client do not understand each other (a bug, or mismatched versions). */
public final class ProtocolException extends QuiverException {
    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
