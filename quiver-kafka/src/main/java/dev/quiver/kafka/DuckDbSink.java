package dev.quiver.kafka;

import dev.quiver.arrow.StoredTable;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.duckdb.DuckDBConnection;

/**
 * Appends Arrow batches to tables of an embedded DuckDB database, through the Arrow C data interface: DuckDB scans the
 * batches' buffers where they are (for a table read from the store, in the store's shared memory) and copies the
 * rows once, into its own storage. A table is created from the first batch's Arrow schema (DuckDB's own mapping of
 * Arrow types: utf8 → VARCHAR, timestamp[us] → TIMESTAMP, float32 → FLOAT, ...); later batches are inserted by column
 * name.
 *
 * <pre>{@code
 * try (DuckDbSink db = DuckDbSink.open(Path.of("metrics.duckdb"), allocator)) {
 *     db.append("metrics", storedTable);                                  // zero-copy scan of store memory
 *     db.copyToParquet("SELECT * FROM metrics", Path.of("metrics.parquet"));
 * }
 * }</pre>
 *
 * <p>The database file stays queryable after the run (DuckDB CLI, JDBC, Python). Not thread-safe.
 */
public final class DuckDbSink implements AutoCloseable {
    private static final String VIEW = "quiver_arrow_batch";

    private final Connection connection;
    private final BufferAllocator allocator;
    private final Set<String> created = new HashSet<>();

    private DuckDbSink(Connection connection, BufferAllocator allocator) {
        this.connection = connection;
        this.allocator = allocator;
    }

    /** Opens (or creates) the database file {@code file}. */
    public static DuckDbSink open(Path file, BufferAllocator allocator) {
        return connect("jdbc:duckdb:" + file.toAbsolutePath(), allocator);
    }

    /** A database in memory, gone at close. */
    public static DuckDbSink inMemory(BufferAllocator allocator) {
        return connect("jdbc:duckdb:", allocator);
    }

    private static DuckDbSink connect(String url, BufferAllocator allocator) {
        try {
            return new DuckDbSink(DriverManager.getConnection(url), allocator);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open DuckDB at " + url + ": " + e.getMessage(), e);
        }
    }

    /** The JDBC connection, for queries. */
    public Connection connection() {
        return connection;
    }

    /** Appends a table read from the store (zero-copy: DuckDB reads the store's memory). */
    public long append(String table, StoredTable stored) {
        return append(table, new RootsReader(allocator, stored.schema(), stored.batches()));
    }

    /** Appends the root's current batch. */
    public long append(String table, VectorSchemaRoot root) {
        return append(table, new RootsReader(allocator, root.getSchema(), List.of(root)));
    }

    /**
     * Appends every batch of the reader to {@code table}, creating the table from the reader's schema if it does not
     * exist. The reader is consumed and closed.
     *
     * @return the rows appended
     */
    public long append(String table, ArrowReader reader) {
        try (ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
            Data.exportArrayStream(allocator, reader, stream); // the stream owns the reader from here
            connection.unwrap(DuckDBConnection.class).registerArrowStream(VIEW, stream);
            try (Statement st = connection.createStatement()) {
                if (exists(table)) {
                    return st.executeUpdate("INSERT INTO " + quote(table) + " BY NAME SELECT * FROM " + VIEW);
                }
                long rows = st.executeUpdate("CREATE TABLE " + quote(table) + " AS SELECT * FROM " + VIEW);
                created.add(table);
                return rows;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("DuckDB did not take the batch for table " + table + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes every batch of the reader (consumed and closed) to a Parquet file, zstd-compressed, without storing them
     * in the database.
     *
     * @return the rows written
     */
    public long copyToParquet(ArrowReader reader, Path file) {
        try (ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
            Data.exportArrayStream(allocator, reader, stream);
            connection.unwrap(DuckDBConnection.class).registerArrowStream(VIEW, stream);
            return copyToParquet("SELECT * FROM " + VIEW, file);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the result of a query (or a whole table, given its name) to a Parquet file, zstd-compressed.
     *
     * @return the rows written
     */
    public long copyToParquet(String tableOrQuery, Path file) {
        String source = tableOrQuery.stripLeading().regionMatches(true, 0, "select", 0, 6) ? "(" + tableOrQuery + ")"
                : quote(tableOrQuery);
        try (Statement st = connection.createStatement()) {
            return st.executeUpdate("COPY " + source + " TO '" + file.toAbsolutePath().toString().replace("'", "''")
                    + "' (FORMAT PARQUET, COMPRESSION ZSTD)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot write " + file + " from " + tableOrQuery + ": " + e.getMessage(), e);
        }
    }

    private boolean exists(String table) throws SQLException {
        if (created.contains(table)) {
            return true;
        }
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                boolean exists = rs.getLong(1) > 0;
                if (exists) {
                    created.add(table);
                }
                return exists;
            }
        }
    }

    /** Closes the connection (the database file stays). */
    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot close DuckDB: " + e.getMessage(), e);
        }
    }

    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
