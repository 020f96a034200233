package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertContent;
import static dev.quiver.client.Fixtures.assertIntact;
import static dev.quiver.client.Fixtures.awaitEvent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.info;
import static dev.quiver.client.Fixtures.put;
import static dev.quiver.client.Fixtures.refCount;
import static dev.quiver.client.QuiverClient.NO_WAIT;
import static dev.quiver.client.QuiverClient.WAIT_FOREVER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.Blocking;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.ClientChild;
import dev.quiver.client.testing.Patterns;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.store.StoreServer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client JVM killed with SIGKILL, at the worst moments: holding references, between create and seal, blocked in a
 * get. The store notices the socket's end, undoes exactly what that client had (its unsealed objects, its
 * references, its waiting gets) and nothing else, and keeps serving.
 *
 * <p>To know when the store has cleaned up without sleeping, the child also holds a marker object that this process
 * deleted (a deferred delete): the store frees it, and notifies the subscription, in the same step that releases the
 * dead client's references.
 */
class ClientDeathTest {
    private static final long CAPACITY = 4 << 20;

    /** Sizes and seed of an object expected to survive. */
    private record Expected(long dataSize, long metadataSize, long seed) {}

    @TempDir
    Path dir;
    StoreServer store;
    QuiverClient parent;
    Subscription events;
    ChildJvm child;
    final ObjectId marker = id("marker");
    final Map<ObjectId, Expected> survivors = new LinkedHashMap<>();

    @BeforeEach
    void start() {
        store = Fixtures.store(dir, CAPACITY);
        parent = QuiverClient.connect(store.socket());
        events = parent.subscribe();
        survive(id("kept"), 1000, 10, 1);
        put(parent, marker, 10, 0, 99);
        child = ChildJvm.start(ClientChild.class, store.socket().toString());
        child.expect("ready", WAIT);
        child.send("put child-made 700 7 5");
        child.expect("put child-made", WAIT);
        survivors.put(id("child-made"), new Expected(700, 7, 5));
        child.send("get marker -1");
        child.expect("got marker", WAIT);
    }

    @AfterEach
    void stop() {
        child.close();
        events.close();
        parent.close();
        store.close();
    }

    @Test
    void killedWhileHoldingReferences() {
        survive(id("a"), 2000, 0, 2);
        survive(id("b"), 500, 5, 3);
        child.send("get a -1");
        child.expect("got a", WAIT);
        child.send("get b -1");
        child.expect("got b", WAIT);
        child.send("get b -1");
        child.expect("got b", WAIT);
        assertThat(refCount(parent, id("a"))).isEqualTo(1);
        assertThat(refCount(parent, id("b"))).isEqualTo(2);
        assertThat(parent.stats().pinned()).isEqualTo(2048 + 512 + 64);

        killChildAndAwaitCleanup();

        assertOnlySurvivorsRemainIntactAndTheStoreServes();
    }

    @Test
    void killedBetweenCreateAndSeal() {
        ObjectId unsealed = id("unsealed");
        child.send("create unsealed 100000 0 6");
        child.expect("created unsealed", WAIT);
        ObjectInfo writing = info(parent, unsealed).orElseThrow();
        assertThat(writing.state()).isEqualTo(ObjectState.CREATED);
        assertThat(parent.stats().used()).isEqualTo(Fixtures.sumOfBlocks(parent));
        // A reader waiting for the object: the writer's death must not answer it, nor lose it.
        Fixtures.Call<Optional<ObjectBuffer>> waiting = Fixtures.inThread("waiting-get",
                () -> parent.get(unsealed, WAIT_FOREVER));
        Blocking.awaitBlockedInStoreCall(waiting.thread(), WAIT);

        killChildAndAwaitCleanup();

        assertThat(info(parent, unsealed)).as("the dead writer's object is gone").isEmpty();
        assertThat(parent.contains(unsealed)).isFalse();
        assertThat(waiting.result()).isNotDone();
        assertOnlySurvivorsRemainIntactAndTheStoreServes();

        // The id is free again; the waiting get is woken by the new object.
        try (WritableObject w = parent.create(unsealed, 100000, 0, NO_WAIT)) {
            Patterns.fill(w.data(), w.metadata(), 7);
            w.seal();
        }
        try (ObjectBuffer b = waiting.join().orElseThrow()) {
            assertContent(b, 100000, 0, 7);
        }
    }

    @Test
    void killedWhileBlockedInAGet() {
        ObjectId awaited = id("awaited");
        child.send("block awaited");
        child.expect("blocked", WAIT);

        killChildAndAwaitCleanup();

        // The dead client's get must not take a reference when the object appears.
        try (WritableObject w = parent.create(awaited, 300, 0, NO_WAIT)) {
            Patterns.fill(w.data(), w.metadata(), 8);
            w.seal();
            assertThat(refCount(parent, awaited)).as("only the creator's reference").isEqualTo(1);
        }
        assertThat(refCount(parent, awaited)).isZero();
        survivors.put(awaited, new Expected(300, 0, 8));
        assertOnlySurvivorsRemainIntactAndTheStoreServes();
    }

    private void survive(ObjectId id, long dataSize, long metadataSize, long seed) {
        put(parent, id, dataSize, metadataSize, seed);
        survivors.put(id, new Expected(dataSize, metadataSize, seed));
    }

    private void killChildAndAwaitCleanup() {
        assertThat(parent.delete(marker)).as("the child holds the marker").isEqualTo(DeleteOutcome.DEFERRED);
        assertThat(parent.stats().clients()).isEqualTo(3);
        child.kill();
        awaitEvent(events, ObjectEvent.Kind.DELETED, marker);
    }

    private void assertOnlySurvivorsRemainIntactAndTheStoreServes() {
        assertThat(parent.list()).as("every other object, untouched").extracting(ObjectInfo::id)
                .containsExactlyInAnyOrderElementsOf(survivors.keySet());
        for (ObjectInfo i : parent.list()) {
            assertThat(i.state()).isEqualTo(ObjectState.SEALED);
            assertThat(i.refCount()).as("references of " + i.id()).isZero();
        }
        long blocks = 0;
        for (Map.Entry<ObjectId, Expected> e : survivors.entrySet()) {
            Expected x = e.getValue();
            assertIntact(parent, e.getKey(), x.dataSize(), x.metadataSize(), x.seed());
            blocks += Patterns.blockSize(x.dataSize(), x.metadataSize());
        }
        StoreStats stats = parent.stats();
        assertThat(stats.used()).as("used = the remaining objects' blocks").isEqualTo(blocks);
        assertThat(stats.pinned()).isZero();
        assertThat(stats.evictable()).isEqualTo(blocks);
        assertThat(stats.objects()).isEqualTo(survivors.size());
        assertThat(stats.clients()).as("this client and its subscription").isEqualTo(2);

        ObjectId fresh = id("after-" + System.nanoTime());
        put(parent, fresh, 4000, 40, 11);
        assertIntact(parent, fresh, 4000, 40, 11);
        assertThat(parent.delete(fresh)).isEqualTo(DeleteOutcome.DELETED);
    }
}
