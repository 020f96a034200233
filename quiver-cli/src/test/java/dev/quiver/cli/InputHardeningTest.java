package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfEntry;
import dev.quiver.arrow.StoredTable;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.table.Table;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input that quiver put must refuse (invalid Arrow data, which would otherwise be stored and break every later read)
 * and input it must accept (schema-level metadata as pandas and pyarrow write it, CSV with other delimiters), and
 * quiver get writing CSV or refusing an extension it does not write.
 */
class InputHardeningTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final RunningStore store = new RunningStore(64 << 20);
    QuiverClient client;
    String socket;
    BufferAllocator allocator;
    Connection duckdb;

    @BeforeEach
    void start() throws SQLException {
        client = store.client();
        socket = store.server().socket().toString();
        allocator = new RootAllocator();
        duckdb = DriverManager.getConnection("jdbc:duckdb:");
    }

    @AfterEach
    void stop() throws SQLException {
        duckdb.close();
        allocator.close();
    }

    private List<ObjectId> objects() {
        return client.list().stream().map(ObjectInfo::id).toList();
    }

    private long count(String query) throws SQLException {
        try (Statement s = duckdb.createStatement(); ResultSet r = s.executeQuery(query)) {
            r.next();
            return r.getLong(1);
        }
    }

    // ------------------------------------------------------------------------------------------ invalid Arrow

    /** One string column "s" of three values, in an Arrow IPC file or stream, after {@code breakIt} ran on it. */
    private Path strings(String name, boolean fileFormat, Consumer<VarCharVector> breakIt) throws IOException {
        Schema schema = new Schema(List.of(Field.nullable("s", ArrowType.Utf8.INSTANCE)));
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            VarCharVector s = (VarCharVector) root.getVector(0);
            s.setSafe(0, "abc".getBytes(StandardCharsets.UTF_8));
            s.setSafe(1, "de".getBytes(StandardCharsets.UTF_8));
            s.setSafe(2, "fgh".getBytes(StandardCharsets.UTF_8));
            root.setRowCount(3);
            breakIt.accept(s);
            return write(name, root, null, fileFormat);
        }
    }

    private Path write(String name, VectorSchemaRoot root, DictionaryProvider dictionaries, boolean fileFormat)
            throws IOException {
        Path p = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             var w = fileFormat ? new ArrowFileWriter(root, dictionaries, ch)
                     : new ArrowStreamWriter(root, dictionaries, ch)) {
            w.start();
            w.writeBatch();
            w.end();
        }
        return p;
    }

    /** An int column whose record batch says "no nulls" while its validity bitmap marks three (Arrow Java trusts it). */
    private Path lyingNullCount(String name) throws IOException {
        Schema schema = new Schema(List.of(Field.nullable("i", new ArrowType.Int(32, true))));
        Path p = dir.resolve(name);
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
             FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            IntVector i = (IntVector) root.getVector(0);
            for (int r = 0; r < 8; r++) {
                if (r % 3 == 1) {
                    i.setNull(r);
                } else {
                    i.setSafe(r, r);
                }
            }
            root.setRowCount(8);
            WriteChannel out = new WriteChannel(ch);
            MessageSerializer.serialize(out, schema);
            try (ArrowRecordBatch honest = new VectorUnloader(root).getRecordBatch();
                 ArrowRecordBatch lying = new ArrowRecordBatch(8, List.of(new ArrowFieldNode(8, 0)),
                         honest.getBuffers())) {
                MessageSerializer.serialize(out, lying);
            }
            ArrowStreamWriter.writeEndOfStream(out, IpcOption.DEFAULT);
        }
        return p;
    }

    /** A dictionary-encoded column with an index past its dictionary of three values. */
    private Path dictionaryIndexOutOfRange(String name) throws IOException {
        DictionaryEncoding encoding = new DictionaryEncoding(1, false, new ArrowType.Int(32, true));
        try (VarCharVector values = new VarCharVector("colours", allocator)) {
            for (String c : List.of("red", "green", "blue")) {
                values.setSafe(values.getValueCount(), c.getBytes(StandardCharsets.UTF_8));
                values.setValueCount(values.getValueCount() + 1);
            }
            DictionaryProvider.MapDictionaryProvider provider =
                    new DictionaryProvider.MapDictionaryProvider(new Dictionary(values, encoding));
            Schema schema = new Schema(List.of(new Field("colour",
                    new FieldType(true, new ArrowType.Int(32, true), encoding), null)));
            try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
                IntVector indices = (IntVector) root.getVector(0);
                indices.setSafe(0, 2);
                indices.setSafe(1, 7);
                root.setRowCount(2);
                return write(name, root, provider, true);
            }
        }
    }

    /** A struct nested in a struct ... {@code depth} levels deep, one row. */
    private Path nested(String name, int depth) throws IOException {
        return nested(name, depth, true);
    }

    private Path nested(String name, int depth, boolean file) throws IOException {
        Field f = Field.nullable("leaf", new ArrowType.Int(32, true));
        for (int i = 0; i < depth - 1; i++) {
            f = new Field("level" + i, FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(f));
        }
        try (VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(List.of(f)), allocator)) {
            root.setRowCount(0);
            return write(name, root, null, file);
        }
    }

    /** A decimal(5, 0) column holding 123456: more digits than its precision. */
    private Path decimalBeyondPrecision(String name) throws IOException {
        Schema schema = new Schema(List.of(Field.nullable("d", new ArrowType.Decimal(5, 0, 128))));
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            DecimalVector d = (DecimalVector) root.getVector(0);
            d.setSafe(0, 99_999L);
            d.setSafe(1, 123_456L);
            root.setRowCount(2);
            return write(name, root, null, true);
        }
    }

    @Test
    void invalidArrowDataIsRefusedBeforeTheStoreIsTouched() throws Exception {
        record Case(Path file, String why) {}
        List<Case> cases = List.of(
                // offsets 0, 3, 1, 8: the second string would end before it starts
                new Case(strings("decreasing.arrow", true, s -> s.getOffsetBuffer().setInt(8, 1)),
                        "column s: offsets decrease at row 1: 3, 1"),
                new Case(strings("decreasing.arrows", false, s -> s.getOffsetBuffer().setInt(8, 1)),
                        "column s: offsets decrease at row 1: 3, 1"),
                new Case(strings("negative.arrow", true, s -> s.getOffsetBuffer().setInt(0, -2)),
                        "column s: a negative first offset -2"),
                new Case(strings("not-utf8.arrow", true, s -> s.getDataBuffer().setByte(3, 0xC3)),
                        "column s: Non-UTF-8 data in VarCharVector at position 1"),
                new Case(lyingNullCount("nulls.arrows"),
                        "column i: a null count of 0 but its validity bitmap marks 3 of 8 values null"),
                new Case(dictionaryIndexOutOfRange("dictionary.arrow"),
                        "column colour: dictionary index 7 at row 1 outside dictionary 1 of 3 values"),
                new Case(decimalBeyondPrecision("decimal.arrow"),
                        "column d: decimal 123456 at row 1 has more than its precision of 5 digits"),
                // refused from the file's footer or the stream's schema message, before Arrow Java reads the schema
                new Case(nested("deep.arrow", 70), "nests types more than 64 levels deep (the limit)"),
                new Case(nested("deep.arrows", 70, false), "nests types more than 64 levels deep (the limit)"));
        assertThat(Cli.run("put", "-s", socket, nested("deep-enough.arrow", 64).toString()).exit())
                .as("64 levels are fine").isZero();
        List<ObjectId> before = objects();
        for (Case c : cases) {
            Cli put = Cli.run("put", "-s", socket, c.file().toString(), "--key", "bad");
            assertThat(put.exit()).as(c.file() + ": " + put.out() + put.err()).isEqualTo(1);
            assertThat(put.err()).as(c.file().toString()).startsWith("quiver put: cannot read " + c.file() + " as an "
                    + "Arrow IPC").contains(c.why());
            assertThat(put.err().lines().count()).as("one line, no stack trace: " + put.err()).isEqualTo(1);
            assertThat(objects()).as("nothing stored for " + c.file()).isEqualTo(before);
        }
    }

    // ------------------------------------------------------------------------------------------ metadata

    @Test
    void schemaAndFieldMetadataAsPandasWritesItLoadAndSurviveTheRoundTrip() throws Exception {
        Map<String, String> schemaMetadata = new LinkedHashMap<>();
        schemaMetadata.put("pandas", "{\"index_columns\": [{\"kind\": \"range\", \"start\": 0, \"stop\": 3}], "
                + "\"columns\": [{\"name\": \"city\", \"pandas_type\": \"unicode\"}], \"pandas_version\": \"3.0.6\"}");
        schemaMetadata.put("origin", "sensor-7");
        Map<String, String> fieldMetadata = Map.of("unit", "celsius", "PARQUET:field_id", "2");
        Schema schema = new Schema(List.of(Field.nullable("city", ArrowType.Utf8.INSTANCE),
                new Field("temp", new FieldType(true, new ArrowType.Int(32, true), null, fieldMetadata), null)),
                schemaMetadata);
        Path file;
        Path stream;
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            VarCharVector city = (VarCharVector) root.getVector(0);
            IntVector temp = (IntVector) root.getVector(1);
            String[] cities = {"Lisbon", "Oslo", "Quito"};
            for (int i = 0; i < cities.length; i++) {
                city.setSafe(i, cities[i].getBytes(StandardCharsets.UTF_8));
                temp.setSafe(i, 10 * i);
            }
            root.setRowCount(cities.length);
            file = write("pandas.arrow", root, null, true);
            stream = write("pandas.arrows", root, null, false);
        }
        for (Path p : List.of(file, stream)) {
            String key = p.getFileName().toString().replace('.', '-');
            Cli put = Cli.run("put", "-s", socket, p.toString(), "--key", key);
            assertThat(put.exit()).as(put.err()).isZero();
            assertThat(put.out()).startsWith("put " + key + ": 3 rows, 2 columns");
            for (String out : List.of("back.arrow", "back.arrows")) {
                Path back = dir.resolve(key + "-" + out);
                Cli get = Cli.run("get", "-s", socket, key, "-o", back.toString());
                assertThat(get.exit()).as(get.err()).isZero();
                try (FileChannel ch = FileChannel.open(back);
                     ArrowReader r = out.endsWith(".arrow") ? new ArrowFileReader(ch, allocator)
                             : new ArrowStreamReader(ch, allocator)) {
                    Schema got = r.getVectorSchemaRoot().getSchema();
                    assertThat(got.getCustomMetadata()).as(back.toString()).isEqualTo(schemaMetadata);
                    assertThat(got.findField("temp").getMetadata()).isEqualTo(fieldMetadata);
                    assertThat(r.loadNextBatch()).isTrue();
                    assertThat(r.getVectorSchemaRoot().contentToTSVString())
                            .isEqualTo("city\ttemp\nLisbon\t0\nOslo\t10\nQuito\t20\n");
                }
            }
            try (Shelf shelf = Shelf.of(client, allocator)) {
                ShelfEntry e = shelf.entry(key).orElseThrow();
                assertThat(e.schema().getCustomMetadata()).isEqualTo(schemaMetadata);
                try (StoredTable t = shelf.getArrow(key)) {
                    assertThat(t.schema().getCustomMetadata()).isEqualTo(schemaMetadata);
                }
                try (Table t = shelf.get(key)) { // Arrow's Table keeps field metadata (it has no schema metadata)
                    assertThat(t.getSchema().findField("temp").getMetadata()).isEqualTo(fieldMetadata);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ CSV

    @Test
    void getWritesCsvThroughDuckDbAndRefusesAnExtensionItDoesNotWrite() throws Exception {
        Path source = dir.resolve("source.parquet");
        try (Statement s = duckdb.createStatement()) {
            s.execute("COPY (SELECT range AS id, 'name ' || range AS name, range * 0.5 AS x, "
                    + "CASE WHEN range % 4 = 0 THEN NULL ELSE range % 9 END AS maybe FROM range(1000)) TO '" + source
                    + "' (FORMAT PARQUET)");
        }
        assertThat(Cli.run("put", "-s", socket, source.toString(), "--key", "t").exit()).isZero();

        Path csv = dir.resolve("t.csv");
        Cli get = Cli.run("get", "-s", socket, "t", "--out", csv.toString());
        assertThat(get.exit()).as(get.err()).isZero();
        assertThat(get.out()).contains("to " + csv + ": CSV");
        assertThat(Files.readAllLines(csv).getFirst()).isEqualTo("id,name,x,maybe");
        Path tsv = dir.resolve("t.tsv");
        assertThat(Cli.run("get", "-s", socket, "t", "--out", tsv.toString()).exit()).isZero();
        assertThat(Files.readAllLines(tsv).getFirst()).isEqualTo("id\tname\tx\tmaybe");
        for (Path p : List.of(csv, tsv)) {
            String read = "read_csv('" + p + "')";
            assertThat(count("SELECT count(*) FROM " + read)).isEqualTo(1000);
            assertThat(count("SELECT count(*) FROM (SELECT * FROM '" + source + "' EXCEPT ALL SELECT * FROM "
                    + read + ")")).as("rows of the source missing from " + p).isZero();
        }

        List<ObjectId> before = objects();
        for (String name : List.of("t.json", "t.xlsx", "t.arrow.gz")) {
            Path out = dir.resolve(name);
            Cli refused = Cli.run("get", "-s", socket, "t", "--out", out.toString());
            assertThat(refused.exit()).as(name).isEqualTo(1);
            assertThat(refused.err()).startsWith("quiver get: quiver get does not write ." + name.substring(
                    name.lastIndexOf('.') + 1) + " files").contains(".arrow", ".arrows", ".parquet", ".csv",
                    "--format");
            assertThat(out).doesNotExist();
        }
        Path forced = dir.resolve("t.data");
        assertThat(Cli.run("get", "-s", socket, "t", "--out", forced.toString(), "--format", "csv").exit())
                .as("--format names the format whatever the extension").isZero();
        assertThat(Files.readAllLines(forced).getFirst()).isEqualTo("id,name,x,maybe");
        assertThat(objects()).isEqualTo(before);
    }

    @Test
    void csvWithSemicolonsOrTabsLoadsAsItsColumns() throws Exception {
        List<ObjectId> before = objects();
        Map<String, String> files = new LinkedHashMap<>();
        files.put("semicolons.csv", "id;name;price\n1;apple;0,5\n2;pear;1,25\n3;plum;2\n");
        files.put("tabs.csv", "id\tname\tprice\n1\tapple\t0.5\n2\tpear\t1.25\n3\tplum\t2\n");
        files.put("pipes.txt", "id|name|price\n1|apple|0.5\n2|pear|1.25\n3|plum|2\n");
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path p = dir.resolve(f.getKey());
            Files.writeString(p, f.getValue());
            Cli put = Cli.run("put", "-s", socket, p.toString());
            assertThat(put.exit()).as(put.err()).isZero();
            assertThat(put.out()).as(f.getKey()).contains(": 3 rows, 3 columns");
        }
        try (Shelf shelf = Shelf.of(client, allocator)) {
            assertThat(shelf.entry("tabs").orElseThrow().schema().getFields()).extracting(Field::getName)
                    .containsExactly("id", "name", "price");
        }

        Path given = dir.resolve("given.csv");
        Files.writeString(given, "a;b\n1;x\n2;y\n");
        Cli explicit = Cli.run("put", "-s", socket, given.toString(), "--delimiter", ";");
        assertThat(explicit.exit()).as(explicit.err()).isZero();
        assertThat(explicit.out()).startsWith("put given: 2 rows, 2 columns");
        List<ObjectId> loaded = new ArrayList<>(objects());

        Cli bad = Cli.run("put", "-s", socket, given.toString(), "--key", "bad", "--delimiter", ";;");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("--delimiter takes one character", "got ';;'");
        assertThat(objects()).isEqualTo(loaded).hasSize(before.size() + 4);
    }
}
