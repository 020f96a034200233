package dev.quiver.store;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Best-fit allocator over offsets in the arena. Blocks are multiples of {@link #ALIGN} bytes and start on a
 * multiple of it. Free blocks are kept twice: by offset (to coalesce with neighbours on free) and by (size,
 * offset) (to find the smallest block that fits, lowest address first). Both operations are O(log n).
 *
 * <p>Best fit with immediate coalescing keeps fragmentation low, and with no header inside the arena the whole
 * capacity is usable: filling an empty arena wastes at most the alignment padding.
 *
 * <p>Not thread-safe: owned by the engine thread.
 */
final class Allocator {
    /** Alignment and granularity of every block: one cache line, enough for any Arrow buffer. */
    static final long ALIGN = 64;
    /** Largest size {@link #blockSize} accepts: the largest multiple of {@link #ALIGN} a long holds. */
    static final long MAX_BLOCK = Long.MAX_VALUE & -ALIGN;

    private record Block(long size, long offset) implements Comparable<Block> {
        @Override
        public int compareTo(Block o) {
            int c = Long.compare(size, o.size);
            return c != 0 ? c : Long.compare(offset, o.offset);
        }
    }

    private final long capacity;
    private final NavigableMap<Long, Long> freeByOffset = new TreeMap<>();
    private final TreeSet<Block> freeBySize = new TreeSet<>();
    private long used;

    Allocator(long capacity) {
        if (capacity < ALIGN || capacity % ALIGN != 0) {
            throw new IllegalArgumentException("capacity must be a positive multiple of " + ALIGN + ": " + capacity);
        }
        this.capacity = capacity;
        addFree(0, capacity);
    }

    /**
     * The block size that {@code bytes} occupy: rounded up to {@link #ALIGN}, at least one unit.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative or above {@link #MAX_BLOCK} (rounding it up
     *                                  would overflow)
     */
    static long blockSize(long bytes) {
        if (bytes < 0 || bytes > MAX_BLOCK) {
            throw new IllegalArgumentException("no block holds " + bytes + " bytes");
        }
        return Math.max(ALIGN, (bytes + ALIGN - 1) & -ALIGN);
    }

    /** Allocates a block of {@code size} bytes (a {@link #blockSize}); returns its offset, or -1 if none fits. */
    long allocate(long size) {
        Block fit = freeBySize.ceiling(new Block(size, 0));
        if (fit == null) {
            return -1;
        }
        removeFree(fit.offset, fit.size);
        if (fit.size > size) {
            addFree(fit.offset + size, fit.size - size);
        }
        used += size;
        return fit.offset;
    }

    /** Returns a block to the free space, merging it with free neighbours. */
    void free(long offset, long size) {
        if (offset < 0 || size <= 0 || offset + size > capacity) {
            throw new IllegalStateException("free of [" + offset + ", +" + size + ") outside the arena");
        }
        Map.Entry<Long, Long> before = freeByOffset.floorEntry(offset);
        Map.Entry<Long, Long> after = freeByOffset.ceilingEntry(offset);
        if ((before != null && before.getKey() + before.getValue() > offset)
                || (after != null && after.getKey() < offset + size)) {
            throw new IllegalStateException("double free or overlap at [" + offset + ", +" + size + ")");
        }
        long start = offset;
        long end = offset + size;
        if (before != null && before.getKey() + before.getValue() == offset) {
            removeFree(before.getKey(), before.getValue());
            start = before.getKey();
        }
        if (after != null && after.getKey() == end) {
            removeFree(after.getKey(), after.getValue());
            end += after.getValue();
        }
        addFree(start, end - start);
        used -= size;
    }

    long capacity() {
        return capacity;
    }

    long used() {
        return used;
    }

    long free() {
        return capacity - used;
    }

    /** Largest block that {@link #allocate} could hand out now. */
    long largestFree() {
        return freeBySize.isEmpty() ? 0 : freeBySize.last().size;
    }

    /**
     * The largest block that would be free if the given allocated blocks (offset to size) were freed as well: tells,
     * without changing anything, whether evicting them could make room for a block at all.
     */
    long largestFreeWith(NavigableMap<Long, Long> alsoFree) {
        NavigableMap<Long, Long> all = new TreeMap<>(freeByOffset);
        all.putAll(alsoFree);
        long largest = 0;
        long runStart = -1;
        long runEnd = -1;
        for (Map.Entry<Long, Long> b : all.entrySet()) {
            if (b.getKey() != runEnd) {
                runStart = b.getKey();
            }
            runEnd = b.getKey() + b.getValue();
            largest = Math.max(largest, runEnd - runStart);
        }
        return largest;
    }

    /** Number of free blocks: 1 means the free space is one contiguous run. */
    int freeBlocks() {
        return freeByOffset.size();
    }

    /** A copy of the free blocks, offset to size: for tests and the engine's invariant check. */
    NavigableMap<Long, Long> freeBlocksByOffset() {
        return new TreeMap<>(freeByOffset);
    }

    private void addFree(long offset, long size) {
        freeByOffset.put(offset, size);
        freeBySize.add(new Block(size, offset));
    }

    private void removeFree(long offset, long size) {
        freeByOffset.remove(offset);
        freeBySize.remove(new Block(size, offset));
    }
}
