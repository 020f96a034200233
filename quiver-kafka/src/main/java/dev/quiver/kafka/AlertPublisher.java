package dev.quiver.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends alerts as events: one JSON record per alert ({@link Alert#toMap()}) to a Kafka topic, keyed by the alert's key,
 * through an idempotent producer; and one WARN line per alert to the log ({@code dev.quiver.kafka.AlertPublisher}).
 *
 * <p>{@link #flush()} returns once Kafka has every alert sent so far. Thread-safe as the Kafka producer is.
 */
public final class AlertPublisher implements Consumer<Alert>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertPublisher.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    /** A publisher to {@code topic} (which must exist) on the cluster at {@code bootstrap}. */
    public AlertPublisher(String bootstrap, String topic) {
        this(bootstrap, topic, Map.of());
    }

    /** A publisher with producer settings of yours on top of the defaults (idempotence stays on). */
    public AlertPublisher(String bootstrap, String topic, Map<String, ?> producerConfig) {
        this.topic = topic;
        this.producer = new KafkaProducer<>(KafkaConfigs.producer(bootstrap, producerConfig));
    }

    /** Logs the alert and sends it to the topic. */
    @Override
    public void accept(Alert alert) {
        LOG.warn("ALERT {}", alert.message());
        byte[] value;
        try {
            value = JSON.writeValueAsBytes(alert.toMap());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an alert as JSON", e);
        }
        producer.send(new ProducerRecord<>(topic, alert.key().getBytes(StandardCharsets.UTF_8), value), (m, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
            }
        });
    }

    /**
     * Waits until Kafka has every alert sent so far.
     *
     * @throws KafkaBridgeException if Kafka refused one
     */
    public void flush() {
        producer.flush();
        Exception e = failure.get();
        if (e != null) {
            throw new KafkaBridgeException("an alert did not reach topic '" + topic + "': " + e.getMessage(), e);
        }
    }

    /** Flushes, then closes the producer. */
    @Override
    public void close() {
        try {
            flush();
        } finally {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
