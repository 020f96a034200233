package dev.quiver.cli;

import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfEntry;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.Sizes;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import dev.quiver.flight.FlightNames;
import org.apache.arrow.flight.AsyncPutListener;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quiver put FILE}: a table from an Arrow, Parquet or CSV file onto the shelf. */
@Command(name = "put", mixinStandardHelpOptions = true,
        description = {"Puts a table from a file onto the shelf, under a key.",
                "Reads Arrow IPC (file and stream formats), Parquet and CSV (Parquet and CSV through DuckDB). The "
                        + "format comes from the file's first bytes, else its extension, else --format.",
                "The whole file is read and validated (offsets, lengths, null counts, dictionary indices, UTF-8, "
                        + "decimal precision, nesting depth) before the store is touched: a malformed file changes "
                        + "nothing. Schema and field metadata (such as pandas' and pyarrow's) are kept.",
                "With --remote grpc://HOST:PORT, onto the shelf of a store's Flight endpoint (a DoPut).",
                "Exits 1 on a bad file, a taken key (without --replace), or a full store."})
final class PutCommand extends ClientCommand implements ClientCommand.Remotable {
    @Mixin
    RemoteOptions remote;

    @Parameters(index = "0", paramLabel = "FILE", description = "The file to load.")
    Path file;

    @Option(names = {"-k", "--key"}, paramLabel = "KEY",
            description = "The key (default: the file name without its extension). 1 to 128 characters from "
                    + "A-Z a-z 0-9 . _ -, starting with a letter or digit.")
    String key;

    @Option(names = "--replace", description = "Replace the table under the key if there is one (readers see the "
            + "old or the new table, never a mix).")
    boolean replace;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", description = "arrow, arrows, parquet or csv "
            + "(default: detected).")
    String format;

    @Option(names = "--delimiter", paramLabel = "CHAR", description = "CSV field delimiter, one character, or 'tab' "
            + "(default: detected by DuckDB's CSV sniffer: comma, semicolon, tab, pipe...).")
    String delimiter;

    @Option(names = "--progress", negatable = true, description = "Show progress on stderr (default: on a "
            + "terminal, for files over 16 MiB).")
    Boolean progress;

    @Override
    int run(QuiverClient client, PrintWriter out) {
        TableFiles.Format f = format != null ? TableFiles.Format.parse(format) : TableFiles.detect(file);
        String k = key != null ? key : keyFromFileName(file);
        long fileSize = sizeOf(file);
        ShelfEntry entry;
        try (BufferAllocator allocator = new RootAllocator();
             Shelf shelf = Shelf.of(client, allocator)) {
            if (!replace && k != null && shelf.contains(k)) { // refuse before reading a large file for nothing
                throw new IllegalArgumentException("key '" + k + "' is already on the shelf; use --replace to replace "
                        + "it, or --key to choose another");
            }
            try (Progress p = new Progress(spec.commandLine().getErr(),
                    Progress.wanted(progress, fileSize > 16 << 20), "reading " + file.getFileName(), "rows");
                 TableFiles.Loaded table = TableFiles.read(file, f, delimiter, allocator, p)) {
                entry = shelf.putBatches(k, table.schema(), table.batches(), table.dictionaries(), replace);
            }
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", entry.key());
            m.put("version", entry.version());
            m.put("rows", entry.rows());
            m.put("columns", entry.schema().getFields().size());
            m.put("bytes", entry.bytes());
            m.put("file", file.toString());
            m.put("format", f.option());
            m.put("id", entry.id().toString());
            out.println(Json.of(m));
        } else {
            out.printf("put %s: %,d rows, %d columns, %s in the store (version %d), from %s (%s)%n", entry.key(),
                    entry.rows(), entry.schema().getFields().size(), Sizes.format(entry.bytes()), entry.version(),
                    file, f.title);
        }
        return 0;
    }

    @Override
    public RemoteOptions remote() {
        return remote;
    }

    /** Reads and validates the file as a local put does, then sends its batches in one DoPut. */
    @Override
    public int runRemote(PrintWriter out) throws Exception {
        TableFiles.Format f = format != null ? TableFiles.Format.parse(format) : TableFiles.detect(file);
        String k = key != null ? key : keyFromFileName(file);
        if (k == null) {
            throw new IllegalArgumentException("quiver put --remote needs a key: give --key KEY");
        }
        long rows = 0;
        try (BufferAllocator allocator = new RootAllocator();
             RemoteOptions.Remote r = remote.connect(allocator, timeout);
             Progress p = new Progress(spec.commandLine().getErr(), Progress.wanted(progress, sizeOf(file) > 16 << 20),
                     "reading " + file.getFileName(), "rows");
             TableFiles.Loaded table = TableFiles.read(file, f, delimiter, allocator, p);
             VectorSchemaRoot root = VectorSchemaRoot.create(table.schema(), allocator)) {
            FlightDescriptor to = replace ? FlightNames.shelf(k)
                    : FlightDescriptor.path(FlightNames.SHELF, k, FlightNames.CREATE);
            FlightClient.ClientStreamListener put = r.client().startPut(to, root, table.dictionaries(),
                    new AsyncPutListener(), r.options());
            VectorLoader loader = new VectorLoader(root);
            for (VectorSchemaRoot batch : table.batches()) {
                try (ArrowRecordBatch rb = new VectorUnloader(batch).getRecordBatch()) {
                    loader.load(rb);
                }
                put.putNext();
                rows += batch.getRowCount();
            }
            put.completed();
            put.getResult();
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", k);
            m.put("rows", rows);
            m.put("file", file.toString());
            m.put("format", f.option());
            m.put("remote", remote.uri.toString());
            out.println(Json.of(m));
        } else {
            out.printf("put %s: %,d rows to %s, from %s (%s)%n", k, rows, remote.uri, file, f.title);
        }
        return 0;
    }

    /** The file name without its extension, made into a valid key; null (a generated key) if nothing is left. */
    static String keyFromFileName(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        if (dot > 0) {
            name = name.substring(0, dot);
        }
        String cleaned = name.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^[^A-Za-z0-9]+", "");
        if (cleaned.length() > 128) {
            cleaned = cleaned.substring(0, 128);
        }
        return cleaned.isEmpty() ? null : cleaned;
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            return 0; // reading it will say what is wrong
        }
    }
}
