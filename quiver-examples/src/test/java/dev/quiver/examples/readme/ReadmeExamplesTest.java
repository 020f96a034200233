package dev.quiver.examples.readme;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.examples.readme.ExampleRun.Result;
import dev.quiver.protocol.ObjectId;
import dev.quiver.testkit.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each README example runs for real, as a user would run it: its main in its own JVM with the README's JVM flags, on a
 * real store (the test's, reached through {@code QUIVER_SOCKET}, or the example's own embedded one) and, for the Kafka
 * bridges, a real broker. The tests check what the examples printed against what they put in the store.
 */
class ReadmeExamplesTest {
    private static final Duration HANG_GUARD = Duration.ofSeconds(120);

    @RegisterExtension
    final RunningStore store = new RunningStore(64 << 20);

    @TempDir
    Path tmp;

    @Test
    void theClientExampleWritesAnObjectThatAnotherProcessGets() {
        Result run = ExampleRun.run(ClientExample.class, socket());

        assertThat(run.exit()).as("%s", run).isZero();
        ObjectId id = ObjectId.forName("my-object");
        try (ObjectBuffer b = store.client().get(id, QuiverClient.NO_WAIT).orElseThrow()) {
            byte[] bytes = b.data().toArray(JAVA_BYTE);
            assertThat(bytes).hasSize(1024).containsOnly((byte) 7);
            assertThat(run.lines()).containsExactly(id + ": " + bytes.length + " bytes, the first is " + bytes[0]);
        }
    }

    @Test
    void theClientExampleWithoutAStoreSaysWhereItLookedAndChangesNothing() {
        Path nowhere = tmp.resolve("no-store.sock");
        Result run = ExampleRun.run(ClientExample.class, nowhere);

        assertThat(run.exit()).as("%s", run).isNotZero();
        assertThat(run.err()).contains("StoreUnavailableException", nowhere.toString());
        assertThat(run.out()).isEmpty();
        assertThat(store.client().list()).isEmpty();
    }

    @Test
    void theStreamsExampleWritesAStreamThatAnotherProcessReadsToItsEnd() {
        Result run = ExampleRun.run(StreamsExample.class, socket());
        assertThat(run.exit()).as("%s", run).isZero();

        // The stream as this process reads it: the example must have printed exactly that.
        List<String> read = new ArrayList<>();
        long batches = readStream("ticks", store.client(), "tick", Duration.ofSeconds(30),
                (seq, value) -> read.add("batch " + seq + ": tick " + value));
        assertThat(batches).isPositive().isEqualTo(read.size());
        read.add("the writer ended the stream after " + batches + " batches");
        assertThat(run.lines()).isEqualTo(read);
    }

    @Test
    void theShelfExampleRunsOnItsOwnEmbeddedStore() {
        Result run = ExampleRun.run(ShelfExample.class, null);

        assertThat(run.exit()).as("%s", run).isZero();
        List<String> lines = run.lines();
        String values = value(lines, "prices, zero-copy: ");
        assertThat(values).startsWith("[").endsWith("]");
        int rows = values.split(", ").length;
        assertThat(value(lines, "prices, a copy: ")).isEqualTo(rows + " rows");
        String keys = value(lines, "keys: ");
        List<String> generated = new ArrayList<>(List.of(keys.substring(1, keys.length() - 1).split(", ")));
        assertThat(generated.remove("prices")).as(keys).isTrue();
        assertThat(generated).singleElement().asString().matches("[a-z]+-[a-z]+-[0-9]{4}");
        String key = generated.getFirst();
        assertThat(lines).contains("prices: version 2, " + rows + " rows")
                .anyMatch(l -> l.matches(key + ": version 1, [0-9]+ rows"));
        assertThat(lines.getLast()).isEqualTo("deleted " + key + "; then 1 more");
    }

