package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** The shelf reads a stored table's schema from its first message alone, and refuses bytes that do not start so. */
class ShelfArrowSchemaTest {
    private static final Schema SCHEMA = new Schema(List.of(
            new Field("n", FieldType.nullable(new ArrowType.Int(32, true)), null),
            new Field("s", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));

    @Test
    void readsTheSchemaOfAStreamEvenWhenItsBatchesAreCutOff() throws Exception {
        byte[] stream = stream();
        assertThat(ShelfArrow.readSchema(MemorySegment.ofArray(stream))).isEqualTo(SCHEMA);
        byte[] schemaOnly = Arrays.copyOf(stream, stream.length - 8); // without the end-of-stream marker
        assertThat(ShelfArrow.readSchema(MemorySegment.ofArray(schemaOnly))).isEqualTo(SCHEMA);
    }

    @Test
    void refusesBytesThatDoNotStartWithASchema() throws Exception {
        byte[] stream = stream();
        for (byte[] bad : List.of(new byte[0], new byte[] {1, 2, 3}, new byte[] {-1, -1, -1, -1, 0, 0, 0, 0},
                Arrays.copyOf(stream, 12))) {
            assertThatThrownBy(() -> ShelfArrow.readSchema(MemorySegment.ofArray(bad)))
                    .as("%d bytes", bad.length)
                    .isInstanceOf(ArrowFormatException.class)
                    .hasMessageStartingWith("a shelf object does not start with an Arrow schema: ");
        }
    }

    /** An IPC stream of the schema alone (no batch), ending with the end-of-stream marker. */
    private static byte[] stream() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RootAllocator allocator = new RootAllocator();
             VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
             ArrowStreamWriter w = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
            w.start();
            w.end();
        }
        return out.toByteArray();
    }
}
