package dev.quiver.cli;

import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfEntry;
import dev.quiver.arrow.ShelfKeyNotFoundException;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.Sizes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import dev.quiver.flight.FlightNames;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quiver get KEY --out FILE}: a table from the shelf into a file. */
@Command(name = "get", mixinStandardHelpOptions = true,
        description = {"Writes the table under a key to a file: Arrow IPC file or stream, Parquet or CSV (Parquet "
                + "and CSV through DuckDB, reading the table zero-copy from the store).",
                "The format comes from --format, else the output's extension (.arrow .feather .ipc: Arrow IPC file, "
                        + ".arrows .stream: stream, .parquet .pq: Parquet, .csv .txt: CSV, .tsv: tab-separated), "
                        + "else (no extension) the Arrow IPC file format; another extension is refused. The file "
                        + "appears complete or not at all.",
                "With --remote grpc://HOST:PORT, from a store's Flight endpoint (Arrow IPC file or stream only).",
                "Exits 1 if the key is not on the shelf."})
final class GetCommand extends ClientCommand implements ClientCommand.Remotable {
    @Mixin
    RemoteOptions remote;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
    String key;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "The file to write "
            + "(replaced if it exists).")
    Path outFile;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", description = "arrow (IPC file), arrows (IPC stream), "
            + "parquet or csv.")
    String format;

    @Option(names = "--progress", negatable = true, description = "Show progress on stderr (default: on a "
            + "terminal, for tables over 16 MiB).")
    Boolean progress;

    @Override
    int run(QuiverClient client, PrintWriter out) {
        TableFiles.Format f = format != null ? TableFiles.Format.parse(format) : outputFormat(outFile);
        ShelfEntry entry;
        long bytes;
        try (BufferAllocator allocator = new RootAllocator();
             Shelf shelf = Shelf.of(client, allocator)) {
            entry = shelf.entry(key).orElseThrow(() -> new ShelfKeyNotFoundException("no table under key '" + key
                    + "' on the shelf of the store at " + client.socket() + " (quiver ls lists the keys)"));
            try (Progress p = new Progress(spec.commandLine().getErr(), Progress.wanted(progress,
                    entry.bytes() > 16 << 20), "writing " + outFile.getFileName(),
                    f == TableFiles.Format.ARROWS ? "bytes" : "rows")) {
                bytes = TableFiles.write(shelf, key, outFile, f, p);
            }
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", entry.key());
            m.put("version", entry.version());
            m.put("rows", entry.rows());
            m.put("file", outFile.toString());
            m.put("format", f.option());
            m.put("bytes", bytes);
            out.println(Json.of(m));
        } else {
            out.printf("wrote %s (%,d rows, version %d) to %s: %s, %s%n", entry.key(), entry.rows(), entry.version(),
                    outFile, f.title, Sizes.format(bytes));
        }
        return 0;
    }

    @Override
    public RemoteOptions remote() {
        return remote;
    }

    /** Reads the table with a Flight DoGet and writes its batches as they come, into a file moved into place. */
    @Override
    public int runRemote(PrintWriter out) throws Exception {
        TableFiles.Format f = format != null ? TableFiles.Format.parse(format) : outputFormat(outFile);
        if (f != TableFiles.Format.ARROW && f != TableFiles.Format.ARROWS) {
            throw new IllegalArgumentException("quiver get --remote writes Arrow IPC files (.arrow, .arrows) only; "
                    + "get the table as .arrow and convert it, or run quiver get on the store's machine");
        }
        Path tmp = outFile.toAbsolutePath().getParent().resolve("." + outFile.getFileName() + ".quiver-remote.tmp");
        long rows = 0;
        try (BufferAllocator allocator = new RootAllocator();
             RemoteOptions.Remote r = remote.connect(allocator, timeout);
             FlightStream s = r.client().getStream(FlightNames.shelfTicket(key), r.options());
             FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                     StandardOpenOption.WRITE)) {
            boolean more = s.next(); // first, so that the dictionaries are there before the writer starts
            try (ArrowWriter writer = f == TableFiles.Format.ARROW
                    ? new ArrowFileWriter(s.getRoot(), s.getDictionaryProvider(), ch)
                    : new ArrowStreamWriter(s.getRoot(), s.getDictionaryProvider(), ch)) {
                writer.start();
                while (more) {
                    writer.writeBatch();
                    rows += s.getRoot().getRowCount();
                    more = s.next();
                }
                writer.end();
            }
        } catch (Exception e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        long bytes = Files.size(tmp);
        Files.move(tmp, outFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", key);
            m.put("rows", rows);
            m.put("file", outFile.toString());
            m.put("format", f.option());
            m.put("bytes", bytes);
            m.put("remote", remote.uri.toString());
            out.println(Json.of(m));
        } else {
            out.printf("wrote %s (%,d rows) from %s to %s: %s, %s%n", key, rows, remote.uri, outFile, f.title,
                    Sizes.format(bytes));
        }
        return 0;
    }

    /** The format an output file's name asks for: by its extension, the Arrow IPC file format without one. */
    static TableFiles.Format outputFormat(Path out) {
        TableFiles.Format byName = TableFiles.byExtension(out);
        if (byName != null) {
            return byName;
        }
        String name = out.getFileName().toString();
        if (name.lastIndexOf('.') > 0) {
            throw new IllegalArgumentException("quiver get does not write ." + name.substring(name.lastIndexOf('.') + 1)
                    + " files: it writes .arrow .feather .ipc (Arrow IPC file), .arrows .stream (Arrow IPC stream), "
                    + ".parquet .pq (Parquet), .csv .txt .tsv (CSV); name the file so, or give --format");
        }
        return TableFiles.Format.ARROW;
    }
}
