package dev.quiver.arrow;

import dev.quiver.client.QuiverException;

/** A put named a key that is already on the shelf, and replacement was not asked for. */
public final class ShelfKeyExistsException extends QuiverException {
    public ShelfKeyExistsException(String message) {
        super(message);
    }
}
