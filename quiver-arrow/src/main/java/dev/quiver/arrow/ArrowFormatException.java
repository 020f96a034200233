package dev.quiver.arrow;

import dev.quiver.client.QuiverException;

/** A store object's bytes are not what the Arrow layer expected: not an Arrow IPC stream, or not a tensor. */
public final class ArrowFormatException extends QuiverException {
    public ArrowFormatException(String message) {
        super(message);
    }

    public ArrowFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
