package dev.quiver.arrow;

import dev.quiver.client.QuiverException;

/** No stream of that name is in the store (never written, deleted, or every object of it evicted). */
public final class StreamNotFoundException extends QuiverException {
    public StreamNotFoundException(String message) {
        super(message);
    }
}
