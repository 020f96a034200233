package dev.quiver.client;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ranges of an unsealed object that {@link WritableObject#write} copied and digested, so that seal digests only
 * the rest and combines. Written ranges never overlap: a write that overlaps an earlier one, or handing out the raw
 * {@link WritableObject#data()} view (whose writes nobody sees), turns tracking off for good, and seal digests the
 * whole object again. That is always correct, whatever the order or threads of the writes.
 */
final class WrittenRanges {
    /** start → {end, CRC-32C of [start, end)}; disjoint, adjacent writes merged into one range. */
    private final TreeMap<Long, long[]> ranges = new TreeMap<>();
    private volatile boolean off;

    /** True once the recorded digests can no longer be trusted: seal reads every byte. */
    boolean isOff() {
        return off;
    }

    /** Forgets every range and records no more. */
    void turnOff() {
        if (!off) {
            synchronized (this) {
                off = true;
                ranges.clear();
            }
        }
    }

    /** Records that [start, start + length) now holds bytes whose CRC-32C is {@code crc}. */
    synchronized void record(long start, long length, long crc) {
        if (off || length == 0) {
            return;
        }
        long end = start + length;
        Map.Entry<Long, long[]> before = ranges.lowerEntry(end); // the only range that could overlap
        if (before != null && before.getValue()[0] > start) {
            turnOff(); // overwritten (perhaps by another thread, still copying): trust neither digest
            return;
        }
        if (before != null && before.getValue()[0] == start) {
            long[] range = before.getValue(); // appending, as stream writers do: one range, one combine
            range[1] = Digests.combine(range[1], crc, length);
            range[0] = end;
        } else {
            ranges.put(start, new long[] {end, crc});
        }
    }

    /** The digest of {@code region} (the data, then the metadata): recorded ranges combined with digests of the rest. */
    synchronized long digest(MemorySegment region) {
        if (off || ranges.isEmpty()) {
            return Digests.of(region);
        }
        long digest = 0;
        long at = 0;
        for (Map.Entry<Long, long[]> e : ranges.entrySet()) {
            long start = e.getKey();
            long end = e.getValue()[0];
            if (start > at) {
                digest = Digests.combine(digest, Digests.digest(region.asSlice(at, start - at)), start - at);
            }
            digest = Digests.combine(digest, e.getValue()[1], end - start);
            at = end;
        }
        return Digests.combine(digest, Digests.digest(region.asSlice(at)), region.byteSize() - at);
    }
}
