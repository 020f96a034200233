package dev.quiver.arrow;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.ObjectNotFoundException;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.table.BaseTable;
import org.apache.arrow.vector.table.Table;
import org.apache.arrow.vector.types.pojo.Schema;

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
 * once, and serializes into it: the column data is copied once, from the vectors into the store. Any Arrow
 * implementation can read the object's bytes; its metadata is the media type {@value #STREAM_MEDIA_TYPE}.
 *
 * <p>Thread-safe as the client is. Buffers are accounted to the given allocator.
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

    /** Writes an Arrow Table (one batch) without copying it first. */
    public long write(ObjectId id, Table table) {
        try (VectorSchemaRoot view = new VectorSchemaRoot(TableVectors.of(table))) {
            view.setRowCount((int) table.getRowCount());
            return write(id, table.getSchema(), List.of(view), table.getDictionaryProvider());
        }
    }

    /**
     * Writes a sequence of batches with one schema as one object (an object may exceed 2 GiB: each batch stays
     * within Arrow Java's limits, the object does not have to). The batches are read twice: once to measure,
     * once to write.
     *
     * @param schema       the batches' schema
     * @param batches      the batches, each a root with exactly this schema
     * @param dictionaries the dictionaries of dictionary-encoded columns, or null if there are none
     * @return the object's size in bytes
     */
    public long write(ObjectId id, Schema schema, Iterable<VectorSchemaRoot> batches, DictionaryProvider dictionaries) {
        long size = serialize(schema, batches, dictionaries, SegmentChannel.counting());
        byte[] mediaType = STREAM_MEDIA_TYPE.getBytes(StandardCharsets.US_ASCII);
        try (WritableObject o = client.create(id, size, MemorySegment.ofArray(mediaType))) {
            long written = serialize(schema, batches, dictionaries, SegmentChannel.into(o.data()));
            if (written != size) {
                throw new IllegalStateException("the stream measured " + size + " bytes but wrote " + written
                        + ": were the batches changed while being written?");
            }
            o.seal();
        }
        return size;
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

    /** Serializes schema, dictionaries, batches and end-of-stream into the channel; returns the bytes written. */
    private long serialize(Schema schema, Iterable<VectorSchemaRoot> batches, DictionaryProvider dictionaries,
                           SegmentChannel out) {
        // One carrier root receives each batch's buffers (moved, not copied) so that Arrow's own stream writer,
        // which writes one root, writes them all: the bytes are exactly what ArrowStreamWriter produces.
        try (VectorSchemaRoot carrier = VectorSchemaRoot.create(schema, allocator);
             ArrowStreamWriter writer = new ArrowStreamWriter(carrier,
                     dictionaries == null ? new DictionaryProvider.MapDictionaryProvider() : dictionaries, out)) {
            writer.start();
            VectorLoader loader = new VectorLoader(carrier);
            for (VectorSchemaRoot batch : batches) {
                if (!batch.getSchema().equals(schema)) {
                    throw new IllegalArgumentException("a batch's schema differs from the stream's: "
                            + batch.getSchema() + " vs " + schema);
                }
                try (ArrowRecordBatch rb = new VectorUnloader(batch).getRecordBatch()) {
                    loader.load(rb);
                }
                writer.writeBatch();
            }
            writer.end();
            return out.position();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The vectors of an Arrow Table, which Arrow Java does not expose without copying them. */
    private static final class TableVectors {
        private static final Field FIELD_VECTORS;

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
