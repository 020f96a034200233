package dev.quiver.kafka;

/**
 * A bridge between Kafka and a Quiver stream stopped: Kafka refused or lost a send, a topic does not exist, or the
 * stream is held by another writer. Nothing was committed past what reached its destination, so a new bridge on the
 * same topic and stream continues from there.
 */
public final class KafkaBridgeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A bridge failure, with what happened and what to do. */
    public KafkaBridgeException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A bridge failure, with what happened and what to do. */
    public KafkaBridgeException(String message) {
        super(message);
    }
}
