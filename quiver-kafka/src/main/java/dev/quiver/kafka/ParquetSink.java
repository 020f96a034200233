package dev.quiver.kafka;

import dev.quiver.arrow.StoredTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * Writes each appended batch as a Parquet file of its own in a directory ({@code PREFIX-000000.parquet},
 * {@code PREFIX-000001.parquet}, ..., zstd-compressed), through an in-memory DuckDB that scans the Arrow buffers in
 * place. The files are readable together by any Parquet reader, for example DuckDB's
 * {@code read_parquet('DIR/PREFIX-*.parquet')}. Not thread-safe.
 */
public final class ParquetSink implements AutoCloseable {
    private final Path dir;
    private final String prefix;
    private final DuckDbSink duckdb;
    private int files;

    /** A sink into {@code dir} (created if needed) with file names starting with {@code prefix}. */
    public ParquetSink(Path dir, String prefix, BufferAllocator allocator) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        this.dir = dir;
        this.prefix = prefix;
        this.duckdb = DuckDbSink.inMemory(allocator);
    }

    /** Files written so far. */
    public int files() {
        return files;
    }

    /** Writes a table read from the store; returns the file. */
    public Path write(StoredTable table) {
        return write(new RootsReader(allocatorOf(table.batches()), table.schema(), table.batches()));
    }

    /** Writes the root's current batch; returns the file. */
    public Path write(VectorSchemaRoot root) {
        return write(new RootsReader(allocatorOf(List.of(root)), root.getSchema(), List.of(root)));
    }

    /** Writes every batch of the reader (consumed and closed) into one file; returns it. */
    public Path write(ArrowReader reader) {
        Path file = dir.resolve(String.format(Locale.ROOT, "%s-%06d.parquet", prefix, files));
        duckdb.copyToParquet(reader, file);
        files++;
        return file;
    }

    private static BufferAllocator allocatorOf(List<VectorSchemaRoot> batches) {
        return batches.getFirst().getFieldVectors().getFirst().getAllocator();
    }

    @Override
    public void close() {
        duckdb.close();
    }
}
