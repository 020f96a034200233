package dev.quiver.client;

/** Not enough memory even after evicting everything evictable; the message gives bytes needed, evictable and pinned. */
public final class StoreFullException extends QuiverException {
    public StoreFullException(String message) {
        super(message);
    }

    public StoreFullException(String message, Throwable cause) {
        super(message, cause);
    }
}
