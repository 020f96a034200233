package dev.quiver.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.types.pojo.Schema;

/** Tables the tests write and check: contents are functions of their arguments. */
final class TestTables {
    static final long T0 = 1_714_564_800_000_000L; // 2024-05-01T12:00:00Z in microseconds

    private TestTables() {}

    /** Seed-schema batch {@code n} of {@code rows} rows: deterministic, compressible, with two devices. */
    static VectorSchemaRoot metrics(int n, int rows, BufferAllocator allocator) {
        List<SeedMetrics.Sample> samples = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            long k = (long) n * rows + i;
            float cpu = (k * 37) % 1000 / 10f;
            float mem = 30 + (k % 50);
            samples.add(new SeedMetrics.Sample(k % 3 == 0 ? "edge-1" : "localhost", T0 + k * 100_000, cpu, 100 - cpu,
                    mem, 100 - mem, (int) (k * 100)));
        }
        return SeedMetrics.batch(samples, allocator);
    }

    /** A batch with nulls, a list column, long strings and schema metadata. */
    static VectorSchemaRoot rich(int rows, BufferAllocator allocator) {
        BigIntVector id = new BigIntVector("id", allocator);
        VarCharVector text = new VarCharVector("text", allocator);
        ListVector list = ListVector.empty("values", allocator);
        id.allocateNew(rows);
        text.allocateNew();
        UnionListWriter w = list.getWriter();
        for (int i = 0; i < rows; i++) {
            if (i % 7 == 3) {
                id.setNull(i);
                text.setNull(i);
            } else {
                id.set(i, i * 1_000_003L);
                text.setSafe(i, ("row " + i + " ").repeat(1 + i % 5).getBytes(StandardCharsets.UTF_8));
            }
            w.setPosition(i);
            w.startList();
            for (int j = 0; j < i % 4; j++) {
                w.writeBigInt(i + j);
            }
            w.endList();
        }
        id.setValueCount(rows);
        text.setValueCount(rows);
        list.setValueCount(rows);
        VectorSchemaRoot plain = VectorSchemaRoot.of(id, text, list);
        Schema withMeta = new Schema(plain.getSchema().getFields(), Map.of("origin", "quiver-test", "rows", "" + rows));
        return new VectorSchemaRoot(withMeta, plain.getFieldVectors(), rows);
    }
}
