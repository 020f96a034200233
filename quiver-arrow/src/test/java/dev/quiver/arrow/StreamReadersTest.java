package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectInfo;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Readers' positions are visible: each reader's cursor (docs/stream-log.md section 6) shows in {@link Streams#info}
 * with its process, position, lag and losses. Readers are real child JVMs ({@link StreamConsumerChild} in step mode,
 * which reads one event per command), the writer is this JVM's.
 */
class StreamReadersTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String STREAM = "ticks";
    private static final List<String> CHILD_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    @RegisterExtension
    final RunningStore store = new RunningStore(16 << 20);
    QuiverClient client;
    BufferAllocator allocator;
    ArrowStore arrow;
    final List<ChildJvm> children = new ArrayList<>();

    @BeforeEach
    void start() {
        client = store.client();
        allocator = new RootAllocator();
        arrow = new ArrowStore(client, allocator);
    }

    @AfterEach
    void stop() {
        children.forEach(ChildJvm::close);
        allocator.close();
    }

    @Test
    void aReaderInAnotherProcessShowsItsPositionAndLagInBatchesAndBytes() {
        int n = 12;
        int k = 5;
        try (StreamWriter w = StreamWriter.open(arrow, STREAM, Retention.ALL)) {
            append(w, n);
            ChildJvm reader = consumer("start=earliest");
            long pid = Long.parseLong(StreamChildSupport.fields(reader.expect("ready", WAIT)).get("pid"));
            StreamReaderInfo opened = onlyReader();
            assertThat(opened.pid()).isEqualTo(pid).isEqualTo(reader.pid());
            assertThat(opened.nextSeq()).isZero();
            assertThat(opened.lagBatches()).isEqualTo(n);

            for (int i = 0; i < k; i++) {
                step(reader, "next", "batch " + i + " ");
            }
            StreamInfo info = Streams.info(client, STREAM).orElseThrow();
            assertThat(info.nextSeq()).isEqualTo(n);
            StreamReaderInfo r = onlyReader();
            assertThat(r.nextSeq()).isEqualTo(k);
            assertThat(r.lagBatches()).isEqualTo(n - k);
            assertThat(r.lagBytes()).as("the frames of batches k..n-1").isEqualTo(frameBytes(k, n));
            assertThat(r.lostBatches()).isZero();
            assertThat(r.losses()).isZero();

            for (int i = k; i < n; i++) {
                step(reader, "next", "batch " + i + " ");
            }
            StreamReaderInfo caughtUp = onlyReader();
            assertThat(caughtUp.lagBatches()).isZero();
            assertThat(caughtUp.lagBytes()).isZero();
            assertThat(caughtUp.id()).isEqualTo(r.id());
            w.end();
            step(reader, "next", "end batches=" + n);
            assertThat(onlyReader()).extracting(StreamReaderInfo::nextSeq, StreamReaderInfo::lagBatches,
                    StreamReaderInfo::lagBytes).as("at the end").containsExactly((long) n, 0L, 0L);

            reader.send("exit");
            reader.expect("bye", WAIT);
            assertThat(reader.waitFor(WAIT)).isZero();
            assertThat(Streams.info(client, STREAM).orElseThrow().readers()).as("a closed reader").isEmpty();
            assertThat(cursors()).as("its cursor is deleted when it closes").isEmpty();
        }
    }

    @Test
    void aLappedReaderShowsWhatItLost() {
        try (StreamWriter w = StreamWriter.open(arrow, STREAM, Retention.batches(5))) {
            append(w, 3);
            ChildJvm reader = consumer("start=earliest");
            reader.expect("ready", WAIT);
            step(reader, "next", "batch 0 ");
            step(reader, "next", "batch 1 "); // and holds it
            append(w, 20); // retention keeps 18..22 (one batch a segment)
            step(reader, "next", "lost 2 18");
            StreamReaderInfo r = onlyReader();
            assertThat(r.lostBatches()).isEqualTo(16);
            assertThat(r.losses()).isEqualTo(1);
            assertThat(r.nextSeq()).isEqualTo(18);
            assertThat(r.lagBatches()).isEqualTo(5);
            step(reader, "next", "batch 18 ");
            assertThat(onlyReader().lagBatches()).isEqualTo(4);
            assertThat(onlyReader().lostBatches()).isEqualTo(16);
        }
    }

    @Test
    void aKilledReaderDisappearsFromTheListing() {
        try (StreamWriter w = StreamWriter.open(arrow, STREAM, Retention.ALL)) {
            append(w, 4);
            ChildJvm reader = consumer("start=earliest");
            reader.expect("ready", WAIT);
            step(reader, "next", "batch 0 ");
            assertThat(onlyReader().pid()).isEqualTo(reader.pid());

            int clients = client.stats().clients();
            reader.kill(); // SIGKILL: the reader never closes its cursor; the store seals it at the disconnect
            awaitClients(clients - 1);
            assertThat(Streams.info(client, STREAM).orElseThrow().readers()).isEmpty();
            assertThat(cursors()).as("the listing deleted the dead reader's cursor").isEmpty();
        }
    }

    @Test
    void twoReadersInOneProcessAreTwoCursors() {
        try (StreamWriter w = StreamWriter.open(arrow, STREAM, Retention.ALL)) {
            append(w, 6);
            try (StreamReader a = StreamReader.open(arrow, STREAM, StreamReader.Start.EARLIEST);
                 StreamReader b = StreamReader.open(arrow, STREAM, StreamReader.Start.at(4))) {
                try (StreamEvent.Batch first = (StreamEvent.Batch) a.next(WAIT)) {
                    assertThat(first.seq()).isZero();
                }
                long behindA = frameBytes(1, 6);
                long behindB = frameBytes(4, 6);
                List<StreamReaderInfo> readers = Streams.info(client, STREAM).orElseThrow().readers();
                assertThat(readers).hasSize(2);
                assertThat(readers).extracting(StreamReaderInfo::lagBytes).as("b, which has read nothing yet, too")
                        .containsExactly(behindA, behindB);
                assertThat(readers).extracting(StreamReaderInfo::pid).containsOnly(ProcessHandle.current().pid());
                assertThat(readers).extracting(StreamReaderInfo::id).doesNotHaveDuplicates();
                assertThat(readers).extracting(StreamReaderInfo::nextSeq).containsExactly(1L, 4L);
                assertThat(readers).extracting(StreamReaderInfo::lagBatches).containsExactly(5L, 2L);
                b.close();
                assertThat(Streams.info(client, STREAM).orElseThrow().readers())
                        .extracting(StreamReaderInfo::nextSeq).containsExactly(1L);
            }
        }
    }

    @Test
    void aForeignObjectUnderACursorsIdIsNotAReaderAndIsLeftAlone() {
        StreamIds ids = new StreamIds(STREAM);
        try (StreamWriter w = StreamWriter.open(arrow, STREAM, Retention.ALL);
             WritableObject foreign = client.create(ids.cursor(7), 16,
                     MemorySegment.ofArray(ids.cursorMetadata().getBytes(StandardCharsets.US_ASCII)))) {
            append(w, 2);
            foreign.data().fill((byte) 0x5A);
            foreign.publish();
            StreamInfo info = Streams.info(client, STREAM).orElseThrow();
            assertThat(info.readers()).isEmpty();
            assertThat(info.batches()).isEqualTo(2);
            assertThat(cursors()).extracting(ObjectInfo::id).containsExactly(ids.cursor(7));
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private void append(StreamWriter w, int count) {
        for (int i = 0; i < count; i++) {
            try (VectorSchemaRoot root = StreamChildSupport.batch(w.nextSeq(), allocator)) {
                w.append(root);
            }
        }
    }

    /** Bytes of the log frames of batches [from, to), as a reader of this process reads them. */
    private long frameBytes(long from, long to) {
        long bytes = 0;
        try (StreamReader r = StreamReader.open(arrow, STREAM, StreamReader.Start.at(from))) {
            for (long seq = from; seq < to; seq++) {
                try (StreamEvent.Batch b = (StreamEvent.Batch) r.next(WAIT)) {
                    bytes += StreamLog.align(StreamLog.FRAME_HEADER + b.bytes());
                }
            }
        }
        return bytes;
    }

    private StreamReaderInfo onlyReader() {
        List<StreamReaderInfo> readers = Streams.info(client, STREAM).orElseThrow().readers();
        assertThat(readers).hasSize(1);
        return readers.getFirst();
    }

    private List<ObjectInfo> cursors() {
        StreamIds ids = new StreamIds(STREAM);
        return client.range(ids.firstCursor(), ids.cursorEnd(), Integer.MAX_VALUE, false);
    }

    private ChildJvm consumer(String start) {
        ChildJvm c = ChildJvm.start(StreamConsumerChild.class.getName(), CHILD_JVM,
                store.server().socket().toString(), STREAM, start, "mode=step");
        children.add(c);
        return c;
    }

    private static void step(ChildJvm c, String command, String answer) {
        c.send(command);
        assertThat(c.readLine(WAIT)).as("answer to " + command).startsWith(answer);
    }

    private void awaitClients(int n) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (client.stats().clients() != n) {
            assertThat(System.nanoTime()).as(n + " clients within " + WAIT).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }
}
