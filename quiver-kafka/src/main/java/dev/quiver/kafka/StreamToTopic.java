package dev.quiver.kafka;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.StoredTable;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Quiver → Kafka bridge: follows a Quiver stream and publishes each batch as one Kafka record, encoded by an
 * {@link ArrowCodec} (the seed's IPC file with zstd level 1 by default), keyed by the stream's name, with headers
 * {@value KafkaHeaders#STREAM} and {@value KafkaHeaders#SEQ}.
 *
 * <pre>{@code
 * try (StreamToTopic pub = StreamToTopic.builder(arrow, "metrics", "127.0.0.1:9092", "arrow_tables").open()) {
 *     while (!pub.ended()) {
 *         pub.pump(Duration.ofMillis(500));   // publishes what is sealed, returns once Kafka acknowledged it
 *     }
 * }
 * }</pre>
 *
 * <p><b>Delivery.</b> At least once. The producer is idempotent (no duplicates or reordering from its own retries)
 * and every batch goes to one partition (the one Kafka's default partitioner picks for the key), so the stream's
 * order is the partition's order. A restarted publisher finds the last sequence number of its stream in that
 * partition and continues after it: nothing is lost, and nothing is sent twice unless records of the previous
 * publisher were still in flight when it died (then {@code quiver.seq} shows the duplicate). Batches that the
 * stream's retention or the store's eviction removed before they were published cannot be sent: they are counted
 * ({@link #lost()}) and logged.
 *
 * <p>A stream name identifies the stream across restarts: a stream deleted and created again under the same name
 * and published to the same topic would resume after the old sequence numbers; give it a new name or topic.
 * Not thread-safe.
 */
public final class StreamToTopic implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamToTopic.class);
    private static final int TAIL_WINDOW = 256;

    private final String stream;
    private final String topic;
    private final int partition;
    private final byte[] key;
    private final ArrowCodec codec;
    private final StreamReader reader;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private long published;
    private long bytes;
    private long lost;
    private boolean ended;
    private boolean closed;

    private StreamToTopic(Builder b, int partition, StreamReader reader, KafkaProducer<byte[], byte[]> producer) {
        this.stream = b.stream;
        this.topic = b.topic;
        this.partition = partition;
        this.key = b.stream.getBytes(StandardCharsets.UTF_8);
        this.codec = b.codec;
        this.reader = reader;
        this.producer = producer;
    }

    /** A publisher of the Quiver stream {@code stream} to {@code topic} on the cluster at {@code bootstrap}. */
    public static Builder builder(ArrowStore arrow, String stream, String bootstrap, String topic) {
        return new Builder(arrow, stream, bootstrap, topic);
    }

    /** Settings of a {@link StreamToTopic}; {@link #open()} starts it. */
    public static final class Builder {
        private final ArrowStore arrow;
        private final String stream;
        private final String bootstrap;
        private final String topic;
        private ArrowCodec codec = ArrowCodec.SEED;
        private Map<String, ?> producerConfig = Map.of();

        private Builder(ArrowStore arrow, String stream, String bootstrap, String topic) {
            this.arrow = Objects.requireNonNull(arrow, "arrow");
            this.stream = Objects.requireNonNull(stream, "stream");
            this.bootstrap = Objects.requireNonNull(bootstrap, "bootstrap");
            this.topic = Objects.requireNonNull(topic, "topic");
        }

        /** How batches are encoded (default {@link ArrowCodec#SEED}: IPC file, zstd level 1). */
        public Builder codec(ArrowCodec codec) {
            this.codec = Objects.requireNonNull(codec);
            return this;
        }

        /** Kafka producer settings on top of the bridge's (idempotence and acks=all stay). */
        public Builder producerConfig(Map<String, ?> config) {
            this.producerConfig = Map.copyOf(config);
            return this;
        }

        /**
         * Finds where the previous publisher of this stream stopped (the last {@code quiver.seq} of the stream in its
         * partition) and opens the stream after it.
         *
         * @throws KafkaBridgeException if the topic does not exist
         */
        public StreamToTopic open() {
            KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaConfigs.producer(bootstrap, producerConfig));
            try {
                List<PartitionInfo> infos = producer.partitionsFor(topic);
                if (infos == null || infos.isEmpty()) {
                    throw new KafkaBridgeException("topic '" + topic + "' does not exist on " + bootstrap
                            + ": create it first (the bridge creates no topic)");
                }
                byte[] key = stream.getBytes(StandardCharsets.UTF_8);
                int partition = Utils.toPositive(Utils.murmur2(key)) % infos.size(); // Kafka's default for a key
                Optional<Long> last = lastPublished(partition);
                StreamReader reader = StreamReader.open(arrow, stream,
                        last.map(s -> StreamReader.Start.at(s + 1)).orElse(StreamReader.Start.EARLIEST));
                LOG.info("publisher stream '{}' -> {}-{} ({}, {}) starts at seq {}{}", stream, topic, partition,
                        codec.format(), codec.compression(), reader.position(),
                        last.map(s -> " (seq " + s + " was the last in the topic)").orElse(""));
                return new StreamToTopic(this, partition, reader, producer);
            } catch (RuntimeException e) {
                producer.close(Duration.ZERO);
                throw e;
            }
        }

        /** The highest {@code quiver.seq} of this stream in the last window of the partition that holds any. */
        private Optional<Long> lastPublished(int partition) {
            TopicPartition tp = new TopicPartition(topic, partition);
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(KafkaConfigs.consumer(bootstrap, null,
                    Map.of("isolation.level", "read_uncommitted")))) {
                c.assign(List.of(tp));
                long begin = c.beginningOffsets(List.of(tp)).get(tp);
                long end = c.endOffsets(List.of(tp)).get(tp);
                for (long hi = end; hi > begin; hi = Math.max(begin, hi - TAIL_WINDOW)) {
                    long lo = Math.max(begin, hi - TAIL_WINDOW);
                    c.seek(tp, lo);
                    Long best = null;
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (c.position(tp) < hi) {
                        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                            if (r.offset() < hi && KafkaHeaders.text(r.headers(), KafkaHeaders.STREAM)
                                    .filter(stream::equals).isPresent()) {
                                long seq = Long.parseLong(KafkaHeaders.text(r.headers(), KafkaHeaders.SEQ).orElse("-1"));
                                best = best == null ? seq : Math.max(best, seq);
                            }
                        }
                        if (System.nanoTime() > deadline) {
                            throw new KafkaBridgeException("could not read " + tp + " up to offset " + hi
                                    + " within 30 s to find where stream '" + stream + "' stopped");
                        }
                    }
                    if (best != null && best >= 0) {
                        return Optional.of(best);
                    }
                }
                return Optional.empty();
            }
        }
    }

    /** The partition every batch of the stream goes to. */
    public int partition() {
        return partition;
    }

    /** Batches published (and acknowledged) by this publisher. */
    public long published() {
        return published;
    }

    /** Bytes of record values published by this publisher. */
    public long bytes() {
        return bytes;
    }

    /** Batches the stream lost before this publisher could send them (retention or eviction). */
    public long lost() {
        return lost;
    }

    /** Whether the stream has ended and every batch of it was published. */
    public boolean ended() {
        return ended;
    }

    /**
     * Publishes every batch sealed so far, waiting up to {@code wait} for the first one, and returns once Kafka has
     * acknowledged all of them.
     *
     * @return the batches published by this call
     * @throws KafkaBridgeException if Kafka refused a record (a new publisher resumes where this one stopped)
     */
    public int pump(Duration wait) {
        if (closed) {
            throw new IllegalStateException("the publisher of stream '" + stream + "' is closed");
        }
        int n = 0;
        Duration w = wait;
        loop:
        while (!ended) {
            switch (reader.next(w)) {
                case StreamEvent.Batch b -> {
                    try (b) {
                        send(b.seq(), b.table());
                    }
                    n++;
                    w = Duration.ZERO;
                }
                case StreamEvent.Lost l -> {
                    lost += l.count();
                    LOG.warn("stream '{}': batches {}..{} were removed before they could be published to {}",
                            stream, l.fromSeq(), l.toSeq() - 1, topic);
                }
                case StreamEvent.End e -> ended = true;
                case StreamEvent.Timeout t -> {
                    break loop;
                }
            }
        }
        producer.flush();
        Exception e = failure.get();
        if (e != null) {
            throw new KafkaBridgeException("Kafka did not take a batch of stream '" + stream + "' for " + topic
                    + ": " + e.getMessage(), e);
        }
        published += n;
        return n;
    }

    private void send(long seq, StoredTable table) {
        byte[] value = codec.encode(table.schema(), table.batches(), table.dictionaries());
        RecordHeaders headers = new RecordHeaders();
        headers.add(KafkaHeaders.STREAM, key);
        headers.add(KafkaHeaders.SEQ, KafkaHeaders.bytes(seq));
        producer.send(new ProducerRecord<>(topic, partition, null, key, value, headers), (meta, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
            }
        });
        bytes += value.length;
    }

    /** Stops publishing; what {@link #pump} returned for was acknowledged already. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            producer.close(Duration.ofSeconds(5));
            reader.close(); // lets go of the segment it was reading
        }
    }
}
