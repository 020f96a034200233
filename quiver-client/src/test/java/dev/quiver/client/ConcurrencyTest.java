package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertContent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.refCount;
import static dev.quiver.client.QuiverClient.NO_WAIT;
import static dev.quiver.client.QuiverClient.WAIT_FOREVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.testing.Blocking;
import dev.quiver.client.testing.Patterns;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.store.StoreServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One client shared by many threads, and creates that wait for memory (backpressure). */
class ConcurrencyTest {
    @TempDir
    Path dir;

    private record Spec(ObjectId id, long dataSize, long metadataSize, long seed) {
        static Spec of(int thread, int i) {
            return new Spec(Fixtures.id("t" + thread + "-" + i), 1 + (i * 37L) % 3000, i % 17, thread * 100_000L + i);
        }
    }

    @Test
    void threadsSharingOneClientCreateSealGetAndReleaseConsistently() {
        int threads = 4;
        int perThread = 150;
        try (StoreServer store = Fixtures.store(dir, 16 << 20);
             QuiverClient shared = QuiverClient.connect(store.socket());
             QuiverClient other = QuiverClient.connect(store.socket())) {
            List<Fixtures.Call<Integer>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                workers.add(Fixtures.inThread("worker-" + t, () -> work(shared, me, threads, perThread)));
            }
            for (Fixtures.Call<Integer> w : workers) {
                assertThat(w.join()).isEqualTo(perThread);
            }

            Map<ObjectId, ObjectInfo> listed = shared.list().stream()
                    .collect(Collectors.toMap(ObjectInfo::id, Function.identity()));
            assertThat(listed).hasSize(threads * perThread);
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < perThread; i++) {
                    Spec s = Spec.of(t, i);
                    ObjectInfo info = listed.get(s.id());
                    assertThat(info).as(s.toString()).isNotNull();
                    assertThat(info.state()).isEqualTo(ObjectState.SEALED);
                    assertThat(info.refCount()).as("every reference was released").isZero();
                    assertThat(info.dataSize()).isEqualTo(s.dataSize());
                    assertThat(info.metadataSize()).isEqualTo(s.metadataSize());
                    assertThat(info.digest()).isEqualTo(Patterns.digest(s.dataSize(), s.metadataSize(), s.seed()));
                }
            }
            StoreStats stats = other.stats();
            assertThat(stats.pinned()).isZero();
            assertThat(stats.evictedObjects()).isZero();
            assertThat(stats.used()).isEqualTo(Fixtures.sumOfBlocks(other));
            List<ObjectId> all = new ArrayList<>(listed.keySet());
            List<ObjectBuffer> got = other.get(all, NO_WAIT);
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < perThread; i++) {
                    Spec s = Spec.of(t, i);
                    assertContent(got.get(all.indexOf(s.id())), s.dataSize(), s.metadataSize(), s.seed());
                }
            }
            got.forEach(ObjectBuffer::close);
        }
    }

    /** One thread's share: create (two ways), seal, get its own objects and (blocking) its neighbour's, release. */
    private static int work(QuiverClient c, int me, int threads, int n) {
        List<ObjectBuffer> held = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Spec s = Spec.of(me, i);
            if (i % 3 == 0) {
                Fixtures.put(c, s.id(), s.dataSize(), s.metadataSize(), s.seed());
            } else {
                try (WritableObject w = c.create(s.id(), s.dataSize(), s.metadataSize(), NO_WAIT)) {
                    Patterns.fill(w.data(), w.metadata(), s.seed());
                    w.seal();
                }
            }
            ObjectBuffer own = c.get(s.id(), NO_WAIT).orElseThrow(() -> new AssertionError("lost " + s));
            assertContent(own, s.dataSize(), s.metadataSize(), s.seed());
            held.add(own);
            if (i % 5 == 0) {
                // The neighbour's object of the same round: there already, or the get waits for its seal.
                Spec theirs = Spec.of((me + 1) % threads, i);
                try (ObjectBuffer b = c.get(theirs.id(), WAIT_FOREVER).orElseThrow()) {
                    assertContent(b, theirs.dataSize(), theirs.metadataSize(), theirs.seed());
                }
            }
            if (held.size() == 10) {
                held.forEach(ObjectBuffer::close);
                held.clear();
            }
        }
        held.forEach(ObjectBuffer::close);
        return n;
    }

    @Test
    void manyThreadsBlockedOnOneIdAllWakeOnItsSeal() {
        try (StoreServer store = Fixtures.store(dir, 1 << 20);
             QuiverClient shared = QuiverClient.connect(store.socket());
             QuiverClient writer = QuiverClient.connect(store.socket())) {
            ObjectId id = id("awaited");
            List<Fixtures.Call<Optional<ObjectBuffer>>> getters = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                getters.add(Fixtures.inThread("getter-" + t, () -> shared.get(id, WAIT_FOREVER)));
            }
            getters.forEach(g -> Blocking.awaitBlockedInStoreCall(g.thread(), WAIT));
            assertThat(shared.contains(id)).isFalse();
            try (WritableObject w = writer.create(id, 100, 0, NO_WAIT)) {
                Patterns.fill(w.data(), w.metadata(), 5);
                w.seal();
                List<ObjectBuffer> woken = getters.stream().map(g -> g.join().orElseThrow()).toList();
                assertThat(woken).doesNotHaveDuplicates().allSatisfy(b -> assertContent(b, 100, 0, 5));
                assertThat(refCount(writer, id)).isEqualTo(1 + woken.size());
                woken.forEach(ObjectBuffer::close);
                assertThat(refCount(shared, id)).as("only the creator's").isEqualTo(1);
            }
            assertThat(refCount(writer, id)).isZero();
        }
    }

    @Test
    void aCreateWithWaitSucceedsWhenAnotherClientFreesMemory() {
        try (StoreServer store = Fixtures.store(dir, 1 << 20);
             QuiverClient holder = QuiverClient.connect(store.socket());
             QuiverClient waiter = QuiverClient.connect(store.socket())) {
            WritableObject a = holder.create(id("a"), 512 << 10);
            WritableObject b = holder.create(id("b"), 512 << 10);
            assertThat(holder.stats().pinned()).isEqualTo(1 << 20);

            assertThatThrownBy(() -> waiter.create(id("x"), 256 << 10)).isInstanceOf(StoreFullException.class);
            long start = System.nanoTime();
            assertThatThrownBy(() -> waiter.create(id("x"), 256 << 10, 0, 200))
                    .isInstanceOf(StoreFullException.class).hasMessageStartingWith("store full after waiting: ");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(200);
            assertThat(waiter.list()).hasSize(2);

            // Waits as long as it takes; an abort by the holder frees the memory.
            Fixtures.Call<WritableObject> x = Fixtures.inThread("create-x",
                    () -> waiter.create(id("x"), 256 << 10, 0, WAIT_FOREVER));
            Blocking.awaitBlockedInStoreCall(x.thread(), WAIT);
            waiter.stats(); // answered after the store queued the create
            assertThat(x.result()).isNotDone();
            b.abort();
            WritableObject createdX = x.join();
            Patterns.fill(createdX.data(), createdX.metadata(), 1);
            createdX.seal(); // and keeps its creator reference: x is pinned

            // Waits with a deadline; the holder's seal and release make its object evictable, which makes room.
            Fixtures.Call<WritableObject> y = Fixtures.inThread("create-y",
                    () -> waiter.create(id("y"), 512 << 10, 0, 60_000));
            Blocking.awaitBlockedInStoreCall(y.thread(), WAIT);
            waiter.stats();
            assertThat(y.result()).isNotDone();
            a.seal();
            a.close();
            try (WritableObject created = y.join()) {
                created.seal();
            }
            createdX.close();
            StoreStats stats = waiter.stats();
            assertThat(stats.evictedObjects()).as("a, to make room for y").isEqualTo(1);
            assertThat(waiter.contains(List.of(id("a"), id("x"), id("y")))).containsExactly(false, true, true);
            assertThat(stats.used()).isEqualTo((256 << 10) + (512 << 10));
            Fixtures.assertIntact(waiter, id("x"), 256 << 10, 0, 1);
        }
    }
}
