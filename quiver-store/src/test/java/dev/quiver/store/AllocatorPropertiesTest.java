package dev.quiver.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.quiver.protocol.testing.Theories;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Random sequences of allocations and frees, checked after every step against a model of the live blocks: the
 * allocator never hands out overlapping, misaligned or out-of-range blocks, its accounting is exact, its free list is
 * fully coalesced, it picks the best fit, and freeing everything gives back one block of the whole capacity.
 */
class AllocatorPropertiesTest {

    sealed interface Op {}

    /** Allocate {@code bytes} (rounded up to a block). */
    record Alloc(long bytes) implements Op {}

    /** Free the live block at {@code pick} modulo the number of live blocks. */
    record Free(int pick) implements Op {}

    record Block(long offset, long size) {
        long end() {
            return offset + size;
        }
    }

    static Gen<List<Op>> ops() {
        Gen<Op> alloc = Generate.oneOf(longs().between(0, 300), longs().between(0, 5000), longs().between(0, 70_000))
                .map(Alloc::new);
        Gen<Op> free = integers().between(0, 1000).map(Free::new);
        return lists().of(Generate.frequency(Pair.of(3, alloc), Pair.of(2, free))).ofSizeBetween(1, 400);
    }

    static Gen<Long> capacities() {
        return Generate.oneOf(longs().between(1, 64), longs().between(1, 4096)).map(n -> n * 64);
    }

    @Test
    void randomAllocationsAndFreesKeepEveryInvariant() {
        int[] triesAndFailingOnes = new int[2];
        Theories.check(400, qt -> qt.forAll(capacities(), ops()).checkAssert((capacity, ops) -> {
            triesAndFailingOnes[0]++;
            if (allocationsAndFreesKeepEveryInvariant(capacity, ops)) {
                triesAndFailingOnes[1]++;
            }
        }));
        assertThat(triesAndFailingOnes[1]).as("tries where an allocation failed, of %s", triesAndFailingOnes[0])
                .isGreaterThanOrEqualTo(triesAndFailingOnes[0] / 10);
    }

    /** Returns whether an allocation failed on the way. */
    private static boolean allocationsAndFreesKeepEveryInvariant(long capacity, List<Op> ops) {
        Allocator a = new Allocator(capacity);
        List<Block> live = new ArrayList<>();
        int failures = 0;
        for (Op op : ops) {
            switch (op) {
                case Alloc(long bytes) -> {
                    long size = Allocator.blockSize(bytes);
                    NavigableMap<Long, Long> freeBefore = a.freeBlocksByOffset();
                    long offset = a.allocate(size);
                    Long expected = bestFit(freeBefore, size);
                    if (expected == null) {
                        assertThat(offset).as("nothing of %d fits in %s", size, freeBefore).isEqualTo(-1);
                        assertThat(a.freeBlocksByOffset()).as("a failed allocation changes nothing")
                                .isEqualTo(freeBefore);
                        failures++;
                    } else {
                        assertThat(offset).as("best fit for %d in %s", size, freeBefore).isEqualTo(expected);
                        live.add(new Block(offset, size));
                    }
                }
                case Free(int pick) -> {
                    if (!live.isEmpty()) {
                        Block b = live.remove(pick % live.size());
                        a.free(b.offset, b.size);
                    }
                }
            }
            checkInvariants(a, live);
        }
        for (Block b : live) {
            a.free(b.offset, b.size);
        }
        assertThat(a.used()).isZero();
        assertThat(a.freeBlocks()).isEqualTo(1);
        assertThat(a.freeBlocksByOffset()).containsExactly(Map.entry(0L, capacity));
        assertThat(a.largestFree()).isEqualTo(capacity);
        return failures > 0;
    }

    /** The free list and the live blocks tile the arena exactly; free blocks never touch. */
    static void checkInvariants(Allocator a, List<Block> live) {
        long capacity = a.capacity();
        List<Block> all = new ArrayList<>(live);
        long sumLive = 0;
        for (Block b : live) {
            assertThat(b.offset % Allocator.ALIGN).as("aligned %s", b).isZero();
            assertThat(b.size % Allocator.ALIGN).isZero();
            assertThat(b.size).isPositive();
            assertThat(b.offset).isNotNegative();
            assertThat(b.end()).as("inside capacity %s", b).isLessThanOrEqualTo(capacity);
            sumLive += b.size;
        }
        assertThat(a.used()).as("used is the sum of live blocks").isEqualTo(sumLive);
        assertThat(a.free()).isEqualTo(capacity - sumLive);

        NavigableMap<Long, Long> free = a.freeBlocksByOffset();
        long largest = 0;
        Block previousFree = null;
        for (Map.Entry<Long, Long> e : free.entrySet()) {
            Block f = new Block(e.getKey(), e.getValue());
            assertThat(f.size).isPositive();
            assertThat(f.offset % Allocator.ALIGN).isZero();
            if (previousFree != null) {
                assertThat(previousFree.end()).as("free blocks %s and %s are coalesced", previousFree, f)
                        .isLessThan(f.offset);
            }
            previousFree = f;
            largest = Math.max(largest, f.size);
            all.add(f);
        }
        assertThat(a.freeBlocks()).isEqualTo(free.size());
        assertThat(a.largestFree()).isEqualTo(largest);

        // Live and free blocks together cover [0, capacity) with no gap and no overlap.
        all.sort(Comparator.comparingLong(Block::offset));
        long at = 0;
        for (Block b : all) {
            assertThat(b.offset).as("no gap or overlap at %s", b).isEqualTo(at);
            at = b.end();
        }
        assertThat(at).isEqualTo(capacity);
    }

