package dev.quiver.arrow;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.ObjectNotFoundException;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowDictionaryBatch;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.table.BaseTable;
import org.apache.arrow.vector.table.Table;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.DictionaryUtility;

/**
 * Arrow data in the store: tables and record batches written straight into store memory as one Arrow IPC stream
 * per object, and read back zero-copy.
 *
 * <pre>{@code
 * ArrowStore arrow = new ArrowStore(client, allocator);
 * arrow.write(id, root);                                   // schema, batch, end-of-stream, sealed
 * try (StoredTable t = arrow.read(id, QuiverClient.WAIT_FOREVER)) {
 *     VectorSchemaRoot batch = t.batches().getFirst();     // vectors over store memory
 * }
 * }</pre>
 *
 * <p>Writing measures the exact size of the stream first (a counting pass that copies nothing), creates the object
 * once, and serializes into it: the column data is copied once, from the vectors into the store. The batches may
 * come from any allocator and are left as they were. Any Arrow implementation can read the object's bytes; its
 * metadata is the media type {@value #STREAM_MEDIA_TYPE}.
 *
 * <p>Reading trusts nothing in the object: bytes that are not a complete, consistent Arrow IPC stream end in an
 * {@link ArrowFormatException}, with the reference released (see {@link StoreArrowReader}), and reading never writes
 * into the object.
 *
 * <p>Thread-safe as the client is. Buffers are accounted to the given allocator (an object read counts with its
 * whole size until its last buffer is released).
 */
public final class ArrowStore {
    /** The metadata of objects that hold an Arrow IPC stream (the IANA media type of the stream format). */
    public static final String STREAM_MEDIA_TYPE = "application/vnd.apache.arrow.stream";

    private static final class DefaultAllocator {
        static final BufferAllocator INSTANCE = new RootAllocator();
    }

    private final QuiverClient client;
    private final BufferAllocator allocator;

    /** Arrow over a client, with buffers accounted to {@code allocator}. */
    public ArrowStore(QuiverClient client, BufferAllocator allocator) {
        this.client = client;
        this.allocator = allocator;
    }

    /** Arrow over a client, with a process-wide root allocator. */
    public ArrowStore(QuiverClient client) {
        this(client, DefaultAllocator.INSTANCE);
    }

    public QuiverClient client() {
        return client;
    }

    public BufferAllocator allocator() {
        return allocator;
    }

    /** Writes the root's current batch as one object; returns the object's size in bytes. */
    public long write(ObjectId id, VectorSchemaRoot root) {
        return write(id, root, null);
    }

    /** Writes the root's current batch, with the dictionaries of its dictionary-encoded columns. */
    public long write(ObjectId id, VectorSchemaRoot root, DictionaryProvider dictionaries) {
        return write(id, root.getSchema(), List.of(root), dictionaries);
    }

    /** Writes an Arrow Table (one batch) without copying it first; the table is left as it was. */
    public long write(ObjectId id, Table table) {
        // A view of the table's own vectors: never closed, since closing a root closes its vectors.
        VectorSchemaRoot view = new VectorSchemaRoot(TableVectors.of(table));
        view.setRowCount((int) table.getRowCount());
        return write(id, table.getSchema(), List.of(view), table.getDictionaryProvider());
    }

    /**
     * Writes a sequence of batches with one schema as one object (an object may exceed 2 GiB: each batch stays
     * within Arrow Java's limits, the object does not have to). The batches are read twice: once to measure,
     * once to write.
     *
     * @param schema       the batches' schema
     * @param batches      the batches, each a root with exactly this schema and its row count set
     * @param dictionaries the dictionaries of dictionary-encoded columns, or null if there are none
     * @return the object's size in bytes
     * @throws IllegalArgumentException if a batch does not fit the schema, a column's length is not the batch's row
     *                                  count, or a dictionary is missing (nothing is created then)
     * @throws ArrowFormatException     if the data is not valid Arrow ({@link ArrowValidation#validateTable}); nothing
     *                                  is created then
     */
    public long write(ObjectId id, Schema schema, Iterable<VectorSchemaRoot> batches, DictionaryProvider dictionaries) {
        return write(id, schema, batches, dictionaries, STREAM_MEDIA_TYPE);
    }

