package dev.quiver.client;

/** No store answers on the socket, or the connection to it was lost. */
public final class StoreUnavailableException extends QuiverException {
    public StoreUnavailableException(String message) {
        super(message);
    }

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
