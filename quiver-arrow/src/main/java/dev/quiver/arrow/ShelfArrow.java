package dev.quiver.arrow;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.table.Table;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/** The Arrow work of the shelf: serializing batches into an object, copying tables out, reading a schema. */
final class ShelfArrow {
    private ShelfArrow() {}

    /** What {@link #serialize} wrote. */
    record Written(long bytes, long rows) {}

    /**
     * Serializes the table as one Arrow IPC stream into the channel, as {@link ArrowStore} does; returns the bytes and
     * rows written. With {@link SegmentChannel#counting()} this measures the object before it is created.
     */
    static Written serialize(Schema schema, Iterable<VectorSchemaRoot> batches, DictionaryProvider dictionaries,
                             SegmentChannel out) {
        long bytes = ArrowStore.serialize(schema, batches, dictionaries, out);
        long rows = 0;
        for (VectorSchemaRoot batch : batches) {
            rows += batch.getRowCount();
        }
        return new Written(bytes, rows);
    }

    /**
     * A copy of a stored table in {@code allocator}, independent of the store: all batches concatenated into one
     * Arrow {@link Table}, dictionaries copied too.
     */
    static Table copy(StoredTable stored, BufferAllocator allocator) {
        long rows = stored.rowCount();
        if (rows > Integer.MAX_VALUE) {
            throw new IllegalStateException("table " + stored.id() + " has " + rows + " rows; an Arrow Table holds at "
                    + "most " + Integer.MAX_VALUE + ": read it batch by batch with getArrow");
        }
        List<VectorSchemaRoot> batches = stored.batches();
        VectorSchemaRoot target;
        if (batches.size() == 1) {
            target = copy(batches.getFirst(), allocator);
        } else {
            target = copy(batches.getFirst(), allocator);
            try {
                VectorSchemaRootAppender.append(false, target,
                        batches.subList(1, batches.size()).toArray(VectorSchemaRoot[]::new));
            } catch (RuntimeException e) {
                target.close();
                throw e;
            }
        }
        DictionaryProvider.MapDictionaryProvider dictionaries = copyDictionaries(stored.dictionaries(), allocator);
        if (dictionaries == null) {
            return new Table(target.getFieldVectors(), target.getRowCount());
        }
        return new OwnedTable(target.getFieldVectors(), target.getRowCount(), dictionaries);
    }

    /** A copy of one batch, every buffer copied into {@code allocator}. */
    static VectorSchemaRoot copy(VectorSchemaRoot source, BufferAllocator allocator) {
        VectorSchemaRoot target = VectorSchemaRoot.create(source.getSchema(), allocator);
        List<ArrowBuf> copies = new ArrayList<>();
        try (ArrowRecordBatch rb = new VectorUnloader(source).getRecordBatch()) {
            for (ArrowBuf b : rb.getBuffers()) {
                long n = b.readableBytes();
                ArrowBuf c = allocator.buffer(n);
                c.setBytes(0, b, b.readerIndex(), n);
                c.writerIndex(n);
                copies.add(c);
            }
            try (ArrowRecordBatch copied = new ArrowRecordBatch(rb.getLength(), rb.getNodes(), copies,
                    rb.getBodyCompression(), rb.getVariadicBufferCounts(), true)) {
                new VectorLoader(target).load(copied);
            }
            return target;
        } catch (RuntimeException e) {
            target.close();
            throw e;
        } finally {
            copies.forEach(ArrowBuf::close); // the loaded vectors hold their own references
        }
    }

    private static DictionaryProvider.MapDictionaryProvider copyDictionaries(DictionaryProvider source,
                                                                             BufferAllocator allocator) {
        if (source == null || source.getDictionaryIds().isEmpty()) {
            return null;
        }
        DictionaryProvider.MapDictionaryProvider copies = new DictionaryProvider.MapDictionaryProvider();
        try {
            for (long id : source.getDictionaryIds()) {
                Dictionary d = source.lookup(id);
                FieldVector v = d.getVector();
                // A root around the vector only to unload it; not closed, as it does not own the vector.
                VectorSchemaRoot view = new VectorSchemaRoot(List.of(v.getField()), List.of(v), v.getValueCount());
                VectorSchemaRoot copied = copy(view, allocator);
                copies.put(new Dictionary(copied.getVector(0), d.getEncoding()));
            }
            return copies;
        } catch (RuntimeException e) {
            copies.close();
            throw e;
        }
    }

    /** A table that also owns its dictionaries: closing it frees them too (Arrow's Table leaves them open). */
    private static final class OwnedTable extends Table {
        private final DictionaryProvider.MapDictionaryProvider dictionaries;

        OwnedTable(List<FieldVector> vectors, int rows, DictionaryProvider.MapDictionaryProvider dictionaries) {
            super(vectors, rows, dictionaries);
            this.dictionaries = dictionaries;
        }

        @Override
        public void close() {
            try {
                AutoCloseables.close(super::close, dictionaries);
            } catch (Exception e) {
                throw new IllegalStateException("closing a table copied from the shelf", e);
            }
        }
    }

    /**
     * A root over a table's own vectors (Arrow's Table does not expose them without copying). The caller must not
     * close it: that would close the table's vectors.
     */
    static VectorSchemaRoot view(Table table) {
        return new VectorSchemaRoot(table.getSchema().getFields(), ArrowStore.TableVectors.of(table),
                (int) table.getRowCount());
    }

    /** The schema at the start of an Arrow IPC stream held in a segment (only its first message is read). */
    static Schema readSchema(MemorySegment stream) {
        try {
            IpcMessages.Entry first = new IpcMessages(stream, "the object").next();
            if (first == null || first.type() != MessageHeader.Schema) {
                throw new ArrowFormatException(first == null ? "it holds no message"
                        : "it starts with a " + first.typeName() + " message");
            }
            return MessageSerializer.deserializeSchema(first.message());
        } catch (RuntimeException e) {
            throw new ArrowFormatException("a shelf object does not start with an Arrow schema: " + e.getMessage(), e);
        }
    }
}
