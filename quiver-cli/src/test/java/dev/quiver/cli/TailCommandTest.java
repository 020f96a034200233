package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.RunningStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code quiver tail} against a real store and a stream written in this JVM. */
class TailCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final RunningStore store = new RunningStore(16 << 20);
    QuiverClient client;
    BufferAllocator allocator;
    ArrowStore arrow;
    String socket;

    @BeforeEach
    void start() throws Exception {
        client = store.client();
        allocator = new RootAllocator();
        arrow = new ArrowStore(client, allocator);
        socket = store.server().socket().toString();
    }

    @AfterEach
    void stop() {
        allocator.close();
    }

    /** Appends batch {@code seq} with {@code seq + 1} rows. */
    private void append(StreamWriter w, long seq) {
        try (BigIntVector v = new BigIntVector("v", allocator)) {
            for (int i = 0; i <= seq; i++) {
                v.setSafe(i, seq * 100 + i);
            }
            v.setValueCount((int) seq + 1);
            try (VectorSchemaRoot root = VectorSchemaRoot.of(v)) {
                assertThat(w.append(root)).isEqualTo(seq);
            }
        }
    }

    /** The words {@code key=value} of a line. */
    private static Map<String, String> fields(String line) {
        Map<String, String> m = new HashMap<>();
        for (String w : line.split(" ")) {
            int eq = w.indexOf('=');
            if (eq > 0) {
                m.put(w.substring(0, eq), w.substring(eq + 1));
            }
        }
        return m;
    }

    @Test
    void printsEveryBatchWithItsLagThenTheEndAndExitsZero() {
        try (StreamWriter w = StreamWriter.open(arrow, "ticks", Retention.ALL)) {
            for (long seq = 0; seq < 5; seq++) {
                append(w, seq);
            }
            w.end();
        }
        Cli tail = Cli.run("tail", "ticks", "-s", socket, "--from", "earliest");
        assertThat(tail.exit()).as(tail.err()).isZero();
        List<String> lines = tail.out().lines().toList();
        assertThat(lines).hasSize(6);
        long previousBytes = 0;
        for (int seq = 0; seq < 5; seq++) {
            Map<String, String> f = fields(lines.get(seq));
            assertThat(lines.get(seq)).startsWith("seq=" + seq + " ");
            assertThat(f).containsEntry("rows", String.valueOf(seq + 1))
                    .containsEntry("lag", String.valueOf(4 - seq)); // the newest batch is 4; the end is no batch
            long bytes = Long.parseLong(f.get("bytes"));
            assertThat(bytes).as("the batch's IPC bytes in the log: one more row is more bytes")
                    .isGreaterThan(previousBytes);
            previousBytes = bytes;
            assertThat(f.get("age")).matches("\\d+\\.\\dms");
        }
        assertThat(lines.get(5)).isEqualTo("END batches=5");
    }

    @Test
    void reportsLostBatchesStopsAfterNAndStartsWhereAsked() throws Exception {
        try (StreamWriter w = StreamWriter.open(arrow, "ticks", Retention.batches(2))) {
            for (long seq = 0; seq < 6; seq++) {
                append(w, seq);
            }
            Cli fromZero = Cli.run("tail", "ticks", "-s", socket, "--from", "0", "-n", "2");
            assertThat(fromZero.exit()).isZero();
            assertThat(fromZero.out().lines().toList()).hasSize(3).satisfies(l -> {
                assertThat(l.get(0)).isEqualTo("LOST seq=0..3 count=4");
                assertThat(l.get(1)).startsWith("seq=4 rows=5 ").contains(" lag=1 ");
                assertThat(l.get(2)).startsWith("seq=5 rows=6 ").contains(" lag=0 ");
            });

            Cli latest = Cli.run("tail", "ticks", "-s", socket, "-n", "1", "--json");
            assertThat(latest.exit()).isZero();
            JsonNode batch = JSON.readTree(latest.out());
            assertThat(batch.get("event").asText()).isEqualTo("batch");
            assertThat(batch.get("seq").asLong()).as("--from latest by default").isEqualTo(5);
            assertThat(batch.get("rows").asLong()).isEqualTo(6);
            assertThat(batch.get("lag").asLong()).isZero();
            assertThat(batch.get("bytes").asLong()).isPositive();
            assertThat(batch.get("ageMillis").asDouble()).isNotNegative();
            assertThat(batch.get("appendedAt").asText()).endsWith("Z");
            w.end();
        }
        Cli json = Cli.run("tail", "ticks", "-s", socket, "--from", "earliest", "--json");
        List<JsonNode> events = new ArrayList<>();
        for (String line : json.out().lines().toList()) {
            events.add(JSON.readTree(line));
        }
        assertThat(events).extracting(e -> e.get("event").asText()).containsExactly("batch", "batch", "end");
        assertThat(events.get(2).get("batches").asLong()).isEqualTo(6);

        // Beyond the end of an ended stream: the end, not a wait forever.
        Cli past = Cli.run("tail", "ticks", "-s", socket, "--from", "100");
        assertThat(past.exit()).isZero();
        assertThat(past.out()).isEqualTo("END batches=6" + System.lineSeparator());

        Cli bad = Cli.run("tail", "ticks", "-s", socket, "--from", "soon");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("'soon' is not earliest, latest or a sequence number");
    }

    @Test
    void followsAStreamWrittenWhileItRunsInAProcessOfItsOwn() {
        try (StreamWriter w = StreamWriter.open(arrow, "ticks", Retention.ALL);
             ChildJvm tail = ChildJvm.start(QuiverCommand.class.getName(),
                     List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), // quick to start
                     "tail", "ticks", "-s", socket, "--from", "earliest")) {
            for (long seq = 0; seq < 3; seq++) {
                append(w, seq);
                // Each batch is printed as it is sealed: the newest, so lag 0.
                String line = tail.readLine(WAIT);
                assertThat(line).startsWith("seq=" + seq + " rows=" + (seq + 1) + " ").contains(" lag=0 ");
            }
            w.end();
            assertThat(tail.readLine(WAIT)).isEqualTo("END batches=3");
            assertThat(tail.waitFor(WAIT)).isZero();
        }
    }
}
