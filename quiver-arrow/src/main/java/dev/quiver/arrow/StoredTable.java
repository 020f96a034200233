package dev.quiver.arrow;

import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.table.Table;
import org.apache.arrow.vector.types.Types;
import org.apache.arrow.vector.types.UnionMode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

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
    /** True if the only batch is the reader's own root, which closing the reader closes. */
    private final boolean readerRoot;
    private Table table;

    private StoredTable(ObjectId id, StoreArrowReader reader, List<VectorSchemaRoot> batches, boolean readerRoot) {
        this.id = id;
        this.reader = reader;
        this.batches = batches;
        this.readerRoot = readerRoot;
    }

    /**
     * Loads the one record batch the reader holds (a stream log's BATCH frame) into the reader's own root, which the
     * table keeps: no second root, as {@link #load} needs for objects of several batches. What follows the batch is
     * not read (a frame holds one).
     *
     * @throws ArrowFormatException if the reader holds no record batch
     */
    static StoredTable loadOne(ObjectId id, StoreArrowReader reader, String what) {
        try {
            if (!reader.loadNextBatch()) {
                throw new ArrowFormatException(what + " holds no record batch");
            }
            return new StoredTable(id, reader, List.of(reader.getVectorSchemaRoot()), true);
        } catch (IOException | RuntimeException e) {
            closeQuietly(reader);
            throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
        }
    }

    /**
     * Loads every batch of the reader into a root of its own, over the same buffers (nothing is copied): the reader
     * reuses its root for the next batch.
     */
    static StoredTable load(ObjectId id, StoreArrowReader reader, BufferAllocator allocator) {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        try {
            while (reader.loadNextBatch()) {
                if (reader.dictionaryChangedAfterBatch()) {
                    throw new ArrowFormatException("object " + id + " replaces a dictionary after a record batch: "
                            + "a StoredTable keeps every batch with one set of dictionaries; read it batch by batch "
                            + "with ArrowStore.reader");
                }
                batches.add(share(reader.getVectorSchemaRoot(), allocator));
            }
            if (reader.dictionaryChangedAfterBatch()) { // a replacement after the last batch
                throw new ArrowFormatException("object " + id + " replaces a dictionary after its last record batch"
                        + ": read it batch by batch with ArrowStore.reader");
            }
            if (batches.isEmpty()) { // a stream with a schema and no batch is a valid, empty table
                batches.add(VectorSchemaRoot.create(reader.getVectorSchemaRoot().getSchema(), allocator));
            }
            return new StoredTable(id, reader, List.copyOf(batches), false);
        } catch (IOException | RuntimeException e) {
            batches.forEach(VectorSchemaRoot::close);
            closeQuietly(reader);
            // never an IOException in fact: there is no I/O
            throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
        }
    }

    /**
     * A root of its own over the buffers of {@code loaded}: unloaded and loaded again, which retains the buffers.
     * (Not a TransferPair: Arrow Java 19's dense union transfer loses the children of type ids other than 0..n-1.)
     */
    private static VectorSchemaRoot share(VectorSchemaRoot loaded, BufferAllocator allocator) {
        VectorSchemaRoot own = VectorSchemaRoot.create(loaded.getSchema(), allocator);
        try (ArrowRecordBatch buffers = new VectorUnloader(loaded).getRecordBatch()) {
            new VectorLoader(own).load(buffers);
            return own;
        } catch (RuntimeException e) {
            own.close();
            throw e;
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
     * The single batch as an Arrow {@link Table}, still over store memory. Arrow's Table takes its vectors over, so
     * the vectors of {@link #batches()}{@code .getFirst()} are empty afterwards. Closed with this object; the same
     * table on every call.
     *
     * @throws IllegalStateException         if the object holds more than one batch (Arrow's Table is one batch)
     * @throws UnsupportedOperationException if a column holds a union that Arrow Java 19's Table would break: a
     *                                       Table takes vectors over with TransferPairs, which lose the children of
     *                                       dense unions whose type ids are not 0, 1, 2..., and of sparse unions whose
     *                                       children are not named and numbered as Arrow Java names and numbers them
     *                                       (its lower-case minor type name, its ordinal); use {@link #batches()}
     */
    public synchronized Table toTable() {
        if (table == null) {
            if (batches.size() != 1) {
                throw new IllegalStateException("object " + id + " holds " + batches.size() + " record batches; an "
                        + "Arrow Table holds one: use batches()");
            }
            VectorSchemaRoot root = batches.getFirst();
            for (Field f : root.getSchema().getFields()) {
                Field union = unionATableWouldBreak(f);
                if (union != null) {
                    throw new UnsupportedOperationException("object " + id + ": column " + f.getName() + " holds "
                            + "the " + (((ArrowType.Union) union.getType()).getMode() == UnionMode.Dense ? "dense"
                            : "sparse") + " union " + union + ", whose children Arrow Java's Table would lose (its "
                            + "union transfer keeps only type ids 0, 1, 2... of dense unions, and sparse unions "
                            + "named and numbered as Arrow Java does): use batches()");
                }
            }
            table = new Table(root.getFieldVectors(), root.getRowCount(), reader);
        }
        return table;
    }

    /** The first union in the field (itself or nested) that Arrow Java's vector transfer breaks, or null. */
    private static Field unionATableWouldBreak(Field f) {
        if (f.getType() instanceof ArrowType.Union u) {
            int[] ids = u.getTypeIds();
            List<Field> children = f.getChildren();
            for (int i = 0; i < children.size(); i++) {
                if (u.getMode() == UnionMode.Dense) {
                    if (ids != null && ids[i] != i) {
                        return f;
                    }
                } else {
                    Types.MinorType minor = Types.getMinorTypeForArrowType(children.get(i).getType());
                    if (ids != null && ids[i] != minor.ordinal()
                            || !children.get(i).getName().equals(minor.name().toLowerCase(Locale.ROOT))) {
                        return f;
                    }
                }
            }
        }
        for (Field child : f.getChildren()) {
            Field found = unionATableWouldBreak(child);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing
        }
    }

    /** Closes every batch and dictionary; the store reference goes when the last buffer over it is released. */
    @Override
    public synchronized void close() {
        List<AutoCloseable> all = new ArrayList<>(readerRoot ? List.of() : batches);
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

}
