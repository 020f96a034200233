package dev.quiver.kafka;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.arrow.StreamWriterConflictException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka → Quiver bridge: consumes a topic whose values are Arrow IPC files or streams ({@link ArrowCodec}) and
 * appends each record as one batch to a Quiver stream, where local readers take it zero-copy
 * ({@link StreamReader}).
 *
 * <pre>{@code
 * try (TopicToStream bridge = TopicToStream.builder(arrow, "127.0.0.1:9092", "arrow_tables", "metrics").open()) {
 *     while (running) {
 *         bridge.poll(Duration.ofMillis(500));   // decode, seal in the store, then commit
 *     }
 * }
 * }</pre>
 *
 * <p><b>Delivery.</b> At least once, and in practice exactly once while the store keeps the stream:
 * <ul>
 *   <li>Offsets are committed to Kafka (consumer group {@code groupId}) only after the batch is sealed in the store;
 *       a bridge killed at any point loses nothing.</li>
 *   <li>Every batch carries its origin in its Arrow schema metadata ({@link KafkaSource}: topic, partition, offset,
 *       timestamp) and the highest offset sealed per partition. A restarted bridge resumes after the greater of that
 *       and the committed offset, so a crash between seal and commit does not write the record twice.</li>
 *   <li>A stream that holds batches but whose newest one does not record this topic's positions (gone, written by
 *       another writer or from another topic, unreadable) stops {@link Builder#open()} with a
 *       {@link KafkaBridgeException} rather than resuming from the committed offsets, which could duplicate. A
 *       stream without batches (new, or gone with a store restart) starts from the committed offsets.</li>
 *   <li>Duplicates remain possible when the store evicted the stream's newest batches before a restart (the writer
 *       then continues after the newest one left, whose record is older). A reader detects them with
 *       {@link KafkaSource#of(dev.quiver.arrow.StoredTable)}: per partition, offsets only grow.</li>
 *   <li>A value that does not decode goes to the dead-letter topic, unchanged, with the reason and its origin in
 *       headers ({@link KafkaHeaders}), and the bridge goes on. Dead letters are themselves at least once: a crash
 *       after the dead letter was sent and before the commit sends it again.</li>
 *   <li>Anything else (store full, Kafka unreachable past its timeouts) stops the bridge with an exception before
 *       the commit; a new bridge retries the same records.</li>
 * </ul>
 *
 * <p><b>Order.</b> Within a partition, batches enter the stream in offset order. Across partitions, the stream's
 * sequence numbers follow the order in which the consumer returned the records, which Kafka does not define. The
 * stream's {@code seq} is the store's order; the source offset is Kafka's.
 *
 * <p>One bridge per stream: it holds the stream's writer (a second bridge waits for it, up to
 * {@link Builder#writerWait}, then fails). It reads every partition of the topic (assigned, not subscribed: no
 * rebalances, and a restart resumes at once). Not thread-safe: poll and close from one thread.
 */
public final class TopicToStream implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicToStream.class);

    /**
     * What one {@link #poll} did.
     *
     * @param sealed       records appended to the stream
     * @param deadLettered records sent to the dead-letter topic
     */
    public record Step(int sealed, int deadLettered) {}

    private final ArrowStore arrow;
    private final String topic;
    private final String stream;
    private final String deadLetterTopic;
    private final ArrowCodec codec;
    private final StreamWriter writer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> deadLetters;
    private final SortedMap<Integer, Long> positions;
    private final AtomicReference<Exception> deadLetterFailure = new AtomicReference<>();
    private long sealed;
    private long deadLettered;
    private boolean closed;

    private TopicToStream(Builder b, StreamWriter writer, SortedMap<Integer, Long> positions,
            KafkaConsumer<byte[], byte[]> consumer, KafkaProducer<byte[], byte[]> deadLetters) {
        this.arrow = b.arrow;
        this.topic = b.topic;
        this.stream = b.stream;
        this.deadLetterTopic = b.deadLetterTopic;
        this.codec = b.codec;
        this.writer = writer;
        this.positions = positions;
        this.consumer = consumer;
        this.deadLetters = deadLetters;
    }

    /** A bridge from {@code topic} on the cluster at {@code bootstrap} into the Quiver stream {@code stream}. */
    public static Builder builder(ArrowStore arrow, String bootstrap, String topic, String stream) {
        return new Builder(arrow, bootstrap, topic, stream);
    }

    /** Settings of a {@link TopicToStream}; {@link #open()} starts it. */
    public static final class Builder {
        private final ArrowStore arrow;
        private final String bootstrap;
        private final String topic;
        private final String stream;
        private String groupId;
        private String deadLetterTopic;
        private Retention retention = Retention.batches(10_000);
        private ArrowCodec codec = ArrowCodec.SEED;
        private Duration writerWait = Duration.ofSeconds(30);
        private Map<String, ?> consumerConfig = Map.of();
        private Map<String, ?> producerConfig = Map.of();

        private Builder(ArrowStore arrow, String bootstrap, String topic, String stream) {
            this.arrow = Objects.requireNonNull(arrow, "arrow");
            this.bootstrap = Objects.requireNonNull(bootstrap, "bootstrap");
            this.topic = Objects.requireNonNull(topic, "topic");
            this.stream = Objects.requireNonNull(stream, "stream");
            this.groupId = "quiver-bridge." + stream;
            this.deadLetterTopic = topic + ".dlq";
        }

        /** The consumer group whose committed offsets record progress (default {@code quiver-bridge.STREAM}). */
        public Builder groupId(String groupId) {
            this.groupId = Objects.requireNonNull(groupId);
            return this;
        }

        /** Where values that do not decode go (default {@code TOPIC.dlq}). It must exist. */
        public Builder deadLetterTopic(String topic) {
            this.deadLetterTopic = Objects.requireNonNull(topic);
            return this;
        }

        /** How many batches the stream keeps (default: the newest 10,000). */
        public Builder retention(Retention retention) {
            this.retention = Objects.requireNonNull(retention);
            return this;
        }

        /** The codec whose decoding limit applies (any format and compression decodes; default {@link ArrowCodec#SEED}). */
        public Builder codec(ArrowCodec codec) {
            this.codec = Objects.requireNonNull(codec);
            return this;
        }

        /**
         * How long to wait for the stream's previous writer (a bridge being replaced) to let go (default 30 s; zero
         * fails at once). The wait is woken by the store when that writer closes or its process ends.
         */
        public Builder writerWait(Duration wait) {
            if (Objects.requireNonNull(wait, "wait").isNegative()) {
                throw new IllegalArgumentException("writerWait must not be negative, got " + wait);
            }
            this.writerWait = wait;
            return this;
        }

        /** Kafka consumer settings on top of the bridge's (auto-commit stays off, deserializers stay bytes). */
        public Builder consumerConfig(Map<String, ?> config) {
            this.consumerConfig = Map.copyOf(config);
            return this;
        }

        /** Settings of the dead-letter producer on top of the bridge's (idempotence stays on). */
        public Builder producerConfig(Map<String, ?> config) {
            this.producerConfig = Map.copyOf(config);
            return this;
        }

        /**
         * Takes the stream's writer, finds where to resume, and assigns every partition of the topic.
         *
         * @throws KafkaBridgeException if the topic does not exist, the stream keeps another writer, or the stream
         *                              holds batches whose newest does not record where it stands in the topic
         */
        public TopicToStream open() {
            StreamWriter writer = openWriter();
            KafkaConsumer<byte[], byte[]> consumer = null;
            KafkaProducer<byte[], byte[]> producer = null;
            try {
                SortedMap<Integer, Long> stored = storedPositions(writer);
                consumer = new KafkaConsumer<>(KafkaConfigs.consumer(bootstrap, groupId, consumerConfig));
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
                if (infos == null || infos.isEmpty()) {
                    throw new KafkaBridgeException("topic '" + topic + "' does not exist on " + bootstrap
                            + ": create it first (the bridge creates no topic)");
                }
                List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic, i.partition()))
                        .sorted(java.util.Comparator.comparingInt(TopicPartition::partition)).toList();
                consumer.assign(partitions);
                Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.copyOf(partitions),
                        Duration.ofSeconds(30));
                List<String> from = new ArrayList<>();
                for (TopicPartition tp : partitions) {
                    long inStream = stored.containsKey(tp.partition()) ? stored.get(tp.partition()) + 1 : -1;
                    OffsetAndMetadata c = committed.get(tp);
                    long start = Math.max(inStream, c == null ? -1 : c.offset());
                    if (start >= 0) {
                        consumer.seek(tp, start);
                        from.add(tp.partition() + "@" + start + (start == inStream ? " (stream)" : " (committed)"));
                    } else {
                        from.add(tp.partition() + "@" + consumer.position(tp) + " (reset)");
                    }
                }
                producer = new KafkaProducer<>(KafkaConfigs.producer(bootstrap, producerConfig));
                LOG.info("bridge {} -> stream '{}' (group {}) resumes at {}, stream seq {}", topic, stream, groupId,
                        from, writer.nextSeq());
                return new TopicToStream(this, writer, stored, consumer, producer);
            } catch (RuntimeException e) {
                if (consumer != null) {
                    consumer.close(Duration.ZERO);
                }
                if (producer != null) {
                    producer.close(Duration.ZERO);
                }
                writer.close();
                throw e;
            }
        }

        /** The stream's writer, waiting (woken by the store, see {@link StreamWriter}) for a previous one to let go. */
        private StreamWriter openWriter() {
            try {
                return StreamWriter.open(arrow, stream, retention, writerWait);
            } catch (StreamWriterConflictException e) {
                throw new KafkaBridgeException("stream '" + stream + "' kept another writer for "
                        + writerWait.toMillis() + " ms (writerWait): is another bridge running into it? Stop it, or "
                        + "give a longer writerWait", e);
            }
        }

        /**
         * The highest offset of each partition already in the stream, as its newest batch records it; none for a
         * stream without batches (new, or gone with a store restart), which starts from the committed offsets.
         *
         * @throws KafkaBridgeException if the stream holds batches but the newest does not say where it stands:
         *                              resuming from the committed offsets could then write records twice
         */
        private SortedMap<Integer, Long> storedPositions(StreamWriter writer) {
            long newest = writer.nextSeq() - 1;
            if (newest < 0) {
                return new TreeMap<>();
            }
            String cannot = "cannot resume stream '" + stream + "' from topic '" + topic + "' without writing records "
                    + "twice: ";
            String todo = ". Bridge into a new stream (another name): this one cannot tell what it holds";
            StreamEvent e;
            try (StreamReader newestReader = StreamReader.open(arrow, stream, StreamReader.Start.at(newest))) {
                e = newestReader.next(Duration.ZERO); // the batch keeps its segment after the reader lets go
            }
            if (!(e instanceof StreamEvent.Batch b)) {
                throw new KafkaBridgeException(cannot + "its newest batch, " + newest + ", is gone (evicted?), and "
                        + "with it the record of which offsets the stream holds" + todo);
            }
            try (b) {
                Map<String, String> meta = b.table().schema().getCustomMetadata();
                String origin = meta == null ? null : meta.get(KafkaHeaders.SOURCE_TOPIC);
                if (!topic.equals(origin)) {
                    throw new KafkaBridgeException(cannot + "its newest batch, " + newest + ", "
                            + (origin == null ? "carries no Kafka origin (another writer appended it)"
                                    : "came from topic '" + origin + "'")
                            + ", so the stream does not record how far it holds '" + topic + "' (one bridge, from one "
                            + "topic, per stream)" + todo);
                }
                try {
                    return KafkaSource.parsePositions(meta.get(KafkaHeaders.SOURCE_POSITIONS));
                } catch (IllegalArgumentException bad) {
                    throw new KafkaBridgeException(cannot + "its newest batch, " + newest + ", has no readable "
                            + KafkaHeaders.SOURCE_POSITIONS + " (" + bad.getMessage() + ")" + todo, bad);
                }
            }
        }
    }

    /** The topic read. */
    public String topic() {
        return topic;
    }

    /** The stream written. */
    public String stream() {
        return stream;
    }

    /** Batches appended by this bridge so far. */
    public long sealed() {
        return sealed;
    }

    /** Records sent to the dead-letter topic by this bridge so far. */
    public long deadLettered() {
        return deadLettered;
    }

    /** The sequence number the stream's next batch gets. */
    public long nextSeq() {
        return writer.nextSeq();
    }

    /**
     * Waits up to {@code timeout} for records, appends each to the stream (or sends it to the dead-letter topic),
     * then commits their offsets.
     *
     * @throws KafkaBridgeException if a dead letter could not be sent (nothing was committed)
     */
    public Step poll(Duration timeout) {
        requireOpen();
        ConsumerRecords<byte[], byte[]> records = consumer.poll(timeout);
        if (records.isEmpty()) {
            return new Step(0, 0);
        }
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        int appended = 0;
        int dead = 0;
        for (ConsumerRecord<byte[], byte[]> r : records) {
            VectorSchemaRoot decoded;
            try {
                decoded = codec.decode(r.value(), arrow.allocator());
            } catch (ArrowDecodeException e) {
                deadLetter(r, e.getMessage());
                dead++;
                positions.put(r.partition(), r.offset());
                commit.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                continue;
            }
            try (decoded) {
                positions.put(r.partition(), r.offset());
                writer.append(withSource(decoded, r));
            }
            appended++;
            commit.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        if (dead > 0) {
            deadLetters.flush();
            Exception failure = deadLetterFailure.get();
            if (failure != null) {
                throw new KafkaBridgeException("could not send a dead letter to '" + deadLetterTopic + "' (does it "
                        + "exist?); nothing of this poll was committed: " + failure.getMessage(), failure);
            }
        }
        consumer.commitSync(commit);
        sealed += appended;
        deadLettered += dead;
        return new Step(appended, dead);
    }

    /** The decoded batch with its origin and the stream's positions in its schema metadata (vectors shared). */
    private VectorSchemaRoot withSource(VectorSchemaRoot decoded, ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> meta = new HashMap<>();
        if (decoded.getSchema().getCustomMetadata() != null) {
            meta.putAll(decoded.getSchema().getCustomMetadata());
        }
        meta.put(KafkaHeaders.SOURCE_TOPIC, r.topic());
        meta.put(KafkaHeaders.SOURCE_PARTITION, Integer.toString(r.partition()));
        meta.put(KafkaHeaders.SOURCE_OFFSET, Long.toString(r.offset()));
        meta.put(KafkaHeaders.SOURCE_TIMESTAMP, Long.toString(r.timestamp()));
        meta.put(KafkaHeaders.SOURCE_POSITIONS, KafkaSource.formatPositions(positions));
        return new VectorSchemaRoot(new Schema(decoded.getSchema().getFields(), meta), decoded.getFieldVectors(),
                decoded.getRowCount());
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> r, String reason) {
        LOG.warn("{}-{}@{} does not decode, sent to {}: {}", r.topic(), r.partition(), r.offset(), deadLetterTopic,
                reason);
        RecordHeaders headers = new RecordHeaders(r.headers().toArray());
        headers.add(KafkaHeaders.DLQ_REASON, KafkaHeaders.bytes(reason));
        headers.add(KafkaHeaders.DLQ_TOPIC, KafkaHeaders.bytes(r.topic()));
        headers.add(KafkaHeaders.DLQ_PARTITION, KafkaHeaders.bytes(r.partition()));
        headers.add(KafkaHeaders.DLQ_OFFSET, KafkaHeaders.bytes(r.offset()));
        deadLetters.send(new ProducerRecord<>(deadLetterTopic, null, r.timestamp(), r.key(), r.value(), headers),
                (meta, e) -> {
                    if (e != null) {
                        deadLetterFailure.compareAndSet(null, e);
                    }
                });
    }

    /** Ends the stream (its readers see the end after the last batch), then closes the bridge. */
    public void end() {
        requireOpen();
        writer.end();
        close();
    }

    /**
     * Stops the bridge: everything polled so far is sealed and committed already. The stream's writer is given up
     * (not ended), so another bridge may continue it.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            consumer.close(Duration.ofSeconds(5));
        } finally {
            try {
                deadLetters.close(Duration.ofSeconds(5));
            } finally {
                writer.close();
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the bridge " + topic + " -> " + stream + " is closed");
        }
    }
}
