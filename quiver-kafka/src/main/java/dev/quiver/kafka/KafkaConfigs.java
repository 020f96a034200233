package dev.quiver.kafka;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The client settings the bridges rely on; the user's settings go on top, except those that guarantees need. */
final class KafkaConfigs {
    /**
     * The largest request a bridge's producer sends: 64 MiB, so that a large micro-batch is one record. The broker
     * and the topic must accept it too ({@code message.max.bytes}, {@code max.message.bytes}); Kafka's default is 1 MiB.
     */
    static final int MAX_REQUEST_BYTES = 64 << 20;

    private KafkaConfigs() {}

    /**
     * An idempotent producer of byte arrays: acks from all in-sync replicas, retries without duplicates or
     * reordering within a partition. No Kafka compression: the values are compressed Arrow already.
     */
    static Map<String, Object> producer(String bootstrap, Map<String, ?> user) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_REQUEST_BYTES);
        p.putAll(user);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /**
     * A consumer of byte arrays that never commits by itself (the bridge commits after the store has the data), and
     * reads only committed transactional records.
     *
     * @param groupId the group whose offsets are committed, or null for a consumer that commits nothing
     */
    static Map<String, Object> consumer(String bootstrap, String groupId, Map<String, ?> user) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
        c.putAll(user);
        if (groupId != null) {
            c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        } else {
            c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        }
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return c;
    }
}
