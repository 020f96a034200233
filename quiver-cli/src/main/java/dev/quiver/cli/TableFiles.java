package dev.quiver.cli;

import dev.quiver.arrow.ArrowFormatException;
import dev.quiver.arrow.ArrowValidation;
import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.StoreArrowReader;
import dev.quiver.client.ObjectBuffer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.InvalidArrowFileException;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBPreparedStatement;
import org.duckdb.DuckDBResultSet;
import org.duckdb.QueryProgress;

/**
 * Files in and out of the shelf: Arrow IPC (file and stream formats) through Arrow Java, Parquet and CSV through
 * DuckDB. A file is read completely, and checked, before anything is written to the store, so a malformed file
 * leaves the store unchanged. Output files are written beside the target and moved into place when complete.
 */
final class TableFiles {
    /** Rows per batch asked of DuckDB. */
    private static final int DUCKDB_BATCH_ROWS = 64 * 1024;

    private TableFiles() {}

    /** The formats quiver put and quiver get know. */
    enum Format {
        ARROW("Arrow IPC file", "an "), ARROWS("Arrow IPC stream", "an "), PARQUET("Parquet", ""), CSV("CSV", "");

        final String title;
        /** "an Arrow IPC file", "Parquet": the title as the object of "read as". */
        final String asObject;

        Format(String title, String article) {
            this.title = title;
            this.asObject = article + title;
        }

