package dev.quiver.arrow;

import static dev.quiver.arrow.ArrowChecks.assertAllBuffersInside;
import static dev.quiver.arrow.ArrowChecks.assertSameBatch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.arrow.RandomArrow.Spec;
import dev.quiver.client.DeleteOutcome;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.ObjectEvent;
import dev.quiver.client.ObjectNotFoundException;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.Subscription;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How long Arrow data read from the store lives, and what it holds: a table stays valid until it is closed, also
 * after the reader that made it is gone and after its client is closed (the pinned buffer keeps the connection and
 * the mapping, and the store keeps counting the reference until then); closing gives the reference back exactly once,
 * and leaves nothing in the allocator.
 */
class LifetimeTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Spec SPEC = new Spec(RandomArrow.everyType(), RandomArrow.rows(40, 0, 25, 7), 0.2, 11);

    @RegisterExtension
    final RunningStore store = new RunningStore(64L << 20);
    QuiverClient client;
    /** Another connection, to see what the store counts. */
    QuiverClient other;
    /** The reading side's allocator: it must hold nothing once the Arrow data read is closed. */
    BufferAllocator allocator;
    /** Where the expected data is made. */
    BufferAllocator source;
    ArrowStore arrow;
    RandomArrow.Table table;
    ObjectId id;

    @BeforeEach
    void start() throws Exception {
        client = store.client();
        other = store.connect();
        allocator = new RootAllocator();
        source = new RootAllocator();
        arrow = new ArrowStore(client, allocator);
        table = RandomArrow.table(SPEC, source);
        id = ObjectId.forName("lifetime");
        arrow.write(id, table.schema, table.batches(), table.dictionaries);
    }

    @AfterEach
    void stop() {
        table.close();
        assertThat(allocator.getAllocatedMemory()).as("bytes left in the allocator").isZero();
        allocator.close();
        source.close();
    }

    @Test
    void aTableIsValidUntilClosedAndHoldsOneReferenceMeanwhile() throws Exception {
        StoredTable t = arrow.read(id, 0);
        assertThat(refCount()).isEqualTo(1);
        assertMatches(t);
        t.close();
        assertThat(refCount()).as("after close").isZero();
        assertThat(allocator.getAllocatedMemory()).isZero();
        t.close(); // a second close is harmless
        t.close();
        assertThat(refCount()).isZero();
    }

    @Test
    void closingTwiceReleasesOnlyOnce() throws Exception {
        StoredTable first = arrow.read(id, 0);
        StoredTable second = arrow.read(id, 0);
        assertThat(refCount()).isEqualTo(2);
        first.close();
        first.close();
        assertThat(refCount()).as("the second table's reference stays").isEqualTo(1);
        assertMatches(second);
        second.close();
        assertThat(refCount()).isZero();

        StoreArrowReader reader = arrow.reader(id, 0);
        reader.loadNextBatch();
        reader.close();
        reader.close();
        assertThat(refCount()).isZero();
    }

    @Test
    void batchesKeptFromAPlainReaderOutliveIt() throws Exception {
        VectorSchemaRoot kept;
        try (StoreArrowReader reader = arrow.reader(id, 0)) {
            assertThat(reader.loadNextBatch()).isTrue();
            kept = VectorSchemaRoot.create(reader.getVectorSchemaRoot().getSchema(), allocator);
            try (ArrowRecordBatch buffers = new VectorUnloader(reader.getVectorSchemaRoot()).getRecordBatch()) {
                new VectorLoader(kept).load(buffers); // the same buffers, one more reference each: no copy
            }
        }
        assertThat(refCount()).as("the kept batch holds the object").isEqualTo(1);
        try (VectorSchemaRoot expected = table.batch(0)) {
            assertSameBatch(expected, kept, "the kept batch");
        }
        assertAllBuffersInside(kept, client.arenaAddress(), client.capacity(), "the kept batch");
        kept.close();
        assertThat(refCount()).isZero();
    }

    @Test
    void aTableOutlivesItsReaderAcrossGarbageCollection() throws Exception {
        // A control buffer, dropped unclosed: its cleaner releases it, which ends its deferred delete. Once that
        // event arrived, garbage was collected and cleaners ran; the table's buffer, still used by Arrow, was not.
        ObjectId control = ObjectId.forName("control");
        client.createAndSeal(List.of(new QuiverClient.ObjectData(control, MemorySegment.ofArray(new byte[64]))));
        try (Subscription events = other.subscribe()) {
            StoredTable t = arrow.read(id, 0);
            ObjectBuffer[] held = {client.get(control, 0).orElseThrow()};
            assertThat(other.delete(control)).isEqualTo(DeleteOutcome.DEFERRED);
            held[0] = null; // forgotten, unclosed
            WeakReference<Object> sentinel = new WeakReference<>(new Object());
            boolean released = false;
            for (int i = 0; i < 200 && !released; i++) {
                System.gc();
                released = awaitDeleted(events, control, Duration.ofMillis(100));
            }
            assertThat(released).as("the forgotten control buffer was cleaned").isTrue();
            assertThat(sentinel.get()).isNull();
            assertThat(refCount()).as("the table's reference is still counted").isEqualTo(1);
            assertMatches(t);
            t.close();
            assertThat(refCount()).isZero();
        }
    }

    @Test
    void aTableOutlivesItsClientWhichDisconnectsWhenTheTableIsClosed() throws Exception {
        QuiverClient own = QuiverClient.connect(store.server().socket());
        ArrowStore ownArrow = new ArrowStore(own, allocator);
        try (Subscription events = other.subscribe()) {
            StoredTable t = ownArrow.read(id, 0);
            own.close();
            assertThat(own.isConnected()).isFalse();

            // the table is still right, over the mapping the closed client kept
            assertMatches(t);
            assertAllBuffersInside(t.batches().getFirst(), own.arenaAddress(), own.capacity(), "after close");
            assertThat(refCount()).as("the store still counts the table's reference").isEqualTo(1);
            assertThat(other.stats().clients()).as("client, other, the subscription, and the closed client's")
                    .isEqualTo(4);

            assertThat(other.delete(id)).isEqualTo(DeleteOutcome.DEFERRED);
            t.close(); // the last pinned buffer: the client disconnects, the store releases its reference
            assertThat(awaitDeleted(events, id, WAIT)).as("the deferred delete completed").isTrue();
            assertThat(other.stats().clients()).as("the closed client's connection is gone").isEqualTo(3);
            t.close();
        }
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @Test
    void aPlainReaderReusesItsRootAndReleasesEverythingOnClose() throws Exception {
        try (StoreArrowReader reader = arrow.reader(id, 0)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            for (int i = 0; i < table.batchCount(); i++) {
                assertThat(reader.loadNextBatch()).isTrue();
                assertThat(reader.getVectorSchemaRoot()).isSameAs(root);
                try (VectorSchemaRoot expected = table.batch(i)) {
                    assertSameBatch(expected, root, "batch " + i);
                }
                assertThat(refCount()).isEqualTo(1);
            }
            assertThat(reader.loadNextBatch()).isFalse();
            assertThat(reader.loadNextBatch()).as("still at the end").isFalse();
        }
        assertThat(refCount()).isZero();
        assertThat(allocator.getAllocatedMemory()).isZero();

        try (StoreArrowReader partly = arrow.reader(id, 0)) {
            assertThat(partly.loadNextBatch()).isTrue();
        }
        assertThat(refCount()).as("a reader closed half way").isZero();
        arrow.reader(id, 0).close();
        assertThat(refCount()).as("a reader closed before reading").isZero();
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @Test
    void aFailedOpenReleasesTheObject() throws Exception {
        try (BufferAllocator small = allocator.newChildAllocator("small", 0, 1024)) {
            ArrowStore limited = new ArrowStore(client, small);
            assertThatThrownBy(() -> limited.read(id, 0)).isInstanceOf(OutOfMemoryException.class);
            assertThat(refCount()).isZero();
            assertThat(small.getAllocatedMemory()).isZero();
        }
        assertThatThrownBy(() -> arrow.read(ObjectId.forName("missing"), 0))
                .isInstanceOf(ObjectNotFoundException.class).hasMessageContaining("not in the store");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void assertMatches(StoredTable t) {
        assertThat(t.batches()).hasSize(table.batchCount());
        for (int i = 0; i < table.batchCount(); i++) {
            try (VectorSchemaRoot expected = table.batch(i)) {
                assertSameBatch(expected, t.batches().get(i), "batch " + i);
            }
        }
        ArrowChecks.assertSameDictionaries(table.dictionaries, t.dictionaries(), "dictionaries");
    }

    /**
     * The store's count of references to the object, seen from the other connection. Releases are sent without
     * waiting; a round trip on the reading client first makes sure the store has handled them.
     */
    private int refCount() {
        if (client.isConnected()) {
            client.contains(id);
        }
        return other.list().stream().filter(i -> i.id().equals(id)).findFirst().map(ObjectInfo::refCount)
                .orElseThrow(() -> new AssertionError("no object " + id));
    }

    private static boolean awaitDeleted(Subscription events, ObjectId object, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            Optional<ObjectEvent> e = events.next(Duration.ofNanos(left));
            if (e.isPresent() && e.get().kind() == ObjectEvent.Kind.DELETED && e.get().id().equals(object)) {
                return true;
            }
        }
    }
}
