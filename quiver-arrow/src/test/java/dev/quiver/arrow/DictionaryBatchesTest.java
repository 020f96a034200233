package dev.quiver.arrow;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.message.ArrowDictionaryBatch;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Streams whose dictionaries change between record batches, as other Arrow writers may produce them (Quiver's writer
 * sends each dictionary once): a replacement makes the batches before it mean other values, so a StoredTable, which
 * keeps every batch with one set of dictionaries, refuses it, while the reader reads it batch by batch; a delta only
 * adds values, read into memory of the reader's allocator (appending in place would write into the store).
 */
class DictionaryBatchesTest {
    private static final long DICTIONARY = 3;

    @RegisterExtension
    final RunningStore store = new RunningStore(16L << 20);
    QuiverClient client;
    BufferAllocator allocator;
    ArrowStore arrow;

    @BeforeEach
    void start() throws Exception {
        client = store.client();
        allocator = new RootAllocator();
        arrow = new ArrowStore(client, allocator);
    }

    @AfterEach
    void stop() {
        assertThat(allocator.getAllocatedMemory()).as("bytes left in the allocator").isZero();
        allocator.close();
    }

    @Test
    void aReplacedDictionaryIsReadBatchByBatchButNotAsOneTable() throws Exception {
        byte[] stream = write((writer, values, indices) -> {
            fill(values, "a", "b");
            fill(indices, 0, 1, 1);
            writer.send();
            fill(values, "x", "y", "z"); // changed: the writer sends the new dictionary before the next batch
            fill(indices, 2, 0);
            writer.send();
        });
        ObjectId id = put(stream);
        assertThatThrownBy(() -> arrow.read(id, 0)).isInstanceOf(ArrowFormatException.class)
                .hasMessageContaining("replaces a dictionary").hasMessageContaining("ArrowStore.reader");
        assertThat(refCount(id)).isZero();

        try (StoreArrowReader reader = arrow.reader(id, 0)) {
            assertThat(reader.loadNextBatch()).isTrue();
            assertThat(decoded(reader)).containsExactly("a", "b", "b");
            assertThat(reader.loadNextBatch()).isTrue();
            assertThat(decoded(reader)).containsExactly("z", "x");
            assertThat(reader.loadNextBatch()).isFalse();
        }
        assertThat(refCount(id)).isZero();
        assertUnchanged(id, stream);
    }

    @Test
    void aDeltaExtendsTheDictionaryWithoutWritingIntoTheStore() throws Exception {
        byte[] stream = write((writer, values, indices) -> {
            fill(values, "a", "b");
            fill(indices, 0, 1);
            writer.send();
            try (VarCharVector delta = new VarCharVector("delta", allocator)) {
                fill(delta, "c", "d");
                writer.writeDelta(delta);
            }
            // the provider's dictionary stays [a, b], as the writer last sent it: no replacement follows
            fill(indices, 3, 0, 2);
            writer.send();
        });
        ObjectId id = put(stream);
        try (StoredTable t = arrow.read(id, 0)) {
            assertThat(t.batches()).hasSize(2);
            assertThat(decoded(t.batches().get(0), t.dictionaries())).containsExactly("a", "b");
            assertThat(decoded(t.batches().get(1), t.dictionaries())).containsExactly("d", "a", "c");
        }
        try (StoreArrowReader reader = arrow.reader(id, 0)) {
            assertThat(reader.loadNextBatch()).isTrue();
            assertThat(decoded(reader)).containsExactly("a", "b");
            assertThat(reader.loadNextBatch()).isTrue();
            assertThat(decoded(reader)).containsExactly("d", "a", "c");
        }
        assertThat(refCount(id)).isZero();
        assertUnchanged(id, stream);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private interface Script {
        void run(DeltaWriter writer, VarCharVector values, IntVector indices) throws IOException;
    }

    /** An Arrow stream writer that can also send a delta dictionary batch (ArrowWriter keeps that protected). */
    private static final class DeltaWriter extends ArrowStreamWriter {
        private final VectorSchemaRoot root;

        DeltaWriter(VectorSchemaRoot root, DictionaryProvider provider, ByteArrayOutputStream out) {
            super(root, provider, out);
            this.root = root;
        }

        /** Writes the root's column as a batch (and first any dictionary that changed). */
        void send() throws IOException {
            root.setRowCount(root.getVector(0).getValueCount());
            writeBatch();
        }

        void writeDelta(FieldVector values) throws IOException {
            VectorSchemaRoot r = new VectorSchemaRoot(List.of(values.getField()), List.of(values),
                    values.getValueCount());
            ArrowRecordBatch batch = new VectorUnloader(r).getRecordBatch();
            try (ArrowDictionaryBatch delta = new ArrowDictionaryBatch(DICTIONARY, batch, true)) {
                writeDictionaryBatch(delta);
            }
        }
    }

    /** A stream of one dictionary-encoded utf8 column, written by the script. */
    private byte[] write(Script script) throws IOException {
        ArrowType.Int index = new ArrowType.Int(32, true);
        DictionaryEncoding encoding = new DictionaryEncoding(DICTIONARY, false, index);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (VarCharVector values = new VarCharVector("values", allocator);
             IntVector indices = new IntVector("c", new FieldType(true, index, encoding), allocator)) {
            DictionaryProvider.MapDictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider();
            provider.put(new Dictionary(values, encoding));
            VectorSchemaRoot root = new VectorSchemaRoot(List.of(indices.getField()), List.<FieldVector>of(indices), 0);
            try (DeltaWriter writer = new DeltaWriter(root, provider, out)) {
                writer.start();
                script.run(writer, values, indices);
                writer.end();
            }
        }
        return out.toByteArray();
    }

    private static void fill(VarCharVector v, String... values) {
        v.reset();
        v.allocateNew();
        for (int i = 0; i < values.length; i++) {
            v.setSafe(i, values[i].getBytes(StandardCharsets.UTF_8));
        }
        v.setValueCount(values.length);
    }

    private static void fill(IntVector v, int... values) {
        v.allocateNew(values.length);
        for (int i = 0; i < values.length; i++) {
            v.set(i, values[i]);
        }
        v.setValueCount(values.length);
    }

    private static List<String> decoded(StoreArrowReader reader) throws IOException {
        return decoded(reader.getVectorSchemaRoot(), reader);
    }

    private static List<String> decoded(VectorSchemaRoot batch, DictionaryProvider dictionaries) {
        IntVector indices = (IntVector) batch.getVector(0);
        VarCharVector values = (VarCharVector) dictionaries.lookup(DICTIONARY).getVector();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < indices.getValueCount(); i++) {
            out.add(new String(values.get(indices.get(i)), StandardCharsets.UTF_8));
        }
        return out;
    }

    private ObjectId put(byte[] stream) {
        ObjectId id = ObjectId.random();
        client.createAndSeal(id, MemorySegment.ofArray(stream),
                MemorySegment.ofArray(ArrowStore.STREAM_MEDIA_TYPE.getBytes(StandardCharsets.US_ASCII)));
        return id;
    }

    private int refCount(ObjectId id) {
        return client.list().stream().filter(i -> i.id().equals(id)).findFirst().orElseThrow().refCount();
    }

    private void assertUnchanged(ObjectId id, byte[] stream) {
        try (ObjectBuffer b = client.get(id, 0).orElseThrow()) {
            assertThat(b.data().toArray(JAVA_BYTE)).as("the object's bytes after reading it").isEqualTo(stream);
        }
    }
}