        String option() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** A --format value. */
        static Format parse(String option) {
            for (Format f : values()) {
                if (f.option().equalsIgnoreCase(option)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("unknown format '" + option + "': use arrow (Arrow IPC file), arrows "
                    + "(Arrow IPC stream), parquet or csv");
        }
    }

    /** A file's content could not be read as a table (or a table could not be written as a file). */
    static final class BadFileException extends IllegalArgumentException {
        BadFileException(String message, Throwable cause) {
            super(message, cause);
        }

        BadFileException(String message) {
            super(message);
        }
    }

    /** A table read from a file: its batches and dictionaries, owned until closed. */
    record Loaded(Format format, Schema schema, List<VectorSchemaRoot> batches,
                  DictionaryProvider.MapDictionaryProvider dictionaries, long rows) implements AutoCloseable {
        @Override
        public void close() {
            try {
                AutoCloseables.close(batches);
                dictionaries.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing a table read from a file", e);
            }
        }
    }

    // -------------------------------------------------------------------------------------------------- formats

    /** The format of an input file: from its first bytes (Arrow file, Arrow stream, Parquet), else its extension. */
    static Format detect(Path file) {
        byte[] head = new byte[8];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (NoSuchFileException e) {
            throw new BadFileException("no such file: " + file);
        } catch (IOException e) {
            throw new BadFileException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (n >= 6 && new String(head, 0, 6, java.nio.charset.StandardCharsets.US_ASCII).equals("ARROW1")) {
            return Format.ARROW;
        }
        if (n >= 4 && new String(head, 0, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("PAR1")) {
            return Format.PARQUET;
        }
        if (n >= 4 && head[0] == (byte) 0xFF && head[1] == (byte) 0xFF && head[2] == (byte) 0xFF
                && head[3] == (byte) 0xFF) {
            return Format.ARROWS;
        }
        Format byName = byExtension(file);
        if (byName == null) {
            throw new BadFileException("cannot tell the format of " + file + " from its content or its name: give "
                    + "--format arrow, arrows, parquet or csv");
        }
        return byName;
    }

    /** The format a file name suggests, or null. */
    static Format byExtension(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1);
        return switch (ext) {
            case "arrow", "feather", "ipc" -> Format.ARROW;
            case "arrows", "stream" -> Format.ARROWS;
            case "parquet", "pq" -> Format.PARQUET;
            case "csv", "tsv", "txt" -> Format.CSV;
            default -> null;
        };
    }

    // -------------------------------------------------------------------------------------------------- reading

    /**
     * Reads a whole file into batches in {@code allocator}, and validates them fully
     * ({@link ArrowValidation#validateTable}): what this returns can be stored.
     *
     * @param delimiter the CSV delimiter, or null to let DuckDB's sniffer detect it
     * @throws BadFileException saying what is wrong with the file
     */
    static Loaded read(Path file, Format format, String delimiter, BufferAllocator allocator, Progress progress) {
        if (!Files.isRegularFile(file)) {
            throw new BadFileException(Files.exists(file) ? file + " is not a regular file" : "no such file: " + file);
        }
        String csvOptions = format == Format.CSV ? ", delim = " + sqlString(csvDelimiter(file, delimiter)) : "";
        Loaded loaded = switch (format) {
            case ARROW, ARROWS -> readArrow(file, format, allocator, progress);
            case PARQUET -> readWithDuckDb(file, format, "read_parquet(" + sqlString(file) + ")", allocator, progress);
            case CSV -> readWithDuckDb(file, format, "read_csv(" + sqlString(file) + csvOptions + ", skip = 0)",
                    allocator, progress);
        };
        try {
            ArrowValidation.validateTable(loaded.schema(), loaded.batches(), loaded.dictionaries());
        } catch (ArrowFormatException e) {
            loaded.close();
            throw new BadFileException("cannot read " + file + " as " + format.asObject + ": " + e.getMessage(), e);
        }
        return loaded;
    }

    /** The CSV delimiter: the one given, else the one DuckDB's sniffer detects. */
    private static String csvDelimiter(Path file, String delimiter) {
        if (delimiter == null) {
            return sniffDelimiter(file);
        }
        String d = delimiter.equals("\\t") || delimiter.equalsIgnoreCase("tab") ? "\t" : delimiter;
        if (d.length() != 1 || d.equals("\n") || d.equals("\r") || d.equals("\"")) {
            throw new IllegalArgumentException("--delimiter takes one character other than a quote or a line break, "
                    + "or 'tab'; got '" + delimiter + "'");
        }
        return d;
    }

    /**
     * The delimiter DuckDB's sniffer ({@code sniff_csv}) detects, or ',' when it finds only one column (a file of one
     * column, or rows that disagree on their number of fields: read_csv then says why). Given to read_csv explicitly, so
     * that a ragged file is refused with DuckDB's reason rather than read as one column.
     */
    private static String sniffDelimiter(Path file) {
        try (DuckDBConnection db = duckDb(false); Statement s = db.createStatement();
             java.sql.ResultSet r = s.executeQuery("SELECT Delimiter, len(Columns) FROM sniff_csv("
                     + sqlString(file) + ")")) {
            if (!r.next() || r.getInt(2) < 2) {
                return ","; // no delimiter splits every row alike (it then picks any absent one): ',' says why
            }
            String detected = r.getString(1);
            return detected != null && detected.length() == 1 ? detected : ",";
        } catch (SQLException e) {
            return ","; // read_csv reports what is wrong, with the line
        }
    }

    private static Loaded readArrow(Path file, Format format, BufferAllocator allocator, Progress progress) {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        DictionaryProvider.MapDictionaryProvider dictionaries = new DictionaryProvider.MapDictionaryProvider();
        long rows = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
             ArrowReader reader = checkedFraming(ch, format) == Format.ARROW
                     ? ArrowValidation.fileReader(ch, allocator) : ArrowValidation.streamReader(ch, allocator)) {
            long size = ch.size();
            VectorSchemaRoot root = reader.getVectorSchemaRoot(); // reads the schema (and a file's footer)
            if (reader instanceof ArrowFileReader fileReader) {
                List<ArrowBlock> blocks = fileReader.getRecordBlocks();
                for (int i = 0; i < blocks.size(); i++) {
                    fileReader.loadRecordBatch(blocks.get(i));
                    rows += take(root, batches, allocator);
                    progress.update(rows, (double) (i + 1) / blocks.size());
                }
            } else {
                while (reader.loadNextBatch()) {
                    rows += take(root, batches, allocator);
                    progress.update(rows, size == 0 ? -1 : (double) reader.bytesRead() / size);
                }
            }
            for (long id : reader.getDictionaryIds()) {
                Dictionary d = reader.lookup(id);
                dictionaries.put(new Dictionary(move(d.getVector(), allocator), d.getEncoding()));
            }
            progress.complete();
            return new Loaded(format, root.getSchema(), batches, dictionaries, rows);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            batches.forEach(VectorSchemaRoot::close);
            dictionaries.close();
            String why = e instanceof InvalidArrowFileException
                    ? "it does not end with the Arrow file footer and magic ARROW1 (truncated?)"
                    : e instanceof StackOverflowError ? "its schema is nested too deeply to read (at most "
                    + ArrowValidation.MAX_NESTING_DEPTH + " levels are accepted)" : describe(e);
            throw new BadFileException("cannot read " + file + " as " + format.asObject + ": " + why, e);
        }
    }

    /**
     * Checks that every length in the file's framing lies inside the file before Arrow Java reads it: its readers
     * allocate whatever a length claims (a flipped bit in one would ask for gigabytes).
     */
    private static Format checkedFraming(FileChannel ch, Format format) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            if (format == Format.ARROW) {
                ArrowValidation.validateFileFraming(bytes, "the file");
            } else {
                ArrowValidation.validateStreamFraming(bytes, "the file");
            }
        }
        return format;
    }