    /** The offset best fit must choose: the smallest free block that fits, the lowest such. */
    static Long bestFit(NavigableMap<Long, Long> free, long size) {
        Long best = null;
        long bestSize = Long.MAX_VALUE;
        for (Map.Entry<Long, Long> e : free.entrySet()) {
            if (e.getValue() >= size && e.getValue() < bestSize) {
                best = e.getKey();
                bestSize = e.getValue();
            }
        }
        return best;
    }

    @Test
    void freeingAnythingNotLiveThrowsAndChangesNothing() {
        Theories.check(300, qt -> qt.forAll(ops(), integers().between(0, 1000), integers().between(0, 64),
                        integers().between(1, 64))
                .checkAssert(AllocatorPropertiesTest::freeingAnythingNotLiveThrowsAndChangesNothing));
    }

    private static void freeingAnythingNotLiveThrowsAndChangesNothing(List<Op> ops, int pick, int shiftUnits,
                                                                     int sizeUnits) {
        Allocator a = new Allocator(64 * 1024);
        List<Block> live = new ArrayList<>();
        List<Block> freed = new ArrayList<>();
        for (Op op : ops) {
            switch (op) {
                case Alloc(long bytes) -> {
                    long size = Allocator.blockSize(bytes);
                    long offset = a.allocate(size);
                    if (offset >= 0) {
                        live.add(new Block(offset, size));
                    }
                }
                case Free(int p) -> {
                    if (!live.isEmpty()) {
                        Block b = live.remove(p % live.size());
                        a.free(b.offset, b.size);
                        freed.add(b);
                    }
                }
            }
        }
        TreeMap<Long, Long> freeBefore = new TreeMap<>(a.freeBlocksByOffset());
        long usedBefore = a.used();

        // A range that overlaps free space: a block freed before and not reallocated since (double free), or part
        // of a free block.
        List<Block> bad = new ArrayList<>();
        List<Block> doubleFrees = freed.stream()
                .filter(f -> live.stream().noneMatch(l -> l.offset < f.end() && f.offset < l.end())).toList();
        if (!doubleFrees.isEmpty()) {
            bad.add(doubleFrees.get(pick % doubleFrees.size()));
        }
        for (Map.Entry<Long, Long> e : freeBefore.entrySet()) {
            long start = e.getKey() + (shiftUnits * 64L) % e.getValue();
            bad.add(new Block(start, sizeUnits * 64L));
            // A range that starts in a live block before the free one and runs into it.
            if (e.getKey() >= 64) {
                bad.add(new Block(e.getKey() - 64, 128));
            }
        }
        for (Block b : bad) {
            assertThatThrownBy(() -> a.free(b.offset, b.size)).as("free of %s", b)
                    .isInstanceOf(IllegalStateException.class);
            assertThat(a.freeBlocksByOffset()).isEqualTo(freeBefore);
            assertThat(a.used()).isEqualTo(usedBefore);
        }
        checkInvariants(a, live);
    }

    @Test
    void blocksAreAlignedAndJustBigEnough() {
        Theories.check(200, qt -> qt.forAll(longs().between(0, Allocator.MAX_BLOCK)).checkAssert(bytes -> {
            long block = Allocator.blockSize(bytes);

            assertThat(block % Allocator.ALIGN).isZero();
            assertThat(block).isGreaterThanOrEqualTo(Math.max(bytes, 1));
            assertThat(block - Math.max(bytes, 1)).isLessThan(Allocator.ALIGN);
        }));
    }

    /** However churned, an arena whose blocks are all freed can hand out its whole capacity in one block. */
    @Test
    void afterAnyChurnFreeingEverythingLeavesNoFragments() {
        Theories.check(100, qt -> qt.forAll(ops())
                .checkAssert(AllocatorPropertiesTest::freeingEverythingLeavesNoFragments));
    }

    private static void freeingEverythingLeavesNoFragments(List<Op> ops) {
        Allocator a = new Allocator(1 << 20);
        List<Block> live = new ArrayList<>();
        for (Op op : ops) {
            if (op instanceof Alloc(long bytes)) {
                long size = Allocator.blockSize(bytes);
                long offset = a.allocate(size);
                if (offset >= 0) {
                    live.add(new Block(offset, size));
                }
            } else if (op instanceof Free(int pick) && !live.isEmpty()) {
                Block b = live.remove(pick % live.size());
                a.free(b.offset, b.size);
            }
        }
        live.forEach(b -> a.free(b.offset, b.size));

        assertThat(a.allocate(1 << 20)).isZero();
    }
}
