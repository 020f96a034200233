package dev.quiver.cli;

import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfEntry;
import dev.quiver.arrow.StreamInfo;
import dev.quiver.arrow.Streams;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.Sizes;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code quiver ls}: the shelf's keys, the streams, then every object in the store. */
@Command(name = "ls", mixinStandardHelpOptions = true,
        description = {"Lists the shelf's tables (key, rows, size, version, columns), the streams (as quiver streams "
                + "does), then every object in the store, oldest first.",
                "--json prints {\"keys\": [...], \"streams\": [...], \"objects\": [...]}; with --keys, --streams "
                        + "or --objects, that list alone."})
final class LsCommand extends ClientCommand {
    /** Width of the COLUMNS cell before it is cut. */
    private static final int SCHEMA_WIDTH = 72;

    @Option(names = "--keys", description = "Only the shelf's tables.")
    boolean keysOnly;

    @Option(names = "--objects", description = "Only the store's objects.")
    boolean objectsOnly;

    @Option(names = "--streams", description = "Only the streams.")
    boolean streamsOnly;

    @Override
    int run(QuiverClient client, PrintWriter out) {
        int only = (keysOnly ? 1 : 0) + (streamsOnly ? 1 : 0) + (objectsOnly ? 1 : 0);
        if (only > 1) {
            throw new IllegalArgumentException("--keys, --streams and --objects exclude each other; give none for all");
        }
        boolean keys = only == 0 || keysOnly;
        boolean streams = only == 0 || streamsOnly;
        boolean objects = only == 0 || objectsOnly;
        List<ShelfEntry> entries = keys ? entries(client) : List.of();
        List<StreamInfo> streamList = streams ? Streams.list(client) : List.of();
        List<ObjectInfo> listing = objects ? client.list() : List.of();
        if (json) {
            List<Map<String, Object>> k = entries.stream().map(LsCommand::toMap).toList();
            List<Map<String, Object>> s = streamList.stream().map(StreamsCommand::toMap).toList();
            List<Map<String, Object>> o = listing.stream().map(LsCommand::toMap).toList();
            if (only == 1) {
                out.println(Json.of(keysOnly ? k : streamsOnly ? s : o));
            } else {
                Map<String, Object> all = new LinkedHashMap<>();
                all.put("keys", k);
                all.put("objects", o);
                all.put("streams", s); // added after the fields of earlier versions
                out.println(Json.of(all));
            }
            return 0;
        }
        if (keys) {
            Table t = new Table("KEY", "ROWS", "SIZE", "VERSION", "COLUMNS");
            for (ShelfEntry e : entries) {
                t.row(e.key(), String.format("%,d", e.rows()), Sizes.format(e.bytes()), e.version(),
                        SchemaText.abbreviate(e.schema(), SCHEMA_WIDTH));
            }
            t.print(out);
            out.printf("%d %s on the shelf%n", entries.size(), entries.size() == 1 ? "table" : "tables");
        }
        if (streams) {
            if (keys) {
                out.println();
            }
            StreamsCommand.print(streamList, out);
        }
        if (objects && (keys || streams)) {
            out.println();
        }
        if (objects) {
            Table t = new Table("ID", "STATE", "DATA", "METADATA", "REFS", "CREATED", "CONSTRUCT");
            for (ObjectInfo o : listing) {
                t.row(o.id(), o.state().name().toLowerCase(), Sizes.format(o.dataSize()),
                        Sizes.format(o.metadataSize()), o.refCount(), Instant.ofEpochMilli(o.createTimeMillis()),
                        o.constructNanos() < 0 ? "-" : String.format("%.3f ms", o.constructNanos() / 1e6));
            }
            t.print(out);
            out.printf("%d objects%n", listing.size());
        }
        return 0;
    }

    private static List<ShelfEntry> entries(QuiverClient client) {
        try (BufferAllocator allocator = new RootAllocator(); Shelf shelf = Shelf.of(client, allocator)) {
            return shelf.entries();
        }
    }

    static Map<String, Object> toMap(ShelfEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", e.key());
        m.put("version", e.version());
        m.put("rows", e.rows());
        m.put("bytes", e.bytes());
        m.put("id", e.id().toString());
        m.put("created", e.created().toString());
        m.put("columns", e.schema().getFields().stream().map(f -> {
            Map<String, String> c = new LinkedHashMap<>();
            c.put("name", f.getName());
            c.put("type", SchemaText.type(f));
            return c;
        }).toList());
        return m;
    }

    static Map<String, Object> toMap(ObjectInfo o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", o.id().toString());
        m.put("state", o.state().name().toLowerCase());
        m.put("dataSize", o.dataSize());
        m.put("metadataSize", o.metadataSize());
        m.put("refCount", o.refCount());
        m.put("createTime", Instant.ofEpochMilli(o.createTimeMillis()).toString());
        m.put("constructNanos", o.constructNanos());
        m.put("digest", Digest.show(o.digest()));
        return m;
    }
}
