package dev.quiver.protocol;

/** A frame that does not follow docs/protocol.md: wrong length, unknown type, truncated or trailing payload. */
public final class MalformedFrameException extends RuntimeException {
    public MalformedFrameException(String message) {
        super(message);
    }
}
