package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfEntry;
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
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
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
 * quiver put, get, ls and example on real files: Parquet and CSV made by DuckDB, Arrow IPC files and streams made by
 * Arrow Java's writers; malformed files of each kind leave the store unchanged.
 */
class ShelfCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ROWS = 50_000;

    @TempDir
    Path dir;
    @RegisterExtension
    final RunningStore store = new RunningStore(128 << 20);
    QuiverClient client;
    String socket;
    Connection duckdb;
    BufferAllocator allocator;

    @BeforeEach
    void start() throws Exception {
        client = store.client();
        socket = store.server().socket().toString();
        duckdb = DriverManager.getConnection("jdbc:duckdb:");
        allocator = new RootAllocator();
    }

    @AfterEach
    void stop() throws Exception {
        duckdb.close();
        allocator.close();
    }

    // ------------------------------------------------------------------------------------------------ files

    private void sql(String statement) throws SQLException {
        try (Statement s = duckdb.createStatement()) {
            s.execute(statement);
        }
    }

    private long count(String query) throws SQLException {
        try (Statement s = duckdb.createStatement(); ResultSet r = s.executeQuery(query)) {
            r.next();
            return r.getLong(1);
        }
    }

    /** A table with the usual column types, as DuckDB writes it. */
    private static final String SAMPLE = "SELECT range AS id, 'name-' || range AS name, range * 0.25 AS x, "
            + "DATE '2024-01-01' + (range % 365)::INTEGER AS day, range % 3 = 0 AS flag, "
            + "CASE WHEN range % 10 = 0 THEN NULL ELSE range % 7 END AS maybe, "
            + "TIMESTAMP '2024-01-01 00:00:00' + to_seconds(range) AS ts FROM range(" + ROWS + ")";

    private Path parquet(String name) throws SQLException {
        Path p = dir.resolve(name);
        sql("COPY (" + SAMPLE + ") TO '" + p + "' (FORMAT PARQUET)");
        return p;
    }

    private Path csv(String name) throws SQLException {
        Path p = dir.resolve(name);
        sql("COPY (SELECT id, name, x, day, flag, maybe FROM (" + SAMPLE + ")) TO '" + p + "' (HEADER)");
        return p;
    }

    /** An Arrow table in several batches, with a dictionary-encoded column. */
    private Path arrow(String name, boolean fileFormat, int batches) throws IOException {
        Path p = dir.resolve(name);
        DictionaryEncoding encoding = new DictionaryEncoding(7, false, new ArrowType.Int(32, true));
        try (VarCharVector dictValues = new VarCharVector("cities", allocator)) {
            String[] cities = {"Lisbon", "Oslo", "Quito", "Nairobi"};
            for (int i = 0; i < cities.length; i++) {
                dictValues.setSafe(i, cities[i].getBytes(StandardCharsets.UTF_8));
            }
            dictValues.setValueCount(cities.length);
            Dictionary dictionary = new Dictionary(dictValues, encoding);
            DictionaryProvider.MapDictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider(dictionary);
            Schema schema = new Schema(List.of(
                    Field.nullable("id", new ArrowType.Int(64, true)),
                    Field.nullable("label", ArrowType.Utf8.INSTANCE),
                    Field.nullable("value", new ArrowType.FloatingPoint(
                            org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE)),
                    new Field("city", new FieldType(true, new ArrowType.Int(32, true), encoding), null)));
            try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                 FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         StandardOpenOption.TRUNCATE_EXISTING);
                 ArrowWriter w = fileFormat ? new ArrowFileWriter(root, provider, ch)
                         : new ArrowStreamWriter(root, provider, ch)) {
                w.start();
                int per = ROWS / batches;
                for (int b = 0; b < batches; b++) {
                    BigIntVector id = (BigIntVector) root.getVector("id");
                    VarCharVector label = (VarCharVector) root.getVector("label");
                    Float8Vector value = (Float8Vector) root.getVector("value");
                    IntVector city = (IntVector) root.getVector("city");
                    root.allocateNew();
                    for (int r = 0; r < per; r++) {
                        long i = (long) b * per + r;
                        id.setSafe(r, i);
                        if (i % 11 == 0) {
                            label.setNull(r);
                        } else {
                            label.setSafe(r, ("label " + i).getBytes(StandardCharsets.UTF_8));
                        }
                        value.setSafe(r, i / 3.0);
                        city.setSafe(r, (int) (i % cities.length));
                    }
                    root.setRowCount(per);
                    w.writeBatch();
                }
                w.end();
            }
        }
        return p;
    }

    /** A CSV of {@code good} well-formed rows, then {@code bad}, then ten more good rows. */
    private Path csvWith(int good, String bad, String name) throws IOException {
        StringBuilder csv = new StringBuilder("id,name,x\n");
        for (int i = 0; i < good; i++) {
            csv.append(i).append(",n").append(i).append(',').append(i * 0.5).append('\n');
        }
        csv.append(bad).append('\n');
        for (int i = 0; i < 10; i++) {
            csv.append(i).append(",n").append(i).append(',').append(i * 0.5).append('\n');
        }
        Path p = dir.resolve(name);
        Files.writeString(p, csv);
        return p;
    }

    private List<ObjectId> objects() {
        return client.list().stream().map(ObjectInfo::id).toList();
    }

    private Shelf shelf() {
        return Shelf.of(client, allocator);
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    void putsAParquetFileAndGetsItBackAsParquetArrowAndArrowStream() throws Exception {
        Path source = parquet("sales.parquet");
        Cli put = Cli.run("put", "-s", socket, source.toString());
        assertThat(put.exit()).as(put.err()).isZero();
        assertThat(put.out()).startsWith("put sales: 50,000 rows, 7 columns,").contains("(version 1)", "(Parquet)");

        try (Shelf shelf = shelf()) {
            ShelfEntry e = shelf.entry("sales").orElseThrow();
            assertThat(e.rows()).isEqualTo(ROWS);
            assertThat(e.schema().getFields()).extracting(Field::getName)
                    .containsExactly("id", "name", "x", "day", "flag", "maybe", "ts");
        }

        Path back = dir.resolve("back.parquet");
        Cli get = Cli.run("get", "-s", socket, "sales", "--out", back.toString());
        assertThat(get.exit()).as(get.err()).isZero();
        assertThat(get.out()).contains("wrote sales (50,000 rows, version 1) to " + back, "Parquet");
        assertSameRows("'" + source + "'", "'" + back + "'", ROWS);

        // the Arrow formats hold the same rows: DuckDB wrote Parquet from them too
        Path file = dir.resolve("back.arrow");
        Path stream = dir.resolve("back.arrows");
        assertThat(Cli.run("get", "-s", socket, "sales", "-o", file.toString()).exit()).isZero();
        assertThat(Cli.run("get", "-s", socket, "sales", "-o", stream.toString()).exit()).isZero();
        assertThat(Files.readAllBytes(file)).startsWith("ARROW1".getBytes(StandardCharsets.US_ASCII));
        assertThat(ArrowFileText.of(file, true, allocator)).isEqualTo(ArrowFileText.of(stream, false, allocator));
        // and either loads back under another key to the same table
        assertThat(Cli.run("put", "-s", socket, file.toString(), "--key", "sales-again").exit()).isZero();
        Path again = dir.resolve("again.parquet");
        assertThat(Cli.run("get", "-s", socket, "sales-again", "-o", again.toString()).exit()).isZero();
        assertSameRows("'" + source + "'", "'" + again + "'", ROWS);
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no temporary files left")
                    .noneMatch(n -> n.contains(".quiver-"));
        }
    }

    /** Same rows, as multisets, in two relations DuckDB can scan. */
    private void assertSameRows(String a, String b, long rows) throws SQLException {
        assertThat(count("SELECT count(*) FROM " + b)).isEqualTo(rows);
        assertThat(count("SELECT count(*) FROM (SELECT * FROM " + a + " EXCEPT ALL SELECT * FROM " + b + ")"))
                .as("rows of " + a + " missing from " + b).isZero();
        assertThat(count("SELECT count(*) FROM (SELECT * FROM " + b + " EXCEPT ALL SELECT * FROM " + a + ")"))
                .as("rows of " + b + " not in " + a).isZero();
    }

    @Test
    void putsACsvFileWithTypesDetectedByDuckDb() throws Exception {
        Path source = csv("people 2024.csv");
        Cli put = Cli.run("put", "-s", socket, source.toString(), "--json");
        assertThat(put.exit()).as(put.err()).isZero();
        JsonNode json = JSON.readTree(put.out());
        assertThat(json.get("key").asText()).as("the key comes from the file name").isEqualTo("people-2024");
        assertThat(json.get("rows").asLong()).isEqualTo(ROWS);
        assertThat(json.get("format").asText()).isEqualTo("csv");

        JsonNode keys = JSON.readTree(Cli.run("ls", "-s", socket, "--keys", "--json").out());
        assertThat(keys).hasSize(1);
        assertThat(keys.get(0).get("columns").toString())
                .contains("{\"name\":\"id\",\"type\":\"int64\"}", "{\"name\":\"name\",\"type\":\"utf8\"}",
                        "{\"name\":\"x\",\"type\":\"float64\"}", "{\"name\":\"day\",\"type\":\"date32\"}",
                        "{\"name\":\"flag\",\"type\":\"bool\"}");

        Path back = dir.resolve("people.parquet");
        assertThat(Cli.run("get", "-s", socket, "people-2024", "-o", back.toString()).exit()).isZero();
        assertSameRows("read_csv('" + source + "')", "'" + back + "'", ROWS);

        Path semicolons = dir.resolve("semi.txt");
        Files.writeString(semicolons, "a;b\n1;x\n2;y\n");
        Cli semi = Cli.run("put", "-s", socket, semicolons.toString(), "--delimiter", ";", "--format", "csv");
        assertThat(semi.exit()).as(semi.err()).isZero();
        assertThat(semi.out()).startsWith("put semi: 2 rows, 2 columns");
    }

    @Test
    void putsArrowFilesAndStreamsWithDictionariesAndGetsThemBackUnchanged() throws Exception {
        Path file = arrow("cities.arrow", true, 5);
        Path stream = arrow("cities.arrows", false, 3);
        assertThat(Cli.run("put", "-s", socket, file.toString()).exit()).isZero();
        Cli put = Cli.run("put", "-s", socket, stream.toString(), "--key", "cities-stream");
        assertThat(put.exit()).as(put.err()).isZero();
        assertThat(put.out()).contains("(Arrow IPC stream)");

        Path fileBack = dir.resolve("file-back.arrow");
        Path streamBack = dir.resolve("stream-back.arrows");
        assertThat(Cli.run("get", "-s", socket, "cities", "-o", fileBack.toString()).exit()).isZero();
        assertThat(Cli.run("get", "-s", socket, "cities-stream", "-o", streamBack.toString()).exit()).isZero();
        assertThat(ArrowFileText.of(fileBack, true, allocator)).isEqualTo(ArrowFileText.of(file, true, allocator));
        assertThat(ArrowFileText.of(streamBack, false, allocator)).isEqualTo(ArrowFileText.of(stream, false, allocator));
        assertThat(ArrowFileText.of(file, true, allocator)).contains("dictionary 7: Lisbon;Oslo;Quito;Nairobi;");

        Cli ls = Cli.run("ls", "-s", socket, "--keys");
        assertThat(ls.out()).contains("KEY", "ROWS", "COLUMNS", "cities", "cities-stream", "50,000",
                "id:int64, label:utf8, value:float64, city:dictionary<utf8, int32>", "2 tables on the shelf");
        assertThat(ls.out()).doesNotContain("STATE");
    }

    @Test
    void aTakenKeyIsRefusedUnlessReplaceIsGiven() throws Exception {
        Path first = parquet("t.parquet");
        Path second = csv("t.csv");
        assertThat(Cli.run("put", "-s", socket, first.toString()).exit()).isZero();
        List<ObjectId> before = objects();

        Cli refused = Cli.run("put", "-s", socket, second.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("key 't' is already on the shelf", "--replace");
        assertThat(objects()).isEqualTo(before);

        Cli replaced = Cli.run("put", "-s", socket, second.toString(), "--replace");
        assertThat(replaced.exit()).as(replaced.err()).isZero();
        assertThat(replaced.out()).contains("6 columns", "(version 2)");
        assertThat(objects()).hasSize(1).doesNotContainAnyElementsOf(before);
    }

    @Test
    void malformedFilesAreRefusedWithAClearMessageAndLeaveTheStoreUnchanged() throws Exception {
        assertThat(Cli.run("put", "-s", socket, parquet("good.parquet").toString()).exit()).isZero();
        List<ObjectId> before = objects();

        // a Parquet file with garbage between its magic numbers
        Path garbage = dir.resolve("garbage.parquet");
        Files.write(garbage, "PAR1 this is not a parquet file at all PAR1".getBytes(StandardCharsets.US_ASCII));
        // a Parquet file cut in half
        byte[] good = Files.readAllBytes(dir.resolve("good.parquet"));
        Path truncatedParquet = dir.resolve("truncated.parquet");
        Files.write(truncatedParquet, Arrays.copyOf(good, good.length / 2));
        // CSVs with a row that has more fields than the header: far into the file, and within the first rows
        // (where DuckDB's sniffer finds no consistent dialect); and one with a value of the wrong type far in
        Path ragged = csvWith(30_000, "30000,oops,1.0,extra", "ragged.csv");
        Path raggedEarly = csvWith(100, "100,oops,1.0,extra,fields", "ragged-early.csv");
        Path mistyped = csvWith(30_000, "abc,oops,1.0", "mistyped.csv");
        // Arrow IPC file and stream, cut in the middle of a record batch
        Path arrowFile = arrow("whole.arrow", true, 2);
        Path arrowStream = arrow("whole.arrows", false, 2);
        Path truncatedFile = dir.resolve("truncated.arrow");
        Path truncatedStream = dir.resolve("truncated.arrows");
        byte[] f = Files.readAllBytes(arrowFile);
        byte[] s = Files.readAllBytes(arrowStream);
        Files.write(truncatedFile, Arrays.copyOf(f, f.length * 3 / 4));
        Files.write(truncatedStream, Arrays.copyOf(s, s.length * 3 / 4));
        // not a table at all, and nothing at all
        Path empty = dir.resolve("empty.parquet");
        Files.write(empty, new byte[0]);
        Path unknown = dir.resolve("notes.bin");
        Files.writeString(unknown, "hello");

        record Case(Path file, String message) {}
        List<Case> cases = List.of(
                new Case(garbage, "cannot read " + garbage + " as Parquet: "),
                new Case(truncatedParquet, "cannot read " + truncatedParquet + " as Parquet: "),
                new Case(ragged, "cannot read " + ragged + " as CSV: "),
                new Case(raggedEarly, "cannot read " + raggedEarly + " as CSV: "),
                new Case(mistyped, "cannot read " + mistyped + " as CSV: "),
                new Case(truncatedFile, "cannot read " + truncatedFile + " as an Arrow IPC file: "),
                new Case(truncatedStream, "cannot read " + truncatedStream + " as an Arrow IPC stream: "),
                new Case(empty, "cannot read " + empty + " as Parquet: "),
                new Case(unknown, "cannot tell the format of " + unknown),
                new Case(dir.resolve("missing.csv"), "no such file: " + dir.resolve("missing.csv")));
        List<String> messages = new ArrayList<>();
        for (Case c : cases) {
            Cli r = Cli.run("put", "-s", socket, c.file().toString(), "--key", "bad");
            assertThat(r.exit()).as(c.file() + ": " + r.err()).isEqualTo(1);
            assertThat(r.err()).as(c.file().toString()).startsWith("quiver put: " + c.message());
            assertThat(r.err().lines().count()).as("one line, no stack trace: " + r.err()).isEqualTo(1);
            assertThat(objects()).as("the store is unchanged after " + c.file()).isEqualTo(before);
            messages.add(r.err().strip());
        }
        assertThat(String.join("\n", messages)).as("DuckDB's and Arrow's reasons are passed on")
                .contains("magic", "CSV Error on Line: 30002", "Expected Number of Columns: 3 Found: 4",
                        "not possible to automatically detect the CSV parsing dialect", "--delimiter",
                        "Could not convert string \"abc\" to 'BIGINT'");
        assertThat(client.stats().objects()).isEqualTo(1);
    }

    @Test
    void getOfAMissingKeyOrToAnUnwritablePlaceFailsClearly() throws Exception {
        Cli missing = Cli.run("get", "-s", socket, "nothing-here", "-o", dir.resolve("x.arrow").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("no table under key 'nothing-here'", "quiver ls");
        assertThat(Files.exists(dir.resolve("x.arrow"))).isFalse();

        assertThat(Cli.run("put", "-s", socket, parquet("p.parquet").toString()).exit()).isZero();
        Cli nowhere = Cli.run("get", "-s", socket, "p", "-o", dir.resolve("no/such/dir/p.arrow").toString());
        assertThat(nowhere.exit()).isEqualTo(1);
        assertThat(nowhere.err()).contains("cannot write");

        Cli badKey = Cli.run("get", "-s", socket, "white space", "-o", dir.resolve("y.arrow").toString());
        assertThat(badKey.exit()).isEqualTo(1);
        assertThat(badKey.err()).contains("A-Z a-z 0-9 . _ -");
        Cli unknown = Cli.run("get", "-s", socket, "p", "-o", dir.resolve("p.json").toString());
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("does not write .json files");
    }

    @Test
    void lsShowsKeysWithSchemaRowsAndSizesThenObjects() throws Exception {
        assertThat(Cli.run("put", "-s", socket, parquet("wide.parquet").toString()).exit()).isZero();
        Cli ls = Cli.run("ls", "-s", socket);
        assertThat(ls.exit()).isZero();
        String out = ls.out();
        assertThat(out).contains("KEY", "wide", "50,000", "1 table on the shelf", "ID", "STATE", "1 objects");
        assertThat(out).contains("id:int64, name:utf8, x:decimal(");
        assertThat(out).as("a long schema is cut").contains("more");
        assertThat(out.indexOf("KEY")).isLessThan(out.indexOf("STATE"));
    }

    @Test
    void progressIsShownOnRequest() throws Exception {
        Cli put = Cli.run("put", "-s", socket, parquet("big.parquet").toString(), "--progress");
        assertThat(put.exit()).isZero();
        assertThat(put.err()).contains("reading big.parquet", "100%", "50,000 rows");
        Cli get = Cli.run("get", "-s", socket, "big", "-o", dir.resolve("big.arrow").toString(), "--progress");
        assertThat(get.err()).contains("writing big.arrow", "100%");
        Cli quiet = Cli.run("put", "-s", socket, parquet("quiet.parquet").toString(), "--no-progress");
        assertThat(quiet.err()).isEmpty();
    }
}
