package dev.quiver.arrow;

import dev.quiver.client.QuiverException;

/** No table is on the shelf under the key (never put, deleted, or evicted by the store to make room). */
public final class ShelfKeyNotFoundException extends QuiverException {
    public ShelfKeyNotFoundException(String message) {
        super(message);
    }
}
