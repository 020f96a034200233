package dev.quiver.flight;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Small tables for the Flight tests: an id column and a text column derived from it. */
final class Tables {
    static final Schema SCHEMA = new Schema(List.of(
            Field.nullable("id", new ArrowType.Int(64, true)),
            Field.nullable("name", ArrowType.Utf8.INSTANCE)));
    static final Schema OTHER = new Schema(List.of(Field.nullable("x", new ArrowType.Int(32, true))));

    private Tables() {}

    /** {@code rows} rows starting at id {@code first}; every 7th name is null. */
    static VectorSchemaRoot batch(BufferAllocator allocator, long first, int rows) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        fill(root, first, rows);
        return root;
    }

    static void fill(VectorSchemaRoot root, long first, int rows) {
        BigIntVector id = (BigIntVector) root.getVector("id");
        VarCharVector name = (VarCharVector) root.getVector("name");
        id.allocateNew(rows);
        name.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
            long v = first + i;
            id.set(i, v);
            if (v % 7 == 0) {
                name.setNull(i);
            } else {
                name.setSafe(i, ("row-" + v).getBytes(StandardCharsets.UTF_8));
            }
        }
        root.setRowCount(rows);
    }

    /** The first id of a batch made by {@link #batch}. */
    static long firstId(VectorSchemaRoot root) {
        return ((BigIntVector) root.getVector("id")).get(0);
    }
}
