package dev.quiver.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The work every reader does with the bytes it got: it sums them (the wrapping sum of the 8-byte words, then the
 * last bytes). Summing reads every byte, so a "get" measured with it includes bringing the whole object through the
 * CPU; the same sum runs on every path (Quiver, socket, private memory), which keeps them comparable.
 */
public final class Sums {
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private Sums() {}

    /** The sum of the segment's bytes as described above. */
    public static long sum(MemorySegment s) {
        long n = s.byteSize();
        long words = n & ~7L;
        long sum = 0;
        for (long off = 0; off < words; off += 8) {
            sum += s.get(WORD, off);
        }
        for (long off = words; off < n; off++) {
            sum += s.get(ValueLayout.JAVA_BYTE, off);
        }
        return sum;
    }

    /** Writes a pattern that touches every page and makes every prefix's sum distinct from zero. */
    public static void fill(MemorySegment s) {
        long n = s.byteSize();
        long words = n & ~7L;
        for (long off = 0; off < words; off += 8) {
            s.set(WORD, off, ((off >>> 3) + 1) * GOLDEN);
        }
        for (long off = words; off < n; off++) {
            s.set(ValueLayout.JAVA_BYTE, off, (byte) off);
        }
    }
}
