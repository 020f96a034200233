package dev.quiver.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.testkit.EmbeddedKafka;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka → Quiver bridge runs as a separate JVM and is killed with SIGKILL midway; a new one takes over. Every
 * record sent arrives in the store stream exactly as sent, in order per partition, and none twice.
 */
@ExtendWith(SharedKafka.class)
class BridgeCrashTest {
    private static final int BATCHES = 120;
    private static final int ROWS = 200;
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private record Origin(int partition, long offset) {}

    @Test
    void aBridgeKilledMidwayLosesNothingAndDuplicatesNothing(EmbeddedKafka kafka) throws Exception {
        String topic = SharedKafka.topic("crash");
        String stream = topic + ".in";
        kafka.createTopic(topic, 3);
        kafka.createTopic(topic + ".dlq", 1);
        Map<Origin, Integer> sent = new HashMap<>();
        try (StoreFixture fx = new StoreFixture(dir, 256 << 20);
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka.bootstrapServers())) {
            produce(fx, producer, topic, 0, BATCHES / 2, sent);
            StreamReader reader = StreamReader.open(fx.arrow, stream, StreamReader.Start.EARLIEST);
            List<Origin> seen = new ArrayList<>();
            long deadline = System.nanoTime() + DEADLINE.toNanos();

            Process first = startBridge(fx, kafka, topic, stream);
            read(fx, reader, seen, sent, BATCHES / 4, deadline); // the bridge is busy: kill it
            first.destroyForcibly(); // SIGKILL: no close, no commit, no goodbye to the store
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(first.exitValue()).isEqualTo(137);

            produce(fx, producer, topic, BATCHES / 2, BATCHES, sent); // the topic goes on while no bridge runs
            Process second = startBridge(fx, kafka, topic, stream);
            try {
                read(fx, reader, seen, sent, BATCHES, deadline);
                assertThat(reader.next(Duration.ofMillis(500))).isInstanceOf(StreamEvent.Timeout.class); // no extras
            } finally {
                second.destroyForcibly();
                second.waitFor(30, TimeUnit.SECONDS);
            }
            assertThat(seen).hasSize(BATCHES).doesNotHaveDuplicates();
            assertThat(new java.util.HashSet<>(seen)).isEqualTo(sent.keySet());
            for (int p = 0; p < 3; p++) {
                int partition = p;
                List<Long> offsets = seen.stream().filter(o -> o.partition() == partition).map(Origin::offset).toList();
                assertThat(offsets).as("partition %d in offset order", p).isSorted();
            }
        }
    }

    /** Reads batches until {@code total} were seen, checking each against what was sent from its origin. */
    private static void read(StoreFixture fx, StreamReader reader, List<Origin> seen, Map<Origin, Integer> sent,
            int total, long deadline) {
        while (seen.size() < total) {
            assertThat(System.nanoTime()).as("%d of %d batches arrived in time", seen.size(), total).isLessThan(deadline);
            if (reader.next(Duration.ofMillis(500)) instanceof StreamEvent.Batch b) {
                try (b) {
                    KafkaSource s = KafkaSource.of(b.table()).orElseThrow();
                    Origin o = new Origin(s.partition(), s.offset());
                    Integer n = sent.get(o);
                    assertThat(n).as("batch from %s was sent", o).isNotNull();
                    try (VectorSchemaRoot expected = TestTables.metrics(n, ROWS, fx.allocator)) {
                        assertThat(b.table().batches().getFirst().contentToTSVString())
                                .isEqualTo(expected.contentToTSVString());
                    }
                    seen.add(o);
                }
            }
        }
    }

    private static void produce(StoreFixture fx, KafkaProducer<byte[], byte[]> producer, String topic, int from, int to,
            Map<Origin, Integer> sent) {
        for (int i = from; i < to; i++) {
            try (VectorSchemaRoot t = TestTables.metrics(i, ROWS, fx.allocator)) {
                RecordMetadata m = KafkaTestSupport.send(producer, new ProducerRecord<>(topic, i % 3, null,
                        ArrowCodec.SEED.encode(t)));
                sent.put(new Origin(m.partition(), m.offset()), i);
            }
        }
    }

    private static Process startBridge(StoreFixture fx, EmbeddedKafka kafka, String topic, String stream)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        Arrays.stream(System.getProperty("quiver.jvm.flags", "").trim().split("\\s+")).filter(f -> !f.isEmpty())
                .forEach(cmd::add);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BridgeChild.class.getName(),
                fx.store.socket().toString(), kafka.bootstrapServers(), topic, stream));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine(); // blocks until the child has resumed (or died)
        assertThat(line).as("the bridge process started").isEqualTo("READY");
        return p;
    }
}