    /** {@link #write(ObjectId, Schema, Iterable, DictionaryProvider)} with other metadata (US-ASCII text). */
    long write(ObjectId id, Schema schema, Iterable<VectorSchemaRoot> batches, DictionaryProvider dictionaries,
               String metadata) {
        checkWritable(schema, batches, dictionaries);
        long size = serialize(schema, batches, dictionaries, SegmentChannel.counting());
        byte[] mediaType = metadata.getBytes(StandardCharsets.US_ASCII);
        try (WritableObject o = client.create(id, size, MemorySegment.ofArray(mediaType))) {
            long written = serialize(schema, batches, dictionaries, SegmentChannel.into(o, size));
            if (written != size) {
                throw new IllegalStateException("the stream measured " + size + " bytes but wrote " + written
                        + ": were the batches changed while being written?");
            }
            o.seal();
        }
        return size;
    }

    /** Refuses what must not be stored: missing dictionaries, invalid batches (nothing invalid is stored). */
    static void checkWritable(Schema schema, Iterable<VectorSchemaRoot> batches, DictionaryProvider dictionaries) {
        Set<Long> missing = missingDictionaries(schema, dictionaries);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("no dictionary with id " + missing + " for the schema's "
                    + "dictionary-encoded columns: pass the DictionaryProvider that holds them");
        }
        ArrowValidation.validateTable(schema, batches, dictionaries);
    }

    /**
     * Reads an object written as an Arrow IPC stream, zero-copy.
     *
     * @param timeoutMillis how long to wait for the object to be sealed ({@link QuiverClient#WAIT_FOREVER}, ...)
     * @throws ObjectNotFoundException if it was not sealed in time
     * @throws ArrowFormatException    if its bytes are not an Arrow IPC stream
     */
    public StoredTable read(ObjectId id, long timeoutMillis) {
        return StoredTable.load(id, reader(id, timeoutMillis), allocator);
    }

    /**
     * A standard Arrow reader over an object, loading one batch at a time zero-copy (the reader's root is reused
     * for each batch, as Arrow readers do). Close it to release the object.
     */
    public StoreArrowReader reader(ObjectId id, long timeoutMillis) {
        ObjectBuffer b = client.get(id, timeoutMillis).orElseThrow(() -> new ObjectNotFoundException(
                "object " + id + " is not in the store" + (timeoutMillis == 0 ? "" : " after waiting "
                        + timeoutMillis + " ms")));
        return StoreArrowReader.open(b, allocator);
    }

    /**
     * Serializes schema, dictionaries, batches and end-of-stream into the channel; returns the bytes written. The
     * messages are written from each batch's own buffers, as Arrow's {@code ArrowStreamWriter} lays them out: nothing
     * is loaded into another root, so the batches may come from any allocator and are left as they are. The
     * dictionaries follow the schema, before any batch (also when there is none).
     */
    static long serialize(Schema schema, Iterable<VectorSchemaRoot> batches, DictionaryProvider dictionaries,
                          SegmentChannel out) {
        return serialize(schema, batches, dictionaries, out, true, true);
    }

    /**
     * As {@link #serialize(Schema, Iterable, DictionaryProvider, SegmentChannel)}, leaving out the schema message or
     * the dictionaries if asked: a stream log writes the schema once per segment, and each batch with its
     * dictionaries.
     */
    static long serialize(Schema schema, Iterable<VectorSchemaRoot> batches, DictionaryProvider dictionaries,
                          SegmentChannel out, boolean withSchema, boolean withDictionaries) {
        IpcOption option = IpcOption.DEFAULT;
        DictionaryProvider provider = dictionaries == null ? new DictionaryProvider.MapDictionaryProvider()
                : dictionaries;
        WriteChannel channel = new WriteChannel(out);
        try {
            Set<Long> dictionaryIds = new LinkedHashSet<>();
            List<Field> fields = new ArrayList<>(schema.getFields().size());
            for (Field f : schema.getFields()) {
                fields.add(DictionaryUtility.toMessageFormat(f, provider, dictionaryIds));
            }
            if (withSchema) {
                MessageSerializer.serialize(channel, new Schema(fields, schema.getCustomMetadata()), option);
            }
            for (long id : withDictionaries ? dictionaryIds : Set.<Long>of()) {
                Dictionary dictionary = provider.lookup(id);
                if (dictionary == null) {
                    throw new IllegalArgumentException("no dictionary " + id + " for a dictionary-encoded column: "
                            + "pass the DictionaryProvider that holds it");
                }
                FieldVector values = dictionary.getVector();
                // a root around the vector only to unload it: not closed, it does not own the vector
                VectorSchemaRoot view = new VectorSchemaRoot(List.of(values.getField()), List.of(values),
                        values.getValueCount());
                try (ArrowDictionaryBatch batch = new ArrowDictionaryBatch(id, unload(view), false)) {
                    MessageSerializer.serialize(channel, batch, option);
                }
            }
            int index = 0;
            for (VectorSchemaRoot batch : batches) {
                // the fields, not the schema: the stream's schema-level metadata is written once, with the schema
                if (!batch.getSchema().getFields().equals(schema.getFields())) {
                    throw new IllegalArgumentException("batch " + index + "'s fields differ from the stream's: "
                            + batch.getSchema().getFields() + " vs " + schema.getFields());
                }
                for (FieldVector v : batch.getFieldVectors()) {
                    if (v.getValueCount() != batch.getRowCount()) {
                        throw new IllegalArgumentException("batch " + index + " has " + batch.getRowCount()
                                + " rows but its column " + v.getName() + " has " + v.getValueCount()
                                + " values: set the row count (VectorSchemaRoot.setRowCount)");
                    }
                }
                try (ArrowRecordBatch records = unload(batch)) {
                    MessageSerializer.serialize(channel, records, option);
                }
                index++;
            }
            ArrowStreamWriter.writeEndOfStream(channel, option);
            return channel.getCurrentPosition();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The batch's buffers as a record batch, as Arrow's stream writer makes it (uncompressed, aligned to 8). */
    private static ArrowRecordBatch unload(VectorSchemaRoot root) {
        return new VectorUnloader(root, true, NoCompressionCodec.INSTANCE, true).getRecordBatch();
    }

    /** The ids of the schema's dictionary encodings that {@code dictionaries} does not hold. */
    private static Set<Long> missingDictionaries(Schema schema, DictionaryProvider dictionaries) {
        Set<Long> missing = new TreeSet<>();
        for (Field f : schema.getFields()) {
            collectMissing(f, dictionaries, missing);
        }
        return missing;
    }

    private static void collectMissing(Field f, DictionaryProvider dictionaries, Set<Long> missing) {
        DictionaryEncoding encoding = f.getDictionary();
        if (encoding != null && (dictionaries == null || dictionaries.lookup(encoding.getId()) == null)) {
            missing.add(encoding.getId());
        }
        for (Field child : f.getChildren()) {
            collectMissing(child, dictionaries, missing);
        }
    }

    /** The vectors of an Arrow Table, which Arrow Java does not expose without copying them. */
    static final class TableVectors {
        private static final java.lang.reflect.Field FIELD_VECTORS;

        static {
            try {
                FIELD_VECTORS = BaseTable.class.getDeclaredField("fieldVectors");
                FIELD_VECTORS.setAccessible(true);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unchecked")
        static List<FieldVector> of(Table table) {
            try {
                return List.copyOf((List<FieldVector>) FIELD_VECTORS.get(table));
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
