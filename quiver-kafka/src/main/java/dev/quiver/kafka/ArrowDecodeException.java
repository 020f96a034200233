package dev.quiver.kafka;

/**
 * A Kafka record value that is not an Arrow IPC file or stream that this codec can read: empty, cut short,
 * corrupt, compressed with an unknown codec, or larger than the decoding limit. The message is the reason, as it
 * goes into the dead-letter topic's {@value KafkaHeaders#DLQ_REASON} header.
 */
public final class ArrowDecodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A record that does not decode, for the given reason. */
    public ArrowDecodeException(String reason, Throwable cause) {
        super(reason, cause);
    }

    /** A record that does not decode, for the given reason. */
    public ArrowDecodeException(String reason) {
        super(reason);
    }
}