    /** Moves the reader's current batch into a root of its own (the reader's root is refilled by the next load). */
    private static long take(VectorSchemaRoot root, List<VectorSchemaRoot> batches, BufferAllocator allocator) {
        List<FieldVector> moved = new ArrayList<>(root.getFieldVectors().size());
        for (FieldVector v : root.getFieldVectors()) {
            moved.add(move(v, allocator));
        }
        batches.add(new VectorSchemaRoot(root.getSchema().getFields(), moved, root.getRowCount()));
        return root.getRowCount();
    }

    private static FieldVector move(FieldVector v, BufferAllocator allocator) {
        TransferPair t = v.getTransferPair(allocator);
        t.transfer();
        return (FieldVector) t.getTo();
    }

    private static Loaded readWithDuckDb(Path file, Format format, String scan, BufferAllocator allocator,
                                         Progress progress) {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        long rows = 0;
        try (DuckDBConnection db = duckDb(true);
             DuckDBPreparedStatement query = db.prepareStatement("SELECT * FROM " + scan)
                     .unwrap(DuckDBPreparedStatement.class)) {
            DuckDBResultSet result = (DuckDBResultSet) query.executeQuery();
            try (result; ArrowReader reader = (ArrowReader) result.arrowExportStream(allocator, DUCKDB_BATCH_ROWS)) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                for (var f : root.getSchema().getFields()) {
                    if (f.getDictionary() != null) {
                        throw new BadFileException("column " + f.getName() + " of " + file + " comes out of DuckDB "
                                + "dictionary-encoded (an ENUM), which quiver put does not take");
                    }
                }
                while (reader.loadNextBatch()) {
                    List<FieldVector> moved = new ArrayList<>();
                    for (FieldVector v : root.getFieldVectors()) {
                        moved.add(move(v, allocator));
                    }
                    batches.add(new VectorSchemaRoot(root.getSchema().getFields(), moved, root.getRowCount()));
                    rows += root.getRowCount();
                    QueryProgress p = query.getQueryProgress();
                    progress.update(rows, p.getPercentage() < 0 ? -1 : p.getPercentage() / 100);
                }
                progress.complete();
                return new Loaded(format, root.getSchema(), batches, new DictionaryProvider.MapDictionaryProvider(),
                        rows);
            }
        } catch (SQLException | IOException | RuntimeException e) {
            batches.forEach(VectorSchemaRoot::close);
            if (e instanceof BadFileException b) {
                throw b;
            }
            Exception cause = diagnose(scan, e);
            String hint = format == Format.CSV && String.valueOf(cause.getMessage()).contains("sniffing")
                    ? " (does every row have the header's number of fields? is the delimiter right? see --delimiter)"
                    : "";
            throw new BadFileException("cannot read " + file + " as " + format.asObject + ": " + describe(cause)
                    + hint, cause);
        }
    }

    /**
     * An error that came up while results were streamed: DuckDB's Arrow export reports only "Invalid result set".
     * Scanning the file again without streaming gets DuckDB's own reason (line, column, what was found).
     */
    private static Exception diagnose(String scan, Exception e) {
        if (!String.valueOf(e.getMessage()).contains("Invalid result set")) {
            return e;
        }
        try (DuckDBConnection db = duckDb(false); Statement s = db.createStatement();
             java.sql.ResultSet r = s.executeQuery("SELECT * FROM " + scan)) { // every column, so every value converts
            return e;
        } catch (SQLException reason) {
            return reason;
        }
    }

    // -------------------------------------------------------------------------------------------------- writing

    /**
     * Writes the table under {@code key} to {@code out}; returns the bytes written. The file appears complete or
     * not at all (it is written beside {@code out} and moved into place).
     */
    static long write(Shelf shelf, String key, Path out, Format format, Progress progress) {
        Path parent = out.toAbsolutePath().getParent();
        Path tmp = parent.resolve("." + out.getFileName() + ".quiver-" + UUID.randomUUID() + ".tmp");
        try {
            switch (format) {
                case ARROWS -> writeStream(shelf, key, tmp, progress);
                case ARROW -> writeFile(shelf, key, tmp, progress);
                case PARQUET -> writeWithDuckDb(shelf, key, tmp, "FORMAT PARQUET", "Parquet", progress, -1);
                case CSV -> writeWithDuckDb(shelf, key, tmp, "FORMAT CSV, HEADER, DELIMITER "
                        + sqlString(out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tsv") ? "\t"
                        : ","), "CSV", progress, -1);
            }
            long size = Files.size(tmp);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            progress.complete();
            return size;
        } catch (IOException e) {
            throw new BadFileException("cannot write " + out + ": " + describe(e), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    /** The object's bytes are an Arrow IPC stream already: copied to the file as they are. */
    private static void writeStream(Shelf shelf, String key, Path tmp, Progress progress) throws IOException {
        try (ObjectBuffer object = shelf.object(key);
             FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            MemorySegment data = object.data();
            long chunk = 64 << 20;
            for (long at = 0; at < data.byteSize(); at += chunk) {
                ByteBuffer b = data.asSlice(at, Math.min(chunk, data.byteSize() - at)).asByteBuffer();
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                progress.update(at + Math.min(chunk, data.byteSize() - at), data.byteSize());
            }
        }
    }

    private static void writeFile(Shelf shelf, String key, Path tmp, Progress progress) throws IOException {
        long total = shelf.entry(key).map(e -> e.rows()).orElse(0L);
        try (StoreArrowReader reader = shelf.reader(key);
             FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            boolean more = reader.loadNextBatch(); // first, so that the dictionaries are loaded before the writer starts
            long rows = 0;
            try (ArrowFileWriter writer = new ArrowFileWriter(reader.getVectorSchemaRoot(), reader, ch)) {
                writer.start();
                while (more) {
                    writer.writeBatch();
                    rows += reader.getVectorSchemaRoot().getRowCount();
                    progress.update(rows, total);
                    more = reader.loadNextBatch();
                }
                writer.end();
            }
        }
    }

    /**
     * The first {@code rows} rows of the table under {@code key} as CSV with a header line, written by DuckDB as
     * {@code quiver get} writes CSV files, to {@code out}.
     */
    static void writeCsvHead(Shelf shelf, String key, long rows, java.io.Writer out) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("quiver-head-", ".csv");
            writeWithDuckDb(shelf, key, tmp, "FORMAT CSV, HEADER, DELIMITER ','", "CSV",
                    new Progress(null, false, "", "rows"), rows);
            try (java.io.Reader csv = Files.newBufferedReader(tmp)) {
                csv.transferTo(out);
            }
        } catch (IOException e) {
            throw new BadFileException("cannot write CSV: " + describe(e), e);
        } finally {
            try {
                if (tmp != null) {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    /**
     * Through DuckDB: the zero-copy reader is handed over Arrow's C stream interface, DuckDB writes the file
     * ({@code COPY ... TO} with these options), all rows or the first {@code limit} (if not negative).
     */
    private static void writeWithDuckDb(Shelf shelf, String key, Path tmp, String copyOptions, String title,
                                        Progress progress, long limit) {
        long total = shelf.entry(key).map(e -> e.rows()).orElse(0L);
        BufferAllocator allocator = shelf.allocator();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "quiver-progress");
            t.setDaemon(true);
            return t;
        });
        try (DuckDBConnection db = duckDb(false);
             ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
            StoreArrowReader reader = shelf.reader(key);
            try {
                Data.exportArrayStream(allocator, reader, stream); // the stream owns the reader from here on
            } catch (RuntimeException e) {
                reader.close();
                throw e;
            }
            db.registerArrowStream("quiver_table", stream);
            try (DuckDBPreparedStatement copy = db.prepareStatement("COPY (SELECT * FROM quiver_table"
                    + (limit < 0 ? "" : " LIMIT " + limit) + ") TO "
                    + sqlString(tmp) + " (" + copyOptions + ")").unwrap(DuckDBPreparedStatement.class)) {
                ticker.scheduleAtFixedRate(() -> {
                    try {
                        double pct = copy.getQueryProgress().getPercentage();
                        if (pct >= 0) {
                            progress.update((long) (total * pct / 100), pct / 100);
                        }
                    } catch (SQLException | RuntimeException ignored) {
                        // progress is best effort
                    }
                }, 200, 200, TimeUnit.MILLISECONDS);
                copy.execute();
                progress.update(total, total);
            }
        } catch (SQLException | IOException e) {
            throw new BadFileException("DuckDB could not write " + title + ": " + describe(e), e);
        } finally {
            ticker.shutdownNow();
        }
    }

    // -------------------------------------------------------------------------------------------------- helpers

    /** An in-memory DuckDB, with its progress measurement on (nothing printed) and results streamed if asked. */
    private static DuckDBConnection duckDb(boolean streamResults) throws SQLException {
        Properties p = new Properties();
        if (streamResults) {
            p.setProperty("jdbc_stream_results", "true");
        }
        Connection c = DriverManager.getConnection("jdbc:duckdb:", p);
        try (Statement s = c.createStatement()) {
            s.execute("SET enable_progress_bar = true");
            s.execute("SET enable_progress_bar_print = false");
            return c.unwrap(DuckDBConnection.class);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static String sqlString(Object value) {
        return "'" + value.toString().replace("'", "''") + "'";
    }

    /** The first lines of an error on one line, without DuckDB's query echo and lists of possible fixes. */
    static String describe(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        StringBuilder out = new StringBuilder();
        int lines = 0;
        for (String line : m.split("\n")) {
            String t = line.strip();
            if (t.isEmpty()) {
                if (lines > 0) {
                    break;
                }
                continue;
            }
            if (t.startsWith("LINE ") || t.startsWith("Possible fixes") || t.startsWith("The search space")) {
                break;
            }
            out.append(lines == 0 ? "" : "; ").append(t);
            if (++lines == 3) {
                break;
            }
        }
        return out.toString();
    }
}
