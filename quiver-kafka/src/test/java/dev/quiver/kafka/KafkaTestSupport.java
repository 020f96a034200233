package dev.quiver.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Plain Kafka clients for the tests: what any producer or consumer of the topics would do. */
final class KafkaTestSupport {
    private KafkaTestSupport() {}

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(KafkaConfigs.producer(bootstrap, Map.of()));
    }

    /** Sends and waits for the acknowledgement. */
    static RecordMetadata send(KafkaProducer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record) {
        try {
            return producer.send(record).get();
        } catch (Exception e) {
            throw new IllegalStateException("send failed", e);
        }
    }

    /** Reads {@code count} records of the topic from the beginning, polling until a deadline (then fails). */
    static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, int count, Duration deadline) {
        Map<String, Object> config = KafkaConfigs.consumer(bootstrap, "test-" + UUID.randomUUID(), Map.of());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(config)) {
            c.subscribe(List.of(topic));
            long end = System.nanoTime() + deadline.toNanos();
            while (records.size() < count) {
                if (System.nanoTime() > end) {
                    throw new AssertionError("read " + records.size() + " of " + count + " records of " + topic
                            + " within " + deadline);
                }
                c.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
