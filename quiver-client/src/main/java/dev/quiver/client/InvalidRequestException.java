package dev.quiver.client;

/** The request makes no sense: bad sizes, a repeated id in a create batch, sealing or aborting another client's object, releasing an object not held. */
public final class InvalidRequestException extends QuiverException {
    public InvalidRequestException(String message) {
        super(message);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
