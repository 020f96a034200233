package dev.quiver.store;

/** The store cannot start; the message says why and what to do. */
public final class StoreStartException extends RuntimeException {
    public StoreStartException(String message) {
        super(message);
    }
}
