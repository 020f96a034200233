package dev.quiver.kafka;

import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A standard {@link ArrowReader} over batches already in memory (for example a table read zero-copy from the store),
 * for consumers that take readers: Arrow's C data interface, DuckDB. Each batch's buffers are shared with the reader's
 * root, not copied. The batches stay the caller's: close them after the reader.
 */
public final class RootsReader extends ArrowReader {
    private final Schema schema;
    private final Iterator<VectorSchemaRoot> batches;

    /**
     * A reader of {@code batches}, which all have {@code schema} (without dictionary-encoded columns).
     *
     * @param allocator the allocator of the reader's own root
     */
    public RootsReader(BufferAllocator allocator, Schema schema, List<VectorSchemaRoot> batches) {
        super(allocator);
        if (schema.getFields().stream().anyMatch(f -> f.getDictionary() != null)) {
            throw new IllegalArgumentException("dictionary-encoded columns are not supported here: " + schema);
        }
        this.schema = schema;
        this.batches = List.copyOf(batches).iterator();
    }

    @Override
    public boolean loadNextBatch() {
        if (!batches.hasNext()) {
            return false;
        }
        loadRecordBatch(new VectorUnloader(batches.next()).getRecordBatch()); // takes references, closes the batch
        return true;
    }

    @Override
    public long bytesRead() {
        return 0;
    }

    @Override
    protected void closeReadSource() {
        // the batches are the caller's
    }

    @Override
    protected Schema readSchema() {
        return schema;
    }
}
