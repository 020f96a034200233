package dev.quiver.client;

/**
 * The base of every error the client raises. Subclasses name the condition; messages say what happened, the limit
 * involved and what to do.
 */
public class QuiverException extends RuntimeException {
    public QuiverException(String message) {
        super(message);
    }

    public QuiverException(String message, Throwable cause) {
        super(message, cause);
    }
}
