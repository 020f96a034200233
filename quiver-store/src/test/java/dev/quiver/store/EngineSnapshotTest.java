package dev.quiver.store;

import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/** {@link Engine#snapshot}: what the metrics and the status page are made of. */
class EngineSnapshotTest {
    private static final long KIB = 1024;
    private static final long CAPACITY = 1024 * KIB; // 512 cells of 2 KiB
    private final EngineDriver d = new EngineDriver(CAPACITY);
    private final MemorySegment arena = MemorySegment.ofArray(new byte[(int) CAPACITY]);

    @Test
    void holdingsStatesTheArenaMapAndTheBiggestObjects() {
        long writer = d.connect("writer");
        long reader = d.connect("reader");
        d.putHeld(writer, id("pinned"), 64 * KIB);     // offset 0: the writer keeps its reference
        d.put(writer, id("evictable"), 128 * KIB);     // then nobody holds it
        d.created(writer, id("writing"), 32 * KIB);     // not sealed
        d.get(reader, 0, id("pinned"));
        d.get(reader, 0, id("pinned"));

        StoreSnapshot s = d.engine.snapshot(arena, 1.5, 0.25);

        assertThat(s.capacity()).isEqualTo(CAPACITY);
        assertThat(s.used()).isEqualTo(224 * KIB);
        assertThat(s.pinned()).isEqualTo(96 * KIB);
        assertThat(s.evictable()).isEqualTo(128 * KIB);
        assertThat(s.free()).isEqualTo(CAPACITY - 224 * KIB);
        assertThat(s.createdObjects()).isEqualTo(1);
        assertThat(s.sealedObjects()).isEqualTo(2);
        assertThat(s.deletePendingObjects()).isZero();
        assertThat(s.clients()).isEqualTo(2);
        assertThat(s.engineBusySeconds()).isEqualTo(1.5);
        assertThat(s.busyRatio()).isEqualTo(0.25);

        Map<String, StoreSnapshot.ClientHolding> clients = s.clientList().stream()
                .collect(Collectors.toMap(StoreSnapshot.ClientHolding::name, Function.identity()));
        assertThat(clients.get("writer")).isEqualTo(new StoreSnapshot.ClientHolding(writer, "writer", 4242, 2, 2,
                96 * KIB, 1, 0, 0, false));
        assertThat(clients.get("reader")).isEqualTo(new StoreSnapshot.ClientHolding(reader, "reader", 4242, 2, 1,
                64 * KIB, 0, 0, 0, false));

        // Blocks lie one after the other from offset 0, each a whole number of 2 KiB cells.
        assertThat(s.arenaMap()).hasSize(StoreSnapshot.ARENA_CELLS)
                .isEqualTo("p".repeat(32) + "e".repeat(64) + "w".repeat(16) + ".".repeat(512 - 112));

        assertThat(s.biggestObjects()).extracting(StoreSnapshot.ObjectSummary::id, StoreSnapshot.ObjectSummary::state,
                StoreSnapshot.ObjectSummary::references).containsExactly(
                        Tuple.tuple(id("evictable").toString(), "evictable", 0),
                        Tuple.tuple(id("pinned").toString(), "pinned", 3),
                        Tuple.tuple(id("writing").toString(), "being written", 1));
    }

    @Test
    void aDeletedObjectStillReferencedIsCountedAndDrawnApart() {
        long c = d.connect();
        d.putHeld(c, id("held"), 2 * KIB);
        d.delete(c, id("held"));

        StoreSnapshot s = d.engine.snapshot(arena, 0, 0);

        assertThat(s.deletePendingObjects()).isEqualTo(1);
        assertThat(s.sealedObjects()).isZero();
        assertThat(s.objects()).isEqualTo(d.engine.stats().objects());
        assertThat(s.arenaMap()).startsWith("d.");
    }

    @Test
    void shelfKeysComeFromTheMetadataAndTheNewestVersionCounts() {
        long c = d.connect();
        shelfObject(c, id("p1"), "application/vnd.apache.arrow.stream; shelf-key=prices; shelf-version=1; rows=10");
        String prices3 = "application/vnd.apache.arrow.stream; shelf-key=prices; shelf-version=3; rows=30";
        String trades1 = "application/vnd.apache.arrow.stream; shelf-key=trades; shelf-version=1; rows=5";
        shelfObject(c, id("p3"), prices3);
        shelfObject(c, id("t1"), trades1);
        shelfObject(c, id("plain"), "application/vnd.apache.arrow.stream");
        shelfObject(c, id("bad"), "application/vnd.apache.arrow.stream; shelf-key=x; shelf-version=oops");
        shelfObject(c, id("other"), "text/plain; shelf-key=not-the-shelf; shelf-version=1");

        StoreSnapshot s = d.engine.snapshot(arena, 0, 0);

        assertThat(s.shelf()).containsExactly(new StoreSnapshot.ShelfKey("prices", 3, 30, 100 + prices3.length()),
                new StoreSnapshot.ShelfKey("trades", 1, 5, 100 + trades1.length()));
        // Without the arena (or once an object is gone) nothing is read.
        assertThat(new EngineDriver(CAPACITY).engine.snapshot(null, 0, 0).shelf()).isEmpty();
    }

    /** A sealed, released object of 100 data bytes with {@code metadata}, written into the arena. */
    private void shelfObject(long client, ObjectId id, String metadata) {
        byte[] meta = metadata.getBytes(StandardCharsets.US_ASCII);
        long offset = d.created(client, id, 100, meta.length);
        MemorySegment.copy(meta, 0, arena, ValueLayout.JAVA_BYTE, offset + 100, meta.length);
        d.seal(client, id);
        d.release(client, id);
    }
}
