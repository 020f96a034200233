package dev.quiver.arrow;

import static dev.quiver.arrow.StreamChildSupport.expected;
import static dev.quiver.arrow.StreamChildSupport.fields;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.DeleteOutcome;
import dev.quiver.client.ObjectEvent;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.Subscription;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.LongStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Streams across processes: producers and consumers are real child JVMs ({@link StreamProducerChild},
 * {@link StreamConsumerChild}) on a real store in this JVM. Each consumer checks order, content and event positions
 * itself and prints a checksum over (seq, rows, values) of what it read; this test checks the checksums, the
 * sequence numbers read and lost, and what the store holds. Synchronisation is by events only: lines printed by the
 * children, and the store's notifications.
 */
class StreamProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String STREAM = "ticks";
    /** Small, short-lived JVMs: quick to start, and light on the CPUs the other processes of a test share. */
    private static final List<String> CHILD_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    @RegisterExtension
    final RunningStore store = new RunningStore(16 << 20);
    QuiverClient parent;
    Subscription events;
    BufferAllocator allocator;
    final StreamIds ids = new StreamIds(STREAM);
    final List<ChildJvm> children = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        parent = store.client();
        events = parent.subscribe();
        allocator = new RootAllocator();
    }

    @AfterEach
    void stop() {
        children.forEach(ChildJvm::close);
        events.close();
        allocator.close();
    }

    // ---------------------------------------------------------------------------------------------- the tests

    @Test
    void everyConsumerProcessReadsEveryBatchExactlyOnceInOrder() {
        List<ChildJvm> consumers = List.of(consumer("start=earliest"), consumer("start=earliest"),
                consumer("start=earliest"));
        ChildJvm producer = producer("all");
        send(producer, "open", "opened next=0");
        for (ChildJvm c : consumers) {
            assertThat(c.expect("ready", WAIT)).startsWith("position=0");
        }
        // Two waves: the consumers are blocked in the store, woken by seals, in between.
        send(producer, "append 200", "appended from=0 to=199");
        long checksum = Long.parseLong(fields(send(producer, "append 100", "appended from=200 to=299"))
                .get("checksum"));
        send(producer, "end", "ended batches=300");

        assertThat(checksum).isEqualTo(expected(0, 300));
        for (ChildJvm c : consumers) {
            Consumed got = readToEnd(c);
            assertThat(got.seqs()).as("every batch, once, in order").containsExactlyElementsOf(range(0, 300));
            assertThat(got.lost()).isEmpty();
            assertThat(got.end()).containsEntry("batches", "300").containsEntry("read", "300")
                    .containsEntry("lost", "0").containsEntry("checksum", String.valueOf(checksum));
            assertThat(c.waitFor(WAIT)).isZero();
        }
        assertNoReferencesButTheWritersLock(false);
    }

    @Test
    void aSlowConsumerNeverHoldsUpTheProducerAndIsToldExactlyWhatItLost() {
        int keep = 16;
        long written = 700;
        long more = 400;
        ChildJvm producer = producer(String.valueOf(keep));
        send(producer, "open", "opened next=0");
        send(producer, "append " + written, "appended from=0 ");

        // A consumer that holds each batch for 20 ms (at most 50 batches/s), starting at batch 0, long gone.
        ChildJvm slow = consumer("start=0", "delay=20");
        assertThat(slow.expect("ready", WAIT)).startsWith("position=0");
        Consumed first = readUntil(slow, "batch ");
        // Retention drops whole segments (a quarter of it each): between 3/4 of keep and keep batches are left.
        long oldestKept = first.seqs().getFirst();
        assertThat(oldestKept).isBetween(written - keep, written - keep * 3 / 4);
        assertThat(first.lost()).containsExactly(new long[] {0, oldestKept});
        // It holds that batch now and reads at most 50 batches/s; the producer appends as many as it likes, never
        // waiting for it (how fast is for the benchmark): the consumer must lose some of them.
        send(producer, "append " + more, "appended ");
        long total = written + more;
        send(producer, "end", "ended batches=" + total);

        Consumed got = first.then(readToEnd(slow));
        assertExactCover(got, total);
        assertThat(got.lost().stream().skip(1).mapToLong(l -> l[1] - l[0]).sum())
                .as("batches it lost while the producer went on, after the first loss").isPositive();
        assertThat(got.seqs()).as("it reads the batches still kept at the end")
                .endsWith(range(total - keep * 3 / 4, total).toArray(Long[]::new));
        assertThat(Long.parseLong(got.end().get("read")) + Long.parseLong(got.end().get("lost"))).isEqualTo(total);
        assertThat(slow.waitFor(WAIT)).isZero();
    }

    @Test
    void aConsumerBehindRetentionOrEvictionIsToldPreciselyWhatItMissed() {
        ChildJvm producer = producer("5");
        send(producer, "open", "opened next=0");
        send(producer, "append 3", "appended from=0 to=2");
        ChildJvm c = consumer("start=earliest", "mode=step");
        assertThat(c.expect("ready", WAIT)).startsWith("position=0");
        step(c, "next", "batch 0 ");
        step(c, "next", "batch 1 "); // and holds it

        // One batch per segment (a quarter of 5, at least 1): retention keeps 18..22; 1 goes when released.
        send(producer, "append 20", "appended from=3 to=22");
        assertThat(keptSeqs()).containsExactly(18L, 19L, 20L, 21L, 22L);
        step(c, "next", "lost 2 18");
        step(c, "next", "batch 18 "); // and holds it

        // The store evicts what nobody holds: segments 19..21 (the reader holds 18, the writer is appending to 22).
        // The consumer learns of it when it moves on from 18.
        assertThat(parent.evict(Long.MAX_VALUE)).isPositive();
        assertThat(keptSeqs()).containsExactly(18L, 22L);
        step(c, "next", "lost 19 22");
        step(c, "next", "batch 22 ");
        step(c, "next 100", "timeout 23 writer=true");
        send(producer, "append 2", "appended from=23 to=24");
        step(c, "next", "batch 23 ");
        step(c, "next", "batch 24 ");
        step(c, "next 100", "timeout 25 writer=true");
        send(producer, "end", "ended batches=25");
        Map<String, String> end = fields(step(c, "next", "end "));
        assertThat(end).containsEntry("batches", "25").containsEntry("read", "6").containsEntry("lost", "19");
        // read {0, 1, 18, 22, 23, 24} + lost [2, 18) and [19, 22) = [0, 25), disjoint: asserted in the child.
        c.send("exit");
        c.expect("bye", WAIT);
        assertThat(c.waitFor(WAIT)).isZero();
    }

    @Test
    void aKilledConsumerRestartedAtTheNextSeqContinuesWithoutGapOrDuplicate() {
        ChildJvm producer = producer("all");
        send(producer, "open", "opened next=0");
        send(producer, "append 40", "appended from=0 to=39");

        ChildJvm first = consumer("start=earliest", "mode=step");
        assertThat(first.expect("ready", WAIT)).startsWith("position=0");
        String last = null;
        for (int i = 0; i < 15; i++) {
            last = step(first, "next", "batch " + i + " ");
        }
        long lastSeq = Long.parseLong(last.split(" ")[1]);
        long checksum = Long.parseLong(fields(last).get("checksum"));
        assertThat(lastSeq).isEqualTo(14);
        assertThat(checksum).isEqualTo(expected(0, 15));

        // The consumer holds the segment it reads (and batch 14 in it), next to the writer's own reference. When the
        // store drops the killed process's references, only the writer's is left.
        ObjectId held = ids.segment(0);
        assertThat(info(held).orElseThrow().refCount()).isEqualTo(2);
        int clients = parent.stats().clients();
        first.kill();
        awaitClients(clients - 1);
        assertThat(info(held).orElseThrow().refCount()).as("the writer's reference").isEqualTo(1);

        // The producer goes on while the consumer is down, and after it is back.
        send(producer, "append 20", "appended from=40 to=59");
        ChildJvm second = consumer("start=" + (lastSeq + 1), "checksum=" + checksum);
        assertThat(second.expect("ready", WAIT)).startsWith("position=15");
        long total = Long.parseLong(fields(send(producer, "append 20", "appended from=60 to=79")).get("checksum"));
        send(producer, "end", "ended batches=80");

        Consumed got = readToEnd(second);
        assertThat(got.seqs()).as("no gap, no duplicate").containsExactlyElementsOf(range(15, 80));
        assertThat(got.lost()).isEmpty();
        assertThat(got.end()).as("the checksum of the union is the producer's")
                .containsEntry("checksum", String.valueOf(total)).containsEntry("batches", "80");
        assertThat(total).isEqualTo(expected(0, 80));
        assertThat(second.waitFor(WAIT)).isZero();
        assertNoReferencesButTheWritersLock(false);
    }

    @Test
    void aProducerKilledMidAppendLeavesNoTornBatchReadersLearnItDiedAndANewProducerContinues() {
        ObjectId marker = ObjectId.forName("marker");
        parent.createAndSeal(marker, MemorySegment.ofArray(new byte[8]), MemorySegment.ofArray(new byte[0]));
        ChildJvm c = consumer("start=earliest", "mode=step");
        ChildJvm dying = producer("all");
        send(dying, "open", "opened next=0");
        send(dying, "append 10", "appended from=0 to=9");
        assertThat(c.expect("ready", WAIT)).startsWith("position=0");
        for (int i = 0; i < 10; i++) {
            step(c, "next", "batch " + i + " ");
        }
        send(dying, "hold marker", "holding marker");
        send(dying, "tear", "torn seq=10"); // half a frame after the published position: never published
        step(c, "next 200", "timeout 10 writer=true"); // not a batch
        assertThatThrownBy(() -> StreamWriter.open(new ArrowStore(parent, allocator), STREAM, Retention.ALL))
                .as("the producer holds the writer lock").isInstanceOf(StreamWriterConflictException.class);
        ObjectId segment = ids.segment(0);
        assertThat(info(segment).orElseThrow().state()).as("published, being written").isEqualTo(ObjectState.CREATED);

        // SIGKILL in the middle of the append. The store learns of it by EOF: the marker the process held goes, and
        // in the same step its segment is sealed as it is (what was published stays) and its writer lock goes.
        assertThat(parent.delete(marker)).isEqualTo(DeleteOutcome.DEFERRED);
        dying.kill();
        awaitEvent(ObjectEvent.Kind.DELETED, marker);
        assertThat(info(segment).orElseThrow().state()).as("sealed by the store").isEqualTo(ObjectState.SEALED);
        assertThat(info(ids.lock())).as("no writer lock").isEmpty();
        step(c, "next 200", "timeout 10 writer=false"); // the reader learns that the writer is gone

        // A reader waits for batch 10; a new producer continues the stream at 10, in a new segment, and the reader
        // moves over to it: it never reads the torn frame.
        c.send("next 60000");
        ChildJvm next = producer("all");
        send(next, "open", "opened next=10");
        send(next, "append 10", "appended from=10 to=19");
        assertThat(c.readLine(WAIT)).startsWith("batch 10 ");
        send(next, "end", "ended batches=20");
        c.send("run");
        Consumed got = readToEnd(c);
        assertThat(got.seqs()).containsExactlyElementsOf(range(11, 20));
        assertThat(got.end()).containsEntry("batches", "20").containsEntry("read", "20")
                .containsEntry("checksum", String.valueOf(expected(0, 20)));
        assertThat(c.waitFor(WAIT)).isZero();
        assertThat(keptSeqs()).as("the dead writer's segment and the new one").containsExactly(0L, 1L);
    }

    @Test
    void lateJoinersAtEarliestAndLatestAndEveryReaderSeesTheEndNotATimeout() {
        ChildJvm producer = producer("all");
        send(producer, "open", "opened next=0");
        send(producer, "append 10", "appended from=0 to=9");
        ChildJvm earliest = consumer("start=earliest", "timeout=100");
        ChildJvm latest = consumer("start=latest", "timeout=100");
        assertThat(earliest.expect("ready", WAIT)).startsWith("position=0");
        assertThat(latest.expect("ready", WAIT)).startsWith("position=9");
        // Both catch up and then time out while the stream goes on: a timeout, not the end.
        Consumed before = readUntil(earliest, "timeout 10");
        assertThat(before.seqs()).containsExactlyElementsOf(range(0, 10));
        assertThat(readUntil(latest, "timeout 10").seqs()).containsExactly(9L);

        send(producer, "append 5", "appended from=10 to=14");
        send(producer, "end", "ended batches=15");
        Consumed e = readToEnd(earliest);
        Consumed l = readToEnd(latest);
        assertThat(e.seqs()).containsExactlyElementsOf(range(10, 15));
        assertThat(e.end()).containsEntry("batches", "15").containsEntry("read", "15")
                .containsEntry("checksum", String.valueOf(expected(0, 15)));
        assertThat(l.seqs()).containsExactlyElementsOf(range(10, 15));
        assertThat(l.end()).containsEntry("batches", "15").containsEntry("read", "6")
                .containsEntry("checksum", String.valueOf(expected(9, 15)));

        // Joining after the end: at the latest, the end at once; at the earliest, everything and then the end;
        // beyond the end, the end, not a wait forever.
        ChildJvm lateLatest = consumer("start=latest");
        ChildJvm lateEarliest = consumer("start=earliest");
        ChildJvm beyond = consumer("start=40", "timeout=100");
        assertThat(lateLatest.expect("ready", WAIT)).startsWith("position=15");
        assertThat(lateLatest.readLine(WAIT)).isEqualTo("end batches=15 read=0 lost=0 checksum="
                + StreamChildSupport.EMPTY);
        assertThat(beyond.expect("ready", WAIT)).startsWith("position=40");
        assertThat(beyond.readLine(WAIT)).isEqualTo("end batches=15 read=0 lost=0 checksum="
                + StreamChildSupport.EMPTY);
        assertThat(lateEarliest.expect("ready", WAIT)).startsWith("position=0");
        Consumed all = readToEnd(lateEarliest);
        assertThat(all.seqs()).containsExactlyElementsOf(range(0, 15));
        assertThat(all.end()).containsEntry("checksum", String.valueOf(expected(0, 15)));
        for (ChildJvm c : List.of(earliest, latest, lateLatest, lateEarliest, beyond)) {
            assertThat(c.waitFor(WAIT)).isZero();
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private ChildJvm producer(String retention) {
        ChildJvm p = ChildJvm.start(StreamProducerChild.class.getName(), CHILD_JVM, store.server().socket().toString(), STREAM,
                retention);
        children.add(p);
        p.expect("ready", WAIT);
        return p;
    }

    private ChildJvm consumer(String... options) {
        String[] args = new String[options.length + 2];
        args[0] = store.server().socket().toString();
        args[1] = STREAM;
        System.arraycopy(options, 0, args, 2, options.length);
        ChildJvm c = ChildJvm.start(StreamConsumerChild.class.getName(), CHILD_JVM, args);
        children.add(c);
        return c;
    }

    /** Sends a command to a producer; returns its answer, which must start with {@code answer}. */
    private static String send(ChildJvm p, String command, String answer) {
        p.send(command);
        String line = p.readLine(WAIT);
        assertThat(line).as("answer to " + command).startsWith(answer);
        return line;
    }

    /** Sends a command to a stepping consumer; its next line must start with {@code answer}. */
    private static String step(ChildJvm c, String command, String answer) {
        return send(c, command, answer);
    }

    /** What a consumer printed. */
    record Consumed(List<Long> seqs, List<long[]> lost, int timeouts, Map<String, String> end) {
        /** This, followed by what was read after it. */
        Consumed then(Consumed later) {
            List<Long> s = new ArrayList<>(seqs);
            s.addAll(later.seqs);
            List<long[]> l = new ArrayList<>(lost);
            l.addAll(later.lost);
            return new Consumed(s, l, timeouts + later.timeouts, later.end);
        }
    }

    private static Consumed readToEnd(ChildJvm c) {
        return readUntil(c, "end ");
    }

    /** Reads a consumer's lines up to the first that starts with {@code last}. */
    private static Consumed readUntil(ChildJvm c, String last) {
        List<Long> seqs = new ArrayList<>();
        List<long[]> lost = new ArrayList<>();
        int timeouts = 0;
        while (true) {
            String line = c.readLine(WAIT);
            String[] w = line.split(" ");
            switch (w[0]) {
                case "batch" -> seqs.add(Long.parseLong(w[1]));
                case "lost" -> lost.add(new long[] {Long.parseLong(w[1]), Long.parseLong(w[2])});
                case "timeout" -> timeouts++;
                case "end" -> { }
                default -> throw new AssertionError("consumer printed: " + line + "\n" + c.log());
            }
            if (line.startsWith(last)) {
                return new Consumed(seqs, lost, timeouts, w[0].equals("end") ? fields(line) : Map.of());
            }
        }
    }

    /** The sequence numbers read and lost are disjoint and together are exactly [0, total). */
    private static void assertExactCover(Consumed c, long total) {
        BitSet seen = new BitSet();
        for (long seq : c.seqs()) {
            assertThat(seen.get((int) seq)).as("batch " + seq + " read twice").isFalse();
            seen.set((int) seq);
        }
        for (long[] l : c.lost()) {
            for (long seq = l[0]; seq < l[1]; seq++) {
                assertThat(seen.get((int) seq)).as("batch " + seq + " both read and lost").isFalse();
                seen.set((int) seq);
            }
        }
        assertThat(seen.cardinality()).as("batches read or reported lost").isEqualTo((int) total);
        assertThat(seen.nextClearBit(0)).isEqualTo((int) total);
        assertThat(Long.parseLong(c.end().get("batches"))).isEqualTo(total);
    }

    private static List<Long> range(long from, long to) {
        return LongStream.range(from, to).boxed().toList();
    }

    /** Numbers of the stream's segments the store lists (sealed or not; deleted ones left out). */
    private List<Long> keptSeqs() {
        return parent.range(ids.first(), ids.lock(), Integer.MAX_VALUE, false).stream()
                .map(o -> ids.numberOf(o.id())).toList();
    }

    /** Waits until the store counts {@code n} clients: each check is a round trip, no sleep. */
    private void awaitClients(int n) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (parent.stats().clients() != n) {
            assertThat(System.nanoTime()).as(n + " clients within " + WAIT).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    private Optional<ObjectInfo> info(ObjectId id) {
        return parent.list().stream().filter(o -> o.id().equals(id)).findFirst();
    }

    /** Nothing in the store is referenced, except the writer's lock while a writer is open. */
    private void assertNoReferencesButTheWritersLock(boolean writerOpen) {
        for (ObjectInfo o : parent.list()) {
            if (o.id().equals(ids.lock())) {
                assertThat(writerOpen).as("a writer lock while no writer is open").isTrue();
                assertThat(o.state()).isEqualTo(ObjectState.SEALED); // and deleted: kept by the writer's reference
                assertThat(o.refCount()).isEqualTo(1);
            } else {
                assertThat(o.refCount()).as("references to " + o.id()).isZero();
            }
        }
    }

    private void awaitEvent(ObjectEvent.Kind kind, ObjectId id) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            assertThat(left).as("a " + kind + " event for " + id + " within " + WAIT).isPositive();
            Optional<ObjectEvent> e = events.next(Duration.ofNanos(left));
            if (e.isPresent() && e.get().kind() == kind && e.get().id().equals(id)) {
                return;
            }
        }
    }
}