    @Test
    void theKafkaBridgeExampleCarriesAStreamFromOneStoreToAnotherThroughARealBroker() throws Exception {
        assertTimeoutPreemptively(HANG_GUARD, () -> {
            try (EmbeddedKafka kafka = EmbeddedKafka.start(tmp.resolve("kafka"));
                 RunningStore machineB = RunningStore.started(64 << 20)) {
                kafka.createTopic("arrow_tables", 1);
                List<Long> written = writeStream("metrics", store.client(), List.of(7L, 11L, 13L));

                Result published = ExampleRun.run(KafkaBridgeExample.class, socket(), "publish", kafka.bootstrapServers());
                assertThat(published.exit()).as("%s", published).isZero();
                assertThat(published.lines()).containsExactly("published " + written.size() + " batches");

                try (ChildJvm subscriber = ExampleRun.start(KafkaBridgeExample.class, machineB.server().socket(),
                        "subscribe", kafka.bootstrapServers())) {
                    while (!subscriber.expect("sealed ", HANG_GUARD).equals(written.size() + " batches")) {
                        // an earlier poll sealed part of them
                    }
                }
                List<Long> arrived = new ArrayList<>();
                // Stopped, not ended, the stream has no end: read what is sealed, without waiting.
                readStream("metrics", machineB.client(), "value", Duration.ZERO, (seq, value) -> arrived.add(value));
                assertThat(arrived).isEqualTo(written);
            }
        });
    }

    @Test
    void theKafkaBridgeExampleRefusesBadArgumentsWithItsUsageAndTouchesNoStore() {
        Result run = ExampleRun.run(KafkaBridgeExample.class, socket(), "publish");

        assertThat(run.exit()).as("%s", run).isEqualTo(2);
        assertThat(run.err()).startsWith("usage: KafkaBridgeExample publish|subscribe BOOTSTRAP");
        assertThat(store.client().list()).isEmpty();
    }

    @Test
    void theReadmesFlagsAreEnoughAndEachIsNeeded() {
        List<String> flags = ExampleRun.flags(Readme.load());
        Result all = ExampleRun.runWith(flags, ShelfExample.class, null);
        assertThat(all.exit()).as("%s", all).isZero();
        assertThat(all.err().lines().filter(l -> l.startsWith("WARNING"))).as("%s", all).isEmpty();

        for (String flag : flags) {
            List<String> others = flags.stream().filter(f -> !f.equals(flag)).toList();
            Result without = ExampleRun.runWith(others, ShelfExample.class, null);
            String option = flag.substring(0, flag.indexOf('='));
            assertThat(without.exit() != 0 || without.err().contains(option))
                    .as("without %s the shelf example should fail or warn; it did neither:\n%s", flag, without)
                    .isTrue();
        }
    }

    private Path socket() {
        return store.server().socket();
    }

    private static String value(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with '" + prefix + "' in " + lines));
    }

    /** Appends one single-row batch per value to a new stream and ends it. */
    private static List<Long> writeStream(String name, QuiverClient client, List<Long> values) {
        try (BufferAllocator allocator = new RootAllocator();
             BigIntVector value = new BigIntVector("value", allocator);
             VectorSchemaRoot batch = VectorSchemaRoot.of(value);
             StreamWriter w = StreamWriter.open(new ArrowStore(client, allocator), name, Retention.ALL)) {
            for (long v : values) {
                value.setSafe(0, v);
                batch.setRowCount(1);
                w.append(batch);
            }
            w.end();
        }
        return values;
    }

    interface BatchValue {
        void accept(long seq, long value);
    }

    /**
     * Reads a stream from its start: every batch's first value of {@code column}, until its end (returning the
     * number of batches the writer reported) or until no batch comes within {@code wait} (returning -1).
     */
    private static long readStream(String name, QuiverClient client, String column, Duration wait, BatchValue each) {
        try (BufferAllocator allocator = new RootAllocator()) {
            StreamReader r = StreamReader.open(new ArrowStore(client, allocator), name, StreamReader.Start.at(0));
            while (true) {
                switch (r.next(wait)) {
                    case StreamEvent.Batch b -> {
                        try (b) {
                            each.accept(b.seq(), ((BigIntVector) b.table().batches().getFirst().getVector(column)).get(0));
                        }
                    }
                    case StreamEvent.End e -> {
                        return e.batches();
                    }
                    case StreamEvent.Timeout t -> {
                        return -1;
                    }
                    case StreamEvent.Lost l -> throw new AssertionError("batches were lost: " + l);
                }
            }
        }
    }
}
