package dev.quiver.cli;

import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfEntry;
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

/** {@code quiver ls}: the shelf's keys, then every object in the store. */
@Command(name = "ls", mixinStandardHelpOptions = true,
        description = {"Lists the shelf's tables (key, rows, size, version, columns), then every object in the store, "
                + "oldest first.",
                "--json prints {\"keys\": [...], \"objects\": [...]}; with --keys or --objects, that list alone."})
final class LsCommand extends ClientCommand {
    /** Width of the COLUMNS cell before it is cut. */
    private static final int SCHEMA_WIDTH = 72;

    @Option(names = "--keys", description = "Only the shelf's tables.")
    boolean keysOnly;

    @Option(names = "--objects", description = "Only the store's objects.")
    boolean objectsOnly;

    @Override
    int run(QuiverClient client, PrintWriter out) {
        if (keysOnly && objectsOnly) {
            throw new IllegalArgumentException("--keys and --objects exclude each other; give neither for both");
        }
        boolean keys = !objectsOnly;
        boolean objects = !keysOnly;
        List<ShelfEntry> entries = keys ? entries(client) : List.of();
        List<ObjectInfo> listing = objects ? client.list() : List.of();
        if (json) {
            List<Map<String, Object>> k = entries.stream().map(LsCommand::toMap).toList();
            List<Map<String, Object>> o = listing.stream().map(LsCommand::toMap).toList();
            if (keysOnly) {
                out.println(Json.of(k));
            } else if (objectsOnly) {
                out.println(Json.of(o));
            } else {
                Map<String, Object> both = new LinkedHashMap<>();
                both.put("keys", k);
                both.put("objects", o);
                out.println(Json.of(both));
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
        if (keys && objects) {
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
        m.put("digest", Long.toHexString(o.digest()));
        return m;
    }
}
