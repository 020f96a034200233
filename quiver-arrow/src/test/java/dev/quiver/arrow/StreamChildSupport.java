package dev.quiver.arrow;

import java.util.HashMap;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * What the stream children ({@link StreamProducerChild}, {@link StreamConsumerChild}) and {@link StreamProcessTest}
 * agree on: the content of batch {@code seq} (a function of {@code seq} alone, so a second producer writes what the
 * first would have) and an order-sensitive checksum over (seq, rows, values) of a sequence of batches.
 */
final class StreamChildSupport {
    /** The checksum of no batch: where every chain starts. */
    static final long EMPTY = 0x51_7E_A4_1DL;

    private StreamChildSupport() {}

    /** Rows of batch {@code seq}: 8 to 24. */
    static int rows(long seq) {
        return 8 + (int) (seq % 17);
    }

    /** Value {@code i} of batch {@code seq}. */
    static long value(long seq, int i) {
        return seq * 1_000_003L + i * 7919L;
    }

    /** Batch {@code seq} as a root (column "v"); the caller closes it. */
    static VectorSchemaRoot batch(long seq, BufferAllocator allocator) {
        BigIntVector v = new BigIntVector("v", allocator);
        int rows = rows(seq);
        v.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
            v.set(i, value(seq, i));
        }
        v.setValueCount(rows);
        return VectorSchemaRoot.of(v);
    }

    /** The chain {@code checksum} continued with batch {@code seq} as read from {@code root}. */
    static long add(long checksum, long seq, VectorSchemaRoot root) {
        BigIntVector v = (BigIntVector) root.getVector("v");
        long c = mix(mix(checksum, seq), v.getValueCount());
        for (int i = 0; i < v.getValueCount(); i++) {
            c = mix(c, v.get(i));
        }
        return c;
    }

    /** The chain {@code checksum} continued with batch {@code seq} as written. */
    static long addExpected(long checksum, long seq) {
        long c = mix(mix(checksum, seq), rows(seq));
        for (int i = 0; i < rows(seq); i++) {
            c = mix(c, value(seq, i));
        }
        return c;
    }

    /** The checksum of batches {@code [from, to)} in order. */
    static long expected(long from, long to) {
        long c = EMPTY;
        for (long seq = from; seq < to; seq++) {
            c = addExpected(c, seq);
        }
        return c;
    }

    /** Whether batch {@code seq} read back holds exactly what was written. */
    static boolean intact(long seq, VectorSchemaRoot root) {
        if (root.getFieldVectors().size() != 1 || !(root.getVector("v") instanceof BigIntVector v)
                || v.getValueCount() != rows(seq)) {
            return false;
        }
        for (int i = 0; i < v.getValueCount(); i++) {
            if (v.isNull(i) || v.get(i) != value(seq, i)) {
                return false;
            }
        }
        return true;
    }

    private static long mix(long c, long v) {
        long x = (c ^ v) * 0x9E3779B97F4A7C15L;
        return x ^ (x >>> 31);
    }

    /** {@code key=value} words after the first word of a line, as a map. */
    static Map<String, String> fields(String line) {
        Map<String, String> m = new HashMap<>();
        for (String w : line.trim().split("\\s+")) {
            int eq = w.indexOf('=');
            if (eq > 0) {
                m.put(w.substring(0, eq), w.substring(eq + 1));
            }
        }
        return m;
    }

    /** One line to stdout, flushed (the parent reads lines as events). */
    static synchronized void out(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
