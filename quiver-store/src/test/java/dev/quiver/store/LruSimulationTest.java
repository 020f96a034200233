package dev.quiver.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import dev.quiver.protocol.testing.Theories;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The store used as a cache, in the manner of Caffeine's policy simulator: a trace of accesses over a skewed key
 * space; a hit is a get then a release, a miss is a create, seal and release (evicting what it must). The store's
 * hits, misses and eviction order are compared with a reference LRU built on {@link LinkedHashMap}.
 */
class LruSimulationTest {

    /** A Zipf-like trace: key k is drawn with probability proportional to 1 / (k + 1)^skew. */
    static int[] trace(Random random, int keys, int length, double skew) {
        double[] cumulative = new double[keys];
        double sum = 0;
        for (int k = 0; k < keys; k++) {
            sum += 1 / Math.pow(k + 1, skew);
            cumulative[k] = sum;
        }
        int[] trace = new int[length];
        for (int i = 0; i < length; i++) {
            double u = random.nextDouble() * sum;
            int k = Arrays.binarySearch(cumulative, u);
            trace[i] = Math.min(keys - 1, k >= 0 ? k : -k - 1);
        }
        return trace;
    }

    static ObjectId key(int k) {
        return ObjectId.forName("key-" + k);
    }

    /** One cache access through the store; returns the keys evicted by it, in order. */
    static final class StoreCache {
        final EngineDriver d;
        final long client;
        final long watcher;
        int seen;

        StoreCache(long capacity) {
            d = new EngineDriver(capacity);
            client = d.connect("cache");
            watcher = d.connect("watcher");
            d.call(watcher, new Request.Subscribe());
        }

        /** True on a hit. */
        boolean access(int k, long size) {
            ObjectId id = key(k);
            Reply.Location l = d.get(client, 0, id).getFirst();
            if (l.present()) {
                assertThat(l.dataSize()).isEqualTo(size);
                assertThat(d.release(client, id)).containsExactly(Status.OK);
                return true;
            }
            assertThat(d.create(client, id, size, 0, 0)).as("miss on %d", k).isInstanceOf(Reply.Created.class);
            assertThat(d.seal(client, id)).isEqualTo(Status.OK);
            assertThat(d.release(client, id)).containsExactly(Status.OK);
            return false;
        }

        List<ObjectId> evictedSinceLastCall() {
            List<Reply.Notification> all = d.outbox.notificationsView(watcher);
            List<ObjectId> evicted = all.subList(seen, all.size()).stream()
                    .filter(n -> n.kind() == Reply.Notification.Kind.DELETED).map(Reply.Notification::id).toList();
            seen = all.size();
            return evicted;
        }
    }

    /**
     * Objects of one block size: no fragmentation, so the store must behave exactly like an LRU cache of
     * capacity / size entries — the same hit or miss on every access, the same victim on every eviction.
     */
    @Test
    void withUniformSizesTheStoreIsExactlyAnLruCache() {
        Theories.check(25, qt -> qt.forAll(longs().all(), integers().between(1, 80), integers().between(1, 5000))
                .checkAssert(LruSimulationTest::uniformSizes));
    }

    private static void uniformSizes(long seed, int entries, int size) {
        Random random = new Random(seed);
        long block = Allocator.blockSize(size);
        StoreCache store = new StoreCache(block * entries);
        LinkedHashMap<Integer, Boolean> reference = new LinkedHashMap<>(16, 0.75f, true);
        int[] trace = trace(random, 4 * entries + 10, 3000, 0.9);
        int hits = 0;

        for (int i = 0; i < trace.length; i++) {
            int k = trace[i];
            boolean expectedHit = reference.get(k) != null;
            List<ObjectId> expectedEvicted = new ArrayList<>();
            if (!expectedHit) {
                if (reference.size() == entries) {
                    Iterator<Integer> eldest = reference.keySet().iterator();
                    expectedEvicted.add(key(eldest.next()));
                    eldest.remove();
                }
                reference.put(k, true);
            }

            boolean hit = store.access(k, size);

            assertThat(hit).as("access %d to key %d", i, k).isEqualTo(expectedHit);
            assertThat(store.evictedSinceLastCall()).as("evicted by access %d", i).isEqualTo(expectedEvicted);
            hits += hit ? 1 : 0;
        }
        assertThat(store.d.stats().objects()).isEqualTo(reference.size());
        assertThat(hits).as("the trace is skewed enough to hit").isPositive();
    }

    /**
     * Objects of random sizes: the store may have to evict more than a byte-counting LRU would (a hole must be
     * contiguous), but never fewer, and always the least recently used ones, in order.
     */
    @Test
    void withMixedSizesTheStoreEvictsAnLruPrefixAndNeverLessThanNeeded() {
        Theories.check(25, qt -> qt.forAll(longs().all()).checkAssert(LruSimulationTest::mixedSizes));
    }

    private static void mixedSizes(long seed) {
        Random random = new Random(seed);
        long capacity = 1 << 20;
        StoreCache store = new StoreCache(capacity);
        Map<Integer, Long> sizes = new LinkedHashMap<>();
        LinkedHashMap<Integer, Long> reference = new LinkedHashMap<>(16, 0.75f, true); // key -> block
        int[] trace = trace(random, 400, 4000, 0.8);

        for (int k : trace) {
            long size = sizes.computeIfAbsent(k, x -> 1 + (long) (Math.exp(random.nextDouble() * Math.log(64 * 1024))));
            long block = Allocator.blockSize(size);
            boolean expectedHit = reference.get(k) != null;

            boolean hit = store.access(k, size);
            List<ObjectId> evicted = store.evictedSinceLastCall();

            assertThat(hit).isEqualTo(expectedHit);
            if (hit) {
                assertThat(evicted).isEmpty();
                continue;
            }
            // The evicted keys are the least recently used ones, in order...
            List<Map.Entry<Integer, Long>> entries = new ArrayList<>(reference.entrySet()); // no access: order kept
            List<Integer> order = entries.stream().map(Map.Entry::getKey).toList();
            assertThat(evicted).hasSizeLessThanOrEqualTo(order.size());
            assertThat(evicted)
                    .isEqualTo(order.subList(0, evicted.size()).stream().map(LruSimulationTest::key).toList());
            // ...and at least as many as counting bytes says must go.
            long used = reference.values().stream().mapToLong(Long::longValue).sum();
            int needed = 0;
            while (used + block > capacity) {
                used -= entries.get(needed++).getValue();
            }
            assertThat(evicted.size()).isGreaterThanOrEqualTo(needed);
            for (int i = 0; i < evicted.size(); i++) {
                reference.remove(order.get(i));
            }
            reference.put(k, block);
            assertThat(store.d.stats().used()).isEqualTo(reference.values().stream().mapToLong(Long::longValue).sum());
        }
    }
}
