package dev.quiver.arrow;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.table.Table;

/**
 * Self-checking tables for the shelf tests: the table of version {@code v} has {@link #rows(long)} rows, columns
 * {@code version} (v in every row), {@code i}, {@code value} and {@code name} (functions of v and i) and
 * {@code checksum} (one digest of all the rest, in every row). A table that is half-written, mixed from two
 * versions, or read from reused memory fails {@link #verify}.
 */
final class ShelfTestTables {
    private ShelfTestTables() {}

    static int rows(long version) {
        return 200 + (int) Math.floorMod(version * 7919, 2000L);
    }

    static long value(long version, int i) {
        long x = version * 0x9E3779B97F4A7C15L + i * 0xBF58476D1CE4E5B9L;
        x ^= x >>> 31;
        return x * 0x94D049BB133111EBL;
    }

    static String name(long version, int i) {
        return "v" + version + "-row" + i;
    }

    /** The table of a version, as one root. */
    static VectorSchemaRoot root(long version, BufferAllocator allocator) {
        return root(version, 0, rows(version), allocator);
    }

    /** Rows [from, to) of the table of a version (the checksum is still that of the whole table). */
    static VectorSchemaRoot root(long version, int from, int to, BufferAllocator allocator) {
        int n = to - from;
        BigIntVector ver = new BigIntVector("version", allocator);
        IntVector index = new IntVector("i", allocator);
        BigIntVector value = new BigIntVector("value", allocator);
        VarCharVector name = new VarCharVector("name", allocator);
        BigIntVector checksum = new BigIntVector("checksum", allocator);
        long sum = checksum(version);
        for (int r = 0; r < n; r++) {
            int i = from + r;
            ver.setSafe(r, version);
            index.setSafe(r, i);
            value.setSafe(r, value(version, i));
            name.setSafe(r, name(version, i).getBytes(StandardCharsets.UTF_8));
            checksum.setSafe(r, sum);
        }
        List<FieldVector> vectors = List.of(ver, index, value, name, checksum);
        vectors.forEach(v -> v.setValueCount(n));
        return new VectorSchemaRoot(vectors);
    }

    /** The table of a version in several batches. */
    static List<VectorSchemaRoot> batches(long version, int batchCount, BufferAllocator allocator) {
        int rows = rows(version);
        List<VectorSchemaRoot> out = new ArrayList<>();
        for (int b = 0; b < batchCount; b++) {
            out.add(root(version, rows * b / batchCount, rows * (b + 1) / batchCount, allocator));
        }
        return out;
    }

    /** The table of a version, as an Arrow Table. */
    static Table table(long version, BufferAllocator allocator) {
        return new Table(root(version, allocator));
    }

    static long checksum(long version) {
        long sum = 17;
        for (int i = 0; i < rows(version); i++) {
            sum = sum * 31 + value(version, i);
            sum = sum * 31 + name(version, i).hashCode();
        }
        return sum;
    }

    /**
     * Checks the table is exactly the table of one version, and returns that version.
     *
     * @throws AssertionError describing the first difference
     */
    static long verify(List<VectorSchemaRoot> batches) {
        long version = -1;
        int i = 0;
        long sum = 17;
        long recorded = 0;
        for (VectorSchemaRoot b : batches) {
            BigIntVector ver = (BigIntVector) b.getVector("version");
            IntVector index = (IntVector) b.getVector("i");
            BigIntVector value = (BigIntVector) b.getVector("value");
            VarCharVector name = (VarCharVector) b.getVector("name");
            BigIntVector checksum = (BigIntVector) b.getVector("checksum");
            for (int r = 0; r < b.getRowCount(); r++, i++) {
                if (version < 0) {
                    version = ver.get(r);
                    recorded = checksum.get(r);
                }
                check(ver.get(r) == version, "row " + i + " has version " + ver.get(r) + ", row 0 has " + version);
                check(index.get(r) == i, "row " + i + " has i = " + index.get(r));
                check(value.get(r) == value(version, i), "row " + i + " has a wrong value");
                String n = new String(name.get(r), StandardCharsets.UTF_8);
                check(n.equals(name(version, i)), "row " + i + " has name " + n);
                check(checksum.get(r) == recorded, "row " + i + " has another checksum");
                sum = sum * 31 + value.get(r);
                sum = sum * 31 + n.hashCode();
            }
        }
        check(version >= 0, "the table is empty");
        check(i == rows(version), "version " + version + " has " + i + " rows, expected " + rows(version));
        check(sum == recorded, "checksum of version " + version + " does not match its rows");
        return version;
    }

    static long verify(VectorSchemaRoot root) {
        return verify(List.of(root));
    }

    static long verify(Table table) {
        return verify(ShelfArrow.view(table));
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("not a complete table of one version: " + what);
        }
    }
}
