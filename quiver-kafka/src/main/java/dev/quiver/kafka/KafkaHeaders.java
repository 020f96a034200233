package dev.quiver.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The names of the Kafka record headers the bridges write (values are UTF-8 text, numbers in decimal), and of the
 * Arrow schema metadata keys that carry a record's origin into the store.
 */
public final class KafkaHeaders {
    /** On records published from a Quiver stream: the stream's name. */
    public static final String STREAM = "quiver.stream";
    /** On records published from a Quiver stream: the batch's sequence number in that stream. */
    public static final String SEQ = "quiver.seq";

    /** On dead letters: why the value did not decode. */
    public static final String DLQ_REASON = "quiver.dlq.reason";
    /** On dead letters: the topic the record came from. */
    public static final String DLQ_TOPIC = "quiver.dlq.topic";
    /** On dead letters: its partition there. */
    public static final String DLQ_PARTITION = "quiver.dlq.partition";
    /** On dead letters: its offset there. */
    public static final String DLQ_OFFSET = "quiver.dlq.offset";

    /** Schema metadata of a batch that came from Kafka: the source topic. */
    public static final String SOURCE_TOPIC = "quiver.kafka.topic";
    /** Schema metadata of a batch that came from Kafka: the source partition. */
    public static final String SOURCE_PARTITION = "quiver.kafka.partition";
    /** Schema metadata of a batch that came from Kafka: the source offset. */
    public static final String SOURCE_OFFSET = "quiver.kafka.offset";
    /** Schema metadata of a batch that came from Kafka: the record's timestamp, epoch milliseconds. */
    public static final String SOURCE_TIMESTAMP = "quiver.kafka.timestamp";
    /**
     * Schema metadata of a batch that came from Kafka: the highest offset in the stream of every partition seen so
     * far, as {@code partition:offset} pairs separated by commas. The bridge resumes from it after a restart.
     */
    public static final String SOURCE_POSITIONS = "quiver.kafka.positions";

    private KafkaHeaders() {}

    /** The last header of that name as text, if any. */
    public static Optional<String> text(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? Optional.empty()
                : Optional.of(new String(h.value(), StandardCharsets.UTF_8));
    }

    static byte[] bytes(Object value) {
        return String.valueOf(value).getBytes(StandardCharsets.UTF_8);
    }
}
