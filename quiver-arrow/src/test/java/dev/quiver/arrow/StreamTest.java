package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.ObjectEvent;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.Subscription;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Streams in one JVM: order, blocking, late join, end, timeouts, retention, one writer. */
class StreamTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final Duration SHORT = Duration.ofMillis(50);

    @RegisterExtension
    final RunningStore store = new RunningStore(64 << 20);
    QuiverClient client;
    BufferAllocator allocator;
    ArrowStore arrow;

    @BeforeEach
    void start() throws Exception {
        client = store.client();
        allocator = new RootAllocator();
        arrow = new ArrowStore(client, allocator);
    }

    @AfterEach
    void stop() {
        allocator.close();
    }

    /** A batch of {@code rows} values seq*1000 + i. */
    private void append(StreamWriter w, long seq, int rows) {
        try (BigIntVector v = new BigIntVector("v", allocator)) {
            for (int i = 0; i < rows; i++) {
                v.setSafe(i, seq * 1000 + i);
            }
            v.setValueCount(rows);
            try (VectorSchemaRoot root = VectorSchemaRoot.of(v)) {
                assertThat(w.append(root)).isEqualTo(seq);
            }
        }
    }

    /** Reads the next event, which must be batch {@code seq}, and checks its values. */
    private void expectBatch(StreamReader r, long seq) {
        StreamEvent e = r.next(WAIT);
        assertThat(e).isInstanceOf(StreamEvent.Batch.class);
        try (StreamEvent.Batch b = (StreamEvent.Batch) e) {
            assertThat(b.seq()).isEqualTo(seq);
            BigIntVector v = (BigIntVector) b.table().batches().getFirst().getVector("v");
            assertThat(v.getValueCount()).isPositive();
            for (int i = 0; i < v.getValueCount(); i++) {
                assertThat(v.get(i)).isEqualTo(seq * 1000 + i);
            }
        }
    }

    @Test
    void readersSeeEveryBatchInOrderThenTheEnd() {
        try (StreamWriter w = StreamWriter.open(arrow, "s", Retention.ALL);
             StreamReader r = StreamReader.open(arrow, "s", StreamReader.Start.EARLIEST)) {
            for (long seq = 0; seq < 20; seq++) {
                append(w, seq, 1 + (int) seq);
            }
            assertThat(w.end()).isEqualTo(20);
            for (long seq = 0; seq < 20; seq++) {
                expectBatch(r, seq);
            }
            assertThat(r.next(WAIT)).isEqualTo(new StreamEvent.End(20));
            assertThat(r.next(SHORT)).as("the end stays the end").isEqualTo(new StreamEvent.End(20));
        }
        assertThat(client.list()).allMatch(o -> o.refCount() == 0);
    }

    @Test
    void readersOfEitherWaitingSeeEveryBatchAsItIsAppendedThenTheEnd() throws Exception {
        try (StreamWriter w = StreamWriter.open(arrow, "s", Retention.ALL);
             StreamReader adaptive = StreamReader.open(arrow, "s", StreamReader.Start.EARLIEST,
                     StreamReader.Waiting.ADAPTIVE);
             StreamReader sleeping = StreamReader.open(arrow, "s", StreamReader.Start.EARLIEST,
                     StreamReader.Waiting.SLEEP)) {
            for (long seq = 0; seq < 5; seq++) {
                long expected = seq;
                CompletableFuture<Void> both = CompletableFuture.allOf(
                        CompletableFuture.runAsync(() -> expectBatch(adaptive, expected)),
                        CompletableFuture.runAsync(() -> expectBatch(sleeping, expected)));
                append(w, seq, 2);
                both.get(30, TimeUnit.SECONDS); // each blocked reader was woken by the append
            }
            w.end();
            assertThat(adaptive.next(WAIT)).isEqualTo(new StreamEvent.End(5));
            assertThat(sleeping.next(WAIT)).isEqualTo(new StreamEvent.End(5));
        }
        assertThatThrownBy(() -> StreamReader.open(arrow, "s", StreamReader.Start.EARLIEST, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("waiting");
    }

    @Test
    void aTimeoutIsNotTheEnd() {
        try (StreamWriter w = StreamWriter.open(arrow, "s", Retention.ALL)) {
            StreamReader r = StreamReader.open(arrow, "s", StreamReader.Start.EARLIEST);
            assertThat(r.next(SHORT)).isEqualTo(new StreamEvent.Timeout(0, true));
            append(w, 0, 3);
            expectBatch(r, 0);
            assertThat(r.next(SHORT)).isEqualTo(new StreamEvent.Timeout(1, true));
            w.end();
            assertThat(r.next(SHORT)).isEqualTo(new StreamEvent.End(1));
        }
    }

    @Test
    void aBlockedReaderIsWokenByTheSeal() throws Exception {
        try (StreamWriter w = StreamWriter.open(arrow, "s", Retention.ALL)) {
            StreamReader r = StreamReader.open(arrow, "s", StreamReader.Start.EARLIEST);
            CompletableFuture<StreamEvent> waiting = CompletableFuture.supplyAsync(() -> r.next(Duration.ofMinutes(5)));
            append(w, 0, 5);
            StreamEvent e = waiting.get(30, TimeUnit.SECONDS);
            assertThat(e).isInstanceOf(StreamEvent.Batch.class);
            ((StreamEvent.Batch) e).close();
        }
    }

    @Test
    void lateReadersJoinAtTheEarliestTheLatestOrAGivenBatch() {
        try (StreamWriter w = StreamWriter.open(arrow, "s", Retention.ALL)) {
            for (long seq = 0; seq < 5; seq++) {
                append(w, seq, 2);
            }
            StreamReader earliest = StreamReader.open(arrow, "s", StreamReader.Start.EARLIEST);
            StreamReader latest = StreamReader.open(arrow, "s", StreamReader.Start.LATEST);
            StreamReader at3 = StreamReader.open(arrow, "s", StreamReader.Start.at(3));
            expectBatch(earliest, 0);
            expectBatch(latest, 4);
            expectBatch(at3, 3);
            append(w, 5, 2);
            expectBatch(latest, 5);
            expectBatch(at3, 4);
        }
    }

    @Test
    void aReaderBehindTheRetentionIsToldExactlyWhatItLost() {
        try (StreamWriter w = StreamWriter.open(arrow, "s", Retention.batches(3))) {
            StreamReader slow = StreamReader.open(arrow, "s", StreamReader.Start.EARLIEST);
            for (long seq = 0; seq < 10; seq++) {
                append(w, seq, 2);
            }
            assertThat(slow.next(WAIT)).isEqualTo(new StreamEvent.Lost(0, 7));
            expectBatch(slow, 7);
            expectBatch(slow, 8);
            expectBatch(slow, 9);
            assertThat(client.list()).hasSize(3 + 2); // three batches, the writer's lock and the reader's cursor
        }
    }

    @Test
    void byteRetentionKeepsTheNewestBatchesThatFit() {
        try (StreamWriter w = StreamWriter.open(arrow, "s", Retention.bytes(1))) {
            for (long seq = 0; seq < 4; seq++) {
                append(w, seq, 100);
            }
            StreamReader r = StreamReader.open(arrow, "s", StreamReader.Start.EARLIEST);
            expectBatch(r, 3); // the newest batch is always kept
        }
    }

    @Test
    void aBatchHeldByAReaderOutlivesItsRetention() {
        try (StreamWriter w = StreamWriter.open(arrow, "s", Retention.batches(1))) {
            StreamReader r = StreamReader.open(arrow, "s", StreamReader.Start.EARLIEST);
            append(w, 0, 10);
            try (StreamEvent.Batch held = (StreamEvent.Batch) r.next(WAIT)) {
                append(w, 1, 10); // deletes batch 0, deferred: the reader still has it
                BigIntVector v = (BigIntVector) held.table().batches().getFirst().getVector("v");
                assertThat(v.get(9)).isEqualTo(9);
            }
            expectBatch(r, 1);
        }
    }

    @Test
    void oneWriterPerStreamAndANewWriterContinues() {
        StreamWriter first = StreamWriter.open(arrow, "s", Retention.ALL);
        append(first, 0, 1);
        assertThatThrownBy(() -> StreamWriter.open(arrow, "s", Retention.ALL))
                .isInstanceOf(StreamWriterConflictException.class).hasMessageContaining("has a writer already");
        first.close();
        try (StreamWriter second = StreamWriter.open(arrow, "s", Retention.ALL)) {
            assertThat(second.nextSeq()).isEqualTo(1);
            append(second, 1, 1);
            second.end();
        }
        assertThatThrownBy(() -> StreamWriter.open(arrow, "s", Retention.ALL))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("was ended after 2 batches");
        StreamReader r = StreamReader.open(arrow, "s", StreamReader.Start.EARLIEST);
        expectBatch(r, 0);
        expectBatch(r, 1);
        assertThat(r.next(WAIT)).isEqualTo(new StreamEvent.End(2));
    }

    /**
     * A writer's end is something the store announces: closing it frees its lock, and subscribers are told (an
     * aborted, never-sealed lock was not announced, so a waiting writer had to poll).
     */
    @Test
    void aWritersLockIsAnnouncedFreedWhenItCloses() {
        ObjectId lock = new StreamIds("s").lock();
        try (Subscription events = client.subscribe()) {
            StreamWriter.open(arrow, "s", Retention.ALL).close();
            ObjectId marker = ObjectId.of(new byte[ObjectId.SIZE]);
            client.createAndSeal(marker, MemorySegment.ofArray(new byte[1]), MemorySegment.NULL);
            List<ObjectEvent> seen = new ArrayList<>();
            while (seen.isEmpty() || !seen.getLast().id().equals(marker)) { // the store's order: marker sealed last
                seen.add(events.next(WAIT).orElseThrow());
            }
            assertThat(seen).filteredOn(e -> e.id().equals(lock)).extracting(ObjectEvent::kind)
                    .endsWith(ObjectEvent.Kind.DELETED);
        }
        assertThat(client.list()).extracting(ObjectInfo::id).doesNotContain(lock);
    }

    /** A second writer waits for the first (woken by the store's notice, not a timer) and continues after it. */
    @Test
    void aWriterWaitsForTheStreamToBeLetGo() throws Exception {
        StreamWriter first = StreamWriter.open(arrow, "s", Retention.ALL);
        append(first, 0, 1);
        int clients = client.stats().clients();
        QuiverClient other = store.connect();
        ArrowStore otherArrow = new ArrowStore(other, allocator);
        CompletableFuture<StreamWriter> second = CompletableFuture.supplyAsync(
                () -> StreamWriter.open(otherArrow, "s", Retention.ALL, Duration.ofSeconds(60)));
        awaitClients(clients + 2); // the other client and the subscription it waits on
        assertThat(second).isNotDone();
        first.close();
        try (StreamWriter w = second.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            assertThat(w.nextSeq()).isEqualTo(1);
            append(w, 1, 1);
        }
        assertThatThrownBy(() -> StreamWriter.open(arrow, "s", Retention.ALL, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be negative");
        // w's release travels on another connection than this open: wait for the store's notice of it
        try (StreamWriter held = StreamWriter.open(arrow, "s", Retention.ALL, WAIT)) {
            assertThatThrownBy(() -> StreamWriter.open(otherArrow, "s", Retention.ALL, Duration.ofMillis(100)))
                    .isInstanceOf(StreamWriterConflictException.class).hasMessageContaining("kept its writer for 100 ms");
            assertThat(held.nextSeq()).isEqualTo(2);
        }
        other.close();
    }

    /** Spins (no sleep) until the store counts {@code n} connections: a waiting writer has subscribed. */
    private void awaitClients(int n) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (client.stats().clients() < n) {
            assertThat(System.nanoTime()).as("a waiting writer subscribed").isLessThan(end);
            Thread.onSpinWait();
        }
    }

    /** A writer whose connection ends without closing it (its process died) lets a waiting writer in. */
    @Test
    void aWriterWhoseConnectionEndsLetsTheWaitingOneIn() throws Exception {
        QuiverClient doomed = store.connect();
        StreamWriter.open(new ArrowStore(doomed, allocator), "s", Retention.ALL); // never closed
        int clients = client.stats().clients();
        CompletableFuture<StreamWriter> waiting = CompletableFuture.supplyAsync(
                () -> StreamWriter.open(arrow, "s", Retention.ALL, Duration.ofSeconds(60)));
        awaitClients(clients + 1); // the waiter's subscription
        doomed.close(); // the store releases what the connection held, as on a process's death
        try (StreamWriter w = waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            assertThat(w.nextSeq()).isZero();
        }
    }

    /** A writer that died between sealing its lock and deleting it left the lock unreferenced: the next one takes it. */
    @Test
    void aLockNobodyHoldsIsTakenOver() {
        ObjectId lock = new StreamIds("s").lock();
        client.createAndSeal(lock, MemorySegment.ofArray(new byte[0]), MemorySegment.NULL); // what such a death leaves
        try (StreamWriter w = StreamWriter.open(arrow, "s", Retention.ALL)) {
            append(w, 0, 1);
        }
    }

    @Test
    void streamsAreIndependent() {
        try (StreamWriter a = StreamWriter.open(arrow, "a", Retention.ALL);
             StreamWriter b = StreamWriter.open(arrow, "b", Retention.ALL)) {
            append(a, 0, 1);
            append(b, 0, 1);
            append(b, 1, 1);
            StreamReader ra = StreamReader.open(arrow, "a", StreamReader.Start.LATEST);
            expectBatch(ra, 0);
            assertThat(ra.next(SHORT)).isEqualTo(new StreamEvent.Timeout(1, true));
        }
    }

    @Test
    void badNamesAreRefused() {
        List<String> bad = new ArrayList<>(List.of("", "with space", "x".repeat(201)));
        for (String name : bad) {
            assertThatThrownBy(() -> StreamWriter.open(arrow, name, Retention.ALL))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream name");
        }
        assertThat(client.list()).isEmpty();
    }
}
