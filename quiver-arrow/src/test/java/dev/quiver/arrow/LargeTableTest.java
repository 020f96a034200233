package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table larger than 2 GiB in one object: 19 batches of 4 Mi rows (a long, a nullable double, an 8-character
 * string), about 2.1 GiB, written into a store of 2.5 GiB and read back zero-copy. Batches are made from a seed one
 * at a time, never two copies of the table at once, and every value read is compared with the value the seed gives.
 */
class LargeTableTest {
    private static final int BATCHES = 19;
    private static final int ROWS = 1 << 22;
    private static final long SEED = 0x5EEDL;
    private static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("x", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
            new Field("s", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null)));

    @TempDir
    Path dir;

    @Test
    void aTableOfMoreThan2GiBRoundTripsInOneObject() throws Exception {
        try (StoreServer store = StoreServer.start(StoreConfig.of(2560L << 20, dir.resolve("s.sock")));
             QuiverClient client = QuiverClient.connect(store.socket());
             BufferAllocator allocator = new RootAllocator()) {
            ArrowStore arrow = new ArrowStore(client, allocator);
            ObjectId id = ObjectId.forName("large");
            long size = arrow.write(id, SCHEMA, () -> new Batches(allocator), null);
            assertThat(size).as("object size").isGreaterThan(1L << 31);
            assertThat(allocator.getAllocatedMemory()).isZero();

            try (StoredTable t = arrow.read(id, 0)) {
                assertThat(t.batches()).hasSize(BATCHES);
                assertThat(t.rowCount()).isEqualTo((long) BATCHES * ROWS);
                long lowest = Long.MAX_VALUE;
                long highest = 0;
                for (int b = 0; b < BATCHES; b++) {
                    VectorSchemaRoot batch = t.batches().get(b);
                    assertThat(batch.getSchema()).isEqualTo(SCHEMA);
                    assertBatch(b, batch);
                    for (ArrowBuf buf : ArrowChecks.buffers(batch)) {
                        lowest = Math.min(lowest, buf.memoryAddress());
                        highest = Math.max(highest, buf.memoryAddress() + buf.capacity());
                    }
                    ArrowChecks.assertAllBuffersInside(batch, client.arenaAddress(), client.capacity(),
                            "batch " + b);
                }
                assertThat(highest - lowest).as("the buffers span more than 2 GiB of the object")
                        .isGreaterThan(1L << 31);
                assertThat(allocator.getAllocatedMemory()).as("only the wrapped object").isEqualTo(size);
            }
            assertThat(allocator.getAllocatedMemory()).isZero();
            client.delete(id);
        }
    }

    /** Compares every value of batch {@code b} with what the seed gives. */
    private static void assertBatch(int b, VectorSchemaRoot batch) {
        assertThat(batch.getRowCount()).isEqualTo(ROWS);
        BigIntVector ids = (BigIntVector) batch.getVector("id");
        Float8Vector xs = (Float8Vector) batch.getVector("x");
        VarCharVector strings = (VarCharVector) batch.getVector("s");
        ArrowBuf idData = ids.getDataBuffer();
        ArrowBuf xData = xs.getDataBuffer();
        ArrowBuf xValidity = xs.getValidityBuffer();
        ArrowBuf offsets = strings.getOffsetBuffer();
        ArrowBuf chars = strings.getDataBuffer();
        for (int r = 0; r < ROWS; r++) {
            long v = value(b, r);
            if (idData.getLong((long) r * 8) != v) {
                throw new AssertionError("batch " + b + " row " + r + ": id " + idData.getLong((long) r * 8)
                        + ", expected " + v);
            }
            boolean isNull = r % 7 == 3;
            if (BitVectorHelper.get(xValidity, r) == (isNull ? 1 : 0)
                    || !isNull && xData.getLong((long) r * 8) != Double.doubleToRawLongBits(x(v))) {
                throw new AssertionError("batch " + b + " row " + r + ": x " + xs.getObject(r) + ", expected "
                        + (isNull ? null : x(v)));
            }
            int start = offsets.getInt((long) r * 4);
            if (start != r * 8 || offsets.getInt((long) r * 4 + 4) != r * 8 + 8 || chars.getLong(start) != text(v)) {
                throw new AssertionError("batch " + b + " row " + r + ": s " + strings.getObject(r));
            }
        }
    }

    /** The batches, made one at a time (each closed when the next is made, the last when the iteration ends). */
    private static final class Batches implements Iterator<VectorSchemaRoot> {
        private final BufferAllocator allocator;
        private int next;
        private VectorSchemaRoot current;

        Batches(BufferAllocator allocator) {
            this.allocator = allocator;
        }

        @Override
        public boolean hasNext() {
            if (next == BATCHES && current != null) {
                current.close();
                current = null;
            }
            return next < BATCHES;
        }

        @Override
        public VectorSchemaRoot next() {
            if (current != null) {
                current.close();
            }
            current = batch(next++, allocator);
            return current;
        }
    }

    /** Batch {@code b}: written straight into the buffers, which is much faster than value by value. */
    private static VectorSchemaRoot batch(int b, BufferAllocator allocator) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        BigIntVector ids = (BigIntVector) root.getVector("id");
        Float8Vector xs = (Float8Vector) root.getVector("x");
        VarCharVector strings = (VarCharVector) root.getVector("s");
        ids.allocateNew(ROWS);
        xs.allocateNew(ROWS);
        strings.allocateNew(8L * ROWS, ROWS);
        ArrowBuf idData = ids.getDataBuffer();
        ArrowBuf xData = xs.getDataBuffer();
        ArrowBuf xValidity = xs.getValidityBuffer();
        ArrowBuf offsets = strings.getOffsetBuffer();
        ArrowBuf chars = strings.getDataBuffer();
        int validityBytes = (ROWS + 7) / 8;
        ids.getValidityBuffer().setOne(0, validityBytes);
        strings.getValidityBuffer().setOne(0, validityBytes);
        xValidity.setOne(0, validityBytes);
        for (int r = 0; r < ROWS; r++) {
            long v = value(b, r);
            idData.setLong((long) r * 8, v);
            if (r % 7 == 3) {
                BitVectorHelper.unsetBit(xValidity, r);
            } else {
                xData.setLong((long) r * 8, Double.doubleToRawLongBits(x(v)));
            }
            offsets.setInt((long) r * 4 + 4, r * 8 + 8);
            chars.setLong((long) r * 8, text(v));
        }
        strings.setLastSet(ROWS - 1);
        root.setRowCount(ROWS);
        return root;
    }

    /** The id of row {@code r} of batch {@code b} (SplitMix64 of its position). */
    private static long value(int b, int r) {
        long z = SEED + ((long) b << 32 | r) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static double x(long v) {
        return (v >>> 11) * 0x1.0p-53 * 1000 - 500;
    }

    /** Eight characters of [a-z0-5] from the value, as the little-endian long of their bytes. */
    private static long text(long v) {
        long t = 0;
        for (int i = 0; i < 8; i++) {
            int c = (int) (v >>> (i * 5)) & 31;
            t |= (long) (c < 26 ? 'a' + c : '0' + c - 26) << (i * 8);
        }
        return t;
    }
}
