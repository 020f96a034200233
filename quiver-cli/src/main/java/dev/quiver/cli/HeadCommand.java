package dev.quiver.cli;

import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfKeyNotFoundException;
import dev.quiver.arrow.StoredTable;
import dev.quiver.client.QuiverClient;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quiver head KEY}: the first rows of a shelf table. */
@Command(name = "head", mixinStandardHelpOptions = true,
        description = {"Prints the first rows of the table under a key as a text table, read zero-copy from the store "
                + "(cells longer than 40 characters are cut).",
                "--out - writes them to stdout as CSV with a header line instead (as quiver get writes .csv files), "
                        + "for other tools; --json prints a list of rows, each an object keyed by column.",
                "Exits 1 if the key is not on the shelf."})
final class HeadCommand extends ClientCommand {
    private static final int CELL_WIDTH = 40;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
    String key;

    @Option(names = {"-n", "--rows"}, paramLabel = "N", defaultValue = "10",
            description = "How many rows (default: ${DEFAULT-VALUE}).")
    long rows;

    @Option(names = {"-o", "--out"}, paramLabel = "-", description = "'-': CSV to stdout (quiver get writes files).")
    String outTo;

    @Override
    int run(QuiverClient client, PrintWriter out) {
        if (rows < 0) {
            throw new IllegalArgumentException("-n takes 0 or more rows, got " + rows);
        }
        if (outTo != null && !outTo.equals("-")) {
            throw new IllegalArgumentException("quiver head writes only to stdout (--out -); to write a file, use "
                    + "quiver get " + key + " --out " + outTo);
        }
        try (BufferAllocator allocator = new RootAllocator(); Shelf shelf = Shelf.of(client, allocator)) {
            if (outTo != null) {
                shelf.entry(key).orElseThrow(() -> notFound(client)); // DuckDB's own error would be less clear
                TableFiles.writeCsvHead(shelf, key, rows, out);
                return 0;
            }
            StoredTable table;
            try {
                table = shelf.getArrow(key);
            } catch (ShelfKeyNotFoundException e) {
                throw notFound(client);
            }
            try (table) {
                print(table, out);
            }
        }
        return 0;
    }

    private ShelfKeyNotFoundException notFound(QuiverClient client) {
        return new ShelfKeyNotFoundException("no table under key '" + key + "' on the shelf of the "
                + "store at " + client.socket() + " (quiver ls --keys lists the keys)");
    }

    private void print(StoredTable table, PrintWriter out) {
        List<String> names = table.schema().getFields().stream().map(f -> f.getName()).toList();
        List<List<Object>> picked = new ArrayList<>();
        for (VectorSchemaRoot batch : table.batches()) {
            for (int i = 0; i < batch.getRowCount() && picked.size() < rows; i++) {
                List<Object> row = new ArrayList<>(names.size());
                for (FieldVector v : batch.getFieldVectors()) {
                    row.add(value(v, i, table.dictionaries()));
                }
                picked.add(row);
            }
        }
        if (json) {
            List<Map<String, Object>> objects = new ArrayList<>();
            for (List<Object> row : picked) {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int c = 0; c < names.size(); c++) {
                    Object v = row.get(c);
                    m.put(names.get(c), v == null || v instanceof Number || v instanceof Boolean ? v : text(v));
                }
                objects.add(m);
            }
            out.println(Json.of(objects));
            return;
        }
        Table t = new Table(names.toArray(String[]::new));
        for (List<Object> row : picked) {
            t.row(row.stream().map(v -> cut(v == null ? "null" : text(v))).toArray());
        }
        t.print(out);
        out.printf("%,d of %,d rows%n", picked.size(), table.rowCount());
    }

    /** A cell's value; a dictionary-encoded cell's dictionary value. */
    private static Object value(FieldVector v, int row, DictionaryProvider dictionaries) {
        Object o = v.getObject(row);
        DictionaryEncoding encoding = v.getField().getDictionary();
        if (o == null || encoding == null) {
            return o;
        }
        Dictionary d = dictionaries.lookup(encoding.getId());
        return d.getVector().getObject((int) ((Number) o).longValue());
    }

    private static String text(Object v) {
        return v instanceof byte[] b ? "0x" + HexFormat.of().formatHex(b) : v.toString();
    }

    private static String cut(String s) {
        return s.length() <= CELL_WIDTH ? s : s.substring(0, CELL_WIDTH - 3) + "...";
    }
}
