package dev.quiver.arrow;

import dev.quiver.client.QuiverException;

/** A stream already has a writer: one writer per stream. */
public final class StreamWriterConflictException extends QuiverException {
    public StreamWriterConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
