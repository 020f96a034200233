package dev.quiver.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.testkit.EmbeddedKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The codec through a real broker, both bridges, dead letters and alert events, in one JVM with a real store. */
@ExtendWith(SharedKafka.class)
class KafkaBridgeTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static StoreFixture fx;

    @BeforeAll
    static void start(EmbeddedKafka k) throws IOException {
        kafka = k;
        fx = new StoreFixture(dir, 256 << 20);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    void everyFormatAndCompressionSurvivesTheBroker() {
        String topic = SharedKafka.topic("codecs");
        kafka.createTopic(topic, 1);
        List<ArrowCodec> codecs = new ArrayList<>();
        for (ArrowCodec.Format f : ArrowCodec.Format.values()) {
            for (Compression c : List.of(Compression.NONE, Compression.lz4Frame(), Compression.zstd(1), Compression.zstd(7))) {
                codecs.add(new ArrowCodec(f, c));
            }
        }
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka.bootstrapServers())) {
            for (int i = 0; i < codecs.size(); i++) {
                try (VectorSchemaRoot t = TestTables.metrics(i, 300, fx.allocator)) {
                    KafkaTestSupport.send(producer, new ProducerRecord<>(topic, codecs.get(i).encode(t)));
                }
            }
        }
        List<ConsumerRecord<byte[], byte[]>> records = KafkaTestSupport.readAll(kafka.bootstrapServers(), topic,
                codecs.size(), DEADLINE);
        for (int i = 0; i < codecs.size(); i++) {
            try (VectorSchemaRoot expected = TestTables.metrics(i, 300, fx.allocator);
                 VectorSchemaRoot back = ArrowCodec.SEED.decode(records.get(i).value(), fx.allocator)) {
                assertThat(ArrowCodec.formatOf(records.get(i).value())).isEqualTo(codecs.get(i).format());
                assertThat(back.contentToTSVString()).as(codecs.get(i).format() + " " + codecs.get(i).compression())
                        .isEqualTo(expected.contentToTSVString());
            }
        }
    }

    /** The seed's producer: key null, value = pyarrow's IPC file with zstd level 1. Local readers get it zero-copy. */
    @Test
    void theSeedsMessagesReachTheStoreAndBadOnesTheDeadLetterTopic() throws IOException {
        String topic = SharedKafka.topic("arrow_tables");
        kafka.createTopic(topic, 1);
        kafka.createTopic(topic + ".dlq", 1);
        byte[] seed = ArrowCodecTest.resource("seed/seed-file-zstd1.arrow");
        byte[][] values = {seed, "not arrow".getBytes(StandardCharsets.UTF_8), seed, new byte[0],
                Arrays.copyOf(seed, 100), seed};
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka.bootstrapServers())) {
            for (byte[] v : values) {
                KafkaTestSupport.send(producer, new ProducerRecord<>(topic, null, v));
            }
        }
        String stream = topic + ".in";
        try (TopicToStream bridge = TopicToStream.builder(fx.arrow, kafka.bootstrapServers(), topic, stream).open()) {
            long end = System.nanoTime() + DEADLINE.toNanos();
            while (bridge.sealed() + bridge.deadLettered() < values.length && System.nanoTime() < end) {
                bridge.poll(Duration.ofMillis(200));
            }
            assertThat(bridge.sealed()).isEqualTo(3);
            assertThat(bridge.deadLettered()).isEqualTo(3);
        }
        StreamReader reader = StreamReader.open(fx.arrow, stream, StreamReader.Start.EARLIEST);
        List<Long> offsets = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            try (StreamEvent.Batch b = (StreamEvent.Batch) reader.next(Duration.ofSeconds(5))) {
                ArrowCodecTest.checkFixture(b.table().batches().getFirst()); // read over store memory
                KafkaSource source = KafkaSource.of(b.table()).orElseThrow();
                assertThat(source.topic()).isEqualTo(topic);
                offsets.add(source.offset());
            }
        }
        assertThat(offsets).containsExactly(0L, 2L, 5L);
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestSupport.readAll(kafka.bootstrapServers(), topic + ".dlq",
                3, DEADLINE);
        assertThat(dead).extracting(r -> KafkaHeaders.text(r.headers(), KafkaHeaders.DLQ_OFFSET).orElseThrow())
                .containsExactly("1", "3", "4");
        assertThat(dead.get(0).value()).isEqualTo(values[1]); // unchanged
        assertThat(KafkaHeaders.text(dead.get(0).headers(), KafkaHeaders.DLQ_REASON).orElseThrow())
                .contains("not a valid Arrow IPC stream");
        assertThat(KafkaHeaders.text(dead.get(1).headers(), KafkaHeaders.DLQ_REASON).orElseThrow())
                .contains("empty record value");
        assertThat(KafkaHeaders.text(dead.get(2).headers(), KafkaHeaders.DLQ_REASON).orElseThrow())
                .contains("not a valid Arrow IPC file");
        assertThat(KafkaHeaders.text(dead.get(2).headers(), KafkaHeaders.DLQ_TOPIC)).contains(topic);
    }

    /** Quiver → Kafka: a publisher stopped midway and started again sends every batch once, in order. */
    @Test
    void aRestartedPublisherContinuesWhereTheTopicEnds() {
        String topic = SharedKafka.topic("published");
        kafka.createTopic(topic, 3);
        String stream = topic + ".src";
        try (StreamWriter w = StreamWriter.open(fx.arrow, stream, Retention.ALL)) {
            append(w, 0, 12);
            try (StreamToTopic pub = StreamToTopic.builder(fx.arrow, stream, kafka.bootstrapServers(), topic).open()) {
                assertThat(pub.pump(Duration.ofSeconds(5))).isEqualTo(12);
            }
            append(w, 12, 30);
            w.end();
        }
        try (StreamToTopic pub = StreamToTopic.builder(fx.arrow, stream, kafka.bootstrapServers(), topic)
                .codec(new ArrowCodec(ArrowCodec.Format.STREAM, Compression.lz4Frame())).open()) {
            long end = System.nanoTime() + DEADLINE.toNanos();
            while (!pub.ended() && System.nanoTime() < end) {
                pub.pump(Duration.ofMillis(200));
            }
            assertThat(pub.published()).isEqualTo(18); // 12..29: nothing twice
            assertThat(pub.lost()).isZero();
        }
        List<ConsumerRecord<byte[], byte[]>> records = KafkaTestSupport.readAll(kafka.bootstrapServers(), topic, 30,
                DEADLINE);
        assertThat(records).extracting(ConsumerRecord::partition).containsOnly(records.getFirst().partition());
        for (int i = 0; i < 30; i++) {
            ConsumerRecord<byte[], byte[]> r = records.get(i);
            assertThat(KafkaHeaders.text(r.headers(), KafkaHeaders.SEQ)).contains(Integer.toString(i));
            assertThat(KafkaHeaders.text(r.headers(), KafkaHeaders.STREAM)).contains(stream);
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(stream);
            try (VectorSchemaRoot expected = TestTables.metrics(i, 40, fx.allocator);
                 VectorSchemaRoot back = ArrowCodec.SEED.decode(r.value(), fx.allocator)) {
                assertThat(back.contentToTSVString()).isEqualTo(expected.contentToTSVString());
            }
        }
    }

    /**
     * The state a crash between seal and commit leaves: the stream has batches whose offsets Kafka's committed
     * offsets do not cover. A new bridge resumes from the stream's own record of positions: nothing twice.
     */
    @Test
    void committedOffsetsBehindTheStreamDoNotDuplicate() throws Exception {
        String topic = SharedKafka.topic("rewound");
        kafka.createTopic(topic, 2);
        String stream = topic + ".in";
        String group = "bridge-" + topic;
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka.bootstrapServers())) {
            produce(producer, topic, 0, 20);
            try (TopicToStream bridge = TopicToStream.builder(fx.arrow, kafka.bootstrapServers(), topic, stream)
                    .groupId(group).open()) {
                pollUntil(bridge, 20);
            }
            rewind(topic, 2, group);
            produce(producer, topic, 20, 30);
            try (TopicToStream bridge = TopicToStream.builder(fx.arrow, kafka.bootstrapServers(), topic, stream)
                    .groupId(group).open()) {
                pollUntil(bridge, 10);
                assertThat(bridge.poll(Duration.ofMillis(500)).sealed()).isZero(); // and nothing else comes
                assertThat(bridge.nextSeq()).isEqualTo(30);
            }
        }
        StreamReader reader = StreamReader.open(fx.arrow, stream, StreamReader.Start.EARLIEST);
        Map<Integer, Long> last = new HashMap<>();
        int n = 0;
        while (reader.next(Duration.ofMillis(200)) instanceof StreamEvent.Batch b) {
            try (b) {
                KafkaSource s = KafkaSource.of(b.table()).orElseThrow();
                assertThat(s.offset()).isGreaterThan(last.getOrDefault(s.partition(), -1L)); // per partition: in order
                last.put(s.partition(), s.offset());
                n++;
            }
        }
        assertThat(n).isEqualTo(30);
    }

    /**
     * Committed offsets behind the stream (as a crash between seal and commit leaves them), and a newest batch that
     * does not record where the stream stands: resuming from the committed offsets would write records twice. The
     * bridge refuses to start, says why, and leaves the stream and the offsets as they were.
     */
    @Test
    void aStreamThatDoesNotRecordWhereItStandsStopsTheBridgeInsteadOfDuplicating() throws Exception {
        String topic = SharedKafka.topic("unrecorded");
        kafka.createTopic(topic, 2);
        String stream = topic + ".in";
        String group = "bridge-" + topic;
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka.bootstrapServers())) {
            produce(producer, topic, 0, 4);
        }
        try (TopicToStream bridge = TopicToStream.builder(fx.arrow, kafka.bootstrapServers(), topic, stream)
                .groupId(group).open()) {
            pollUntil(bridge, 4);
        }
        rewind(topic, 2, group);
        Map<String, String> unreadable = Map.of(KafkaHeaders.SOURCE_TOPIC, topic, KafkaHeaders.SOURCE_PARTITION, "0",
                KafkaHeaders.SOURCE_OFFSET, "3", KafkaHeaders.SOURCE_POSITIONS, "0=3");
        Map<Map<String, String>, String> cases = new java.util.LinkedHashMap<>();
        cases.put(Map.of(), "carries no Kafka origin");
        cases.put(Map.of(KafkaHeaders.SOURCE_TOPIC, "elsewhere"), "came from topic 'elsewhere'");
        cases.put(unreadable, "has no readable " + KafkaHeaders.SOURCE_POSITIONS);
        long seq = 4;
        for (Map.Entry<Map<String, String>, String> c : cases.entrySet()) {
            try (StreamWriter w = StreamWriter.open(fx.arrow, stream, Retention.ALL);
                 VectorSchemaRoot t = TestTables.metrics(0, 5, fx.allocator)) {
                w.append(new VectorSchemaRoot(new org.apache.arrow.vector.types.pojo.Schema(
                        t.getSchema().getFields(), c.getKey()), t.getFieldVectors(), t.getRowCount()));
            }
            seq++;
            assertThatThrownBy(() -> TopicToStream.builder(fx.arrow, kafka.bootstrapServers(), topic, stream)
                    .groupId(group).open())
                    .isInstanceOf(KafkaBridgeException.class)
                    .hasMessageContaining("cannot resume stream '" + stream + "' from topic '" + topic + "'")
                    .hasMessageContaining(c.getValue())
                    .hasMessageContaining("Bridge into a new stream");
            try (StreamWriter w = StreamWriter.open(fx.arrow, stream, Retention.ALL)) { // let go, nothing appended
                assertThat(w.nextSeq()).isEqualTo(seq);
            }
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                assertThat(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30,
                        TimeUnit.SECONDS).get(new TopicPartition(topic, 0)).offset()).isZero(); // nothing committed
            }
        }
    }

    /** A bridge waits for the stream's writer on the store's notifications and takes the stream once it is let go. */
    @Test
    void aBridgeWaitsForTheStreamsWriterAndTakesOverWhenItLetsGo() throws Exception {
        String topic = SharedKafka.topic("handover");
        kafka.createTopic(topic, 1);
        String stream = topic + ".in";
        StreamWriter holder = StreamWriter.open(fx.arrow, stream, Retention.ALL);
        int clients = fx.client.stats().clients();
        CompletableFuture<TopicToStream> waiting = CompletableFuture.supplyAsync(() -> TopicToStream.builder(fx.arrow,
                kafka.bootstrapServers(), topic, stream).writerWait(DEADLINE).open());
        try {
            long end = System.nanoTime() + DEADLINE.toNanos();
            while (fx.client.stats().clients() <= clients) { // the subscription the bridge waits on
                assertThat(System.nanoTime()).as("the bridge subscribed to the store's notifications").isLessThan(end);
                Thread.onSpinWait();
            }
            assertThat(waiting).isNotDone();
        } finally {
            holder.close();
        }
        try (TopicToStream bridge = waiting.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            assertThat(bridge.nextSeq()).isZero();
        }
    }

    @Test
    void aBridgeNeedsItsTopicAndItsStreamToItself() {
        assertThatThrownBy(() -> TopicToStream.builder(fx.arrow, kafka.bootstrapServers(), "t", "s")
                .writerWait(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("writerWait must not be negative");
        assertThatThrownBy(() -> TopicToStream.builder(fx.arrow, kafka.bootstrapServers(), "no-such-topic", "s").open())
                .isInstanceOf(KafkaBridgeException.class).hasMessageContaining("topic 'no-such-topic' does not exist");
        String topic = SharedKafka.topic("taken");
        kafka.createTopic(topic, 1);
        try (StreamWriter other = StreamWriter.open(fx.arrow, topic + ".in", Retention.ALL)) {
            assertThatThrownBy(() -> TopicToStream.builder(fx.arrow, kafka.bootstrapServers(), topic, topic + ".in")
                    .writerWait(Duration.ofMillis(300)).open())
                    .isInstanceOf(KafkaBridgeException.class).hasMessageContaining("kept another writer");
        }
    }

    @Test
    void alertsAreEventsOnATopic() throws Exception {
        String topic = SharedKafka.topic("alerts");
        kafka.createTopic(topic, 1);
        Windows w = Windows.tumbling(Duration.ofSeconds(10));
        try (AlertPublisher publisher = new AlertPublisher(kafka.bootstrapServers(), topic)) {
            WindowedAggregator agg = new WindowedAggregator(w, List.of("cpu_used"),
                    new AlertEvaluator(List.of(AlertRule.above("cpu-busy", "cpu_used", Stat.MIN, 80)), w, publisher));
            agg.add("edge-1", 1_000_000, 90);
            agg.add("edge-1", 5_000_000, 85);
            agg.finish();
            publisher.flush();
        }
        ConsumerRecord<byte[], byte[]> r = KafkaTestSupport.readAll(kafka.bootstrapServers(), topic, 1, DEADLINE)
                .getFirst();
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("edge-1");
        Map<?, ?> json = new ObjectMapper().readValue(r.value(), Map.class);
        assertThat(json.get("rule")).isEqualTo("cpu-busy");
        assertThat(json.get("stat")).isEqualTo("MIN");
        assertThat(json.get("value")).isEqualTo(85.0);
        assertThat(json.get("window_start")).isEqualTo("1970-01-01T00:00:00Z");
    }

    private static void append(StreamWriter w, int from, int to) {
        for (int i = from; i < to; i++) {
            try (VectorSchemaRoot t = TestTables.metrics(i, 40, fx.allocator)) {
                w.append(t);
            }
        }
    }

    private static void produce(KafkaProducer<byte[], byte[]> producer, String topic, int from, int to) {
        for (int i = from; i < to; i++) {
            try (VectorSchemaRoot t = TestTables.metrics(i, 20, fx.allocator)) {
                KafkaTestSupport.send(producer, new ProducerRecord<>(topic, i % 2, null, ArrowCodec.SEED.encode(t)));
            }
        }
    }

    /** Sets the group's committed offsets back to 0, as a bridge killed before its first commit leaves them. */
    private static void rewind(String topic, int partitions, String group) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> zero = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                zero.put(new TopicPartition(topic, p), new OffsetAndMetadata(0));
            }
            admin.alterConsumerGroupOffsets(group, zero).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static void pollUntil(TopicToStream bridge, long sealed) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (bridge.sealed() < sealed) {
            assertThat(System.nanoTime()).as("sealed %d of %d in time", bridge.sealed(), sealed).isLessThan(end);
            bridge.poll(Duration.ofMillis(200));
        }
    }
}
