package dev.quiver.store;

import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Status;
import dev.quiver.protocol.testing.Theories;
import java.util.Random;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The allocator's promise (docs/architecture.md, section 4): a store filled with objects of random sizes reaches at
 * least 95% of its capacity before its first eviction (Plasma's users could use only about half). Checked on the allocator alone and through the engine.
 */
class UtilisationTest {
    static final double REQUIRED = 0.95;
    static final long KiB = 1024;
    static final long MiB = 1024 * KiB;

    /** A distribution of object sizes, drawn with the given random source. */
    record Mix(String name, long capacity, SizeSource sizes) {
        @Override
        public String toString() {
            return name;
        }
    }

    interface SizeSource {
        long next(Random random);
    }

    static long uniform(Random r, long min, long max) {
        return min + (long) (r.nextDouble() * (max - min + 1));
    }

    static long logUniform(Random r, long min, long max) {
        return (long) Math.exp(Math.log(min) + r.nextDouble() * (Math.log(max) - Math.log(min)));
    }

    /**
     * Size mixes. The largest object of each is at most about 3% of the capacity: the object that first fails may be
     * a largest one, so no allocator could promise 95% for objects above 5% of the arena.
     */
    static Gen<Mix> mixes() {
        return Generate.pick(List.of(
                new Mix("1 KiB..1 MiB in 256 MiB", 256 * MiB, r -> uniform(r, KiB, MiB)),
                new Mix("1 B..4 KiB in 16 MiB", 16 * MiB, r -> uniform(r, 1, 4 * KiB)),
                new Mix("64 B..16 MiB log-uniform in 512 MiB", 512 * MiB, r -> logUniform(r, 64, 16 * MiB)),
                new Mix("95% 100 B..10 KiB, 5% 1..32 MiB in 1 GiB", 1024 * MiB,
                        r -> r.nextInt(100) < 95 ? uniform(r, 100, 10 * KiB) : uniform(r, MiB, 32 * MiB)),
                new Mix("1 MiB..32 MiB in 1 GiB", 1024 * MiB, r -> uniform(r, MiB, 32 * MiB)),
                new Mix("exactly 1 MiB + 1 B in 256 MiB", 256 * MiB, r -> MiB + 1)));
    }

    @Test
    void anEmptyArenaFillsToAtLeast95PercentBeforeTheFirstFailedAllocation() {
        Theories.check(60, qt -> qt.forAll(mixes(), longs().all()).checkAssert(UtilisationTest::allocatorFills));
    }

    private static void allocatorFills(Mix mix, long seed) {
        Random random = new Random(seed);
        Allocator a = new Allocator(mix.capacity);

        long size;
        while (a.allocate(size = Allocator.blockSize(mix.sizes.next(random))) >= 0) {
            // keep filling
        }

        double utilisation = (double) a.used() / mix.capacity;
        assertThat(utilisation).as("%s: %d of %d bytes used when %d did not fit", mix, a.used(), mix.capacity, size)
                .isGreaterThanOrEqualTo(REQUIRED);
        assertThat(a.largestFree()).as("the failure was for lack of space").isLessThan(size);
    }

    @Test
    void anEngineFillsToAtLeast95PercentBeforeItsFirstEviction() {
        Theories.check(30, qt -> qt.forAll(mixes(), longs().all()).checkAssert(UtilisationTest::engineFills));
    }

    private static void engineFills(Mix mix, long seed) {
        Random random = new Random(seed);
        EngineDriver d = new EngineDriver(mix.capacity);
        long client = d.connect();

        long usedBeforeFirstEviction = fillUntilFirstEviction(d, client, random, mix.sizes);

        double utilisation = (double) usedBeforeFirstEviction / mix.capacity;
        assertThat(utilisation).as("%s: %d of %d bytes used before the first eviction", mix, usedBeforeFirstEviction,
                mix.capacity).isGreaterThanOrEqualTo(REQUIRED);
    }

    /**
     * Creates, seals and releases objects of random sizes (data and metadata) until a create evicts; returns the
     * bytes used just before that create.
     */
    static long fillUntilFirstEviction(EngineDriver d, long client, Random random, SizeSource sizes) {
        for (int i = 0; ; i++) {
            long total = sizes.next(random);
            long metadata = Math.min(total, random.nextInt(256));
            ObjectId id = id("object-" + i);
            long usedBefore = d.stats().used();
            Reply r = d.create(client, id, total - metadata, metadata, 0);
            if (d.stats().evictedObjects() > 0) {
                return usedBefore;
            }
            assertThat(r).as("create %d of %d bytes with %d used and nothing evicted", i, total, usedBefore)
                    .isInstanceOf(Reply.Created.class);
            assertThat(d.seal(client, id)).isEqualTo(Status.OK);
            assertThat(d.release(client, id)).containsExactly(Status.OK);
        }
    }
}
