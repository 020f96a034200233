package dev.quiver.arrow;

import dev.quiver.protocol.ObjectId;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.table.Table;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;

/**
 * A table read from the store zero-copy: every record batch of the object as a {@link VectorSchemaRoot} whose
 * buffers lie in the store's memory, plus the dictionaries of dictionary-encoded columns.
 *
 * <p>It holds the store reference until closed: closing it (and any {@link Table} taken from it) releases the
 * reference exactly once. It stays valid until then, whatever happens to the client that read it.
 */
public final class StoredTable implements AutoCloseable {
    private final ObjectId id;
    private final StoreArrowReader reader;
    private final List<VectorSchemaRoot> batches;
    private Table table;

    private StoredTable(ObjectId id, StoreArrowReader reader, List<VectorSchemaRoot> batches) {
        this.id = id;
        this.reader = reader;
        this.batches = batches;
    }

    /** Loads every batch of the reader, moving its buffers (not copying them) into roots of their own. */
    static StoredTable load(ObjectId id, StoreArrowReader reader, BufferAllocator allocator) {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        try {
            while (reader.loadNextBatch()) {
                VectorSchemaRoot loaded = reader.getVectorSchemaRoot();
                List<FieldVector> moved = new ArrayList<>(loaded.getFieldVectors().size());
                for (FieldVector v : loaded.getFieldVectors()) {
                    TransferPair transfer = v.getTransferPair(allocator);
                    transfer.transfer();
                    moved.add((FieldVector) transfer.getTo());
                }
                batches.add(new VectorSchemaRoot(loaded.getSchema().getFields(), moved, loaded.getRowCount()));
            }
            if (batches.isEmpty()) { // a stream with a schema and no batch is a valid, empty table
                batches.add(VectorSchemaRoot.create(reader.getVectorSchemaRoot().getSchema(), allocator));
            }
            return new StoredTable(id, reader, List.copyOf(batches));
        } catch (Exception e) {
            batches.forEach(VectorSchemaRoot::close);
            closeQuietly(reader);
            throw e instanceof RuntimeException r ? r : new ArrowFormatException("cannot read object " + id, e);
        }
    }

    /** The object this table was read from. */
    public ObjectId id() {
        return id;
    }

    /** The schema (dictionary-encoded columns hold indices; see {@link #dictionaries()}). */
    public Schema schema() {
        return batches.getFirst().getSchema();
    }

    /** The record batches, in order, each over store memory. Do not close them: close the table. */
    public List<VectorSchemaRoot> batches() {
        return batches;
    }

    /** Rows in all batches. */
    public long rowCount() {
        long n = 0;
        for (VectorSchemaRoot b : batches) {
            n += b.getRowCount();
        }
        return n;
    }

    /** The dictionaries of dictionary-encoded columns. */
    public DictionaryProvider dictionaries() {
        return reader;
    }

    /**
     * The single batch as an Arrow {@link Table}, still over store memory (its vectors are moved, not copied, so
     * {@link #batches()} is empty afterwards). Closed with this object.
     *
     * @throws IllegalStateException if the object holds more than one batch (Arrow's Table is one batch)
     */
    public synchronized Table toTable() {
        if (table == null) {
            if (batches.size() != 1) {
                throw new IllegalStateException("object " + id + " holds " + batches.size() + " record batches; an "
                        + "Arrow Table holds one: use batches()");
            }
            VectorSchemaRoot root = batches.getFirst();
            table = new Table(root.getFieldVectors(), root.getRowCount(), reader);
        }
        return table;
    }

    /** Closes every batch and dictionary; the store reference goes when the last buffer over it is released. */
    @Override
    public synchronized void close() {
        List<AutoCloseable> all = new ArrayList<>(batches);
        if (table != null) {
            all.add(table);
        }
        all.add(reader);
        try {
            AutoCloseables.close(all);
        } catch (Exception e) {
            throw new IllegalStateException("closing table of object " + id, e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing
        }
    }
}
