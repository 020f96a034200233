package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.quiver.arrow.RandomArrow;
import dev.quiver.arrow.RandomArrow.Col;
import dev.quiver.arrow.RandomArrow.Dict;
import dev.quiver.arrow.RandomArrow.Kind;
import dev.quiver.arrow.RandomArrow.Leaf;
import dev.quiver.arrow.RandomArrow.Nested;
import dev.quiver.arrow.RandomArrow.Spec;
import dev.quiver.arrow.Shelf;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.testing.Theories;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.table.Table;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * A corpus of mutated Arrow IPC files and streams through quiver put: valid files (random tables of the types that
 * every output format takes) with bytes of their buffers and metadata overwritten. Every mutated file is either
 * refused, with one line saying what is wrong and nothing stored, or accepted, and then it reads back identically as
 * an Arrow IPC file and stream and through the shelf, and DuckDB writes it as Parquet and CSV with every row (or, for
 * valid values DuckDB cannot represent, such as a timestamp beyond its range, refuses in one line and writes nothing).
 */
class MutatedArrowFilesTest {
    private static RunningStore store;
    private static QuiverClient client;
    private static BufferAllocator allocator;
    private static Connection duckdb;
    private static Path dir;
    private static byte[] validFile;
    private static byte[] validStream;

    /** Columns of types that DuckDB takes too: the Parquet and CSV outputs must work for the valid table. */
    private static final List<Col> COLUMNS = List.of(
            new Leaf(new ArrowType.Int(32, true), true),
            new Leaf(new ArrowType.Int(64, true), false),
            new Leaf(ArrowType.Utf8.INSTANCE, true),
            new Leaf(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), true),
            new Leaf(ArrowType.Bool.INSTANCE, true),
            new Leaf(new ArrowType.Date(DateUnit.DAY), true),
            new Leaf(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), true),
            new Leaf(new ArrowType.Decimal(9, 2, 128), true),
            new Nested(Kind.LIST, true, 0, List.of(new Leaf(new ArrowType.Int(64, true), true))),
            new Nested(Kind.STRUCT, true, 0, List.of(new Leaf(ArrowType.Utf8.INSTANCE, true),
                    new Leaf(new ArrowType.Int(32, true), true))),
            new Dict(ArrowType.Utf8.INSTANCE, new ArrowType.Int(32, true), 5, true));

    @BeforeAll
    static void start() throws Exception {
        store = RunningStore.started(64L << 20);
        client = store.client();
        allocator = new RootAllocator();
        duckdb = DriverManager.getConnection("jdbc:duckdb:");
        dir = Files.createTempDirectory("quiver-mutated");
        validFile = write(true);
        validStream = write(false);
    }

    @AfterAll
    static void stop() throws Exception {
        duckdb.close();
        allocator.close();
        store.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static byte[] write(boolean fileFormat) throws IOException {
        Path p = dir.resolve(fileFormat ? "valid.arrow" : "valid.arrows");
        try (RandomArrow.Table t = RandomArrow.table(new Spec(COLUMNS, RandomArrow.rows(9, 4), 0.25, 7), allocator);
             VectorSchemaRoot root = VectorSchemaRoot.create(t.schema, allocator);
             FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             ArrowWriter w = fileFormat ? new ArrowFileWriter(root, t.dictionaries, ch)
                     : new ArrowStreamWriter(root, t.dictionaries, ch)) {
            w.start();
            for (int i = 0; i < t.batchCount(); i++) {
                try (VectorSchemaRoot batch = t.batch(i);
                     ArrowRecordBatch records = new VectorUnloader(batch).getRecordBatch()) {
                    new VectorLoader(root).load(records);
                }
                w.writeBatch();
            }
            w.end();
        }
        return Files.readAllBytes(p);
    }

    /** Overwrites {@code width} bytes (1 or 4) at a position given as a fraction of the file, little-endian. */
    record Mutation(double at, int width, int value) {
        void apply(byte[] b) {
            int p = (int) Math.min(b.length - width, at * b.length);
            for (int i = 0; i < width; i++) {
                b[p + i] = (byte) (value >>> (8 * i));
            }
        }
    }

    /** A file or a stream, and what is overwritten in it. */
    record Case(boolean fileFormat, List<Mutation> mutations) {}

    static Gen<Case> cases() {
        Gen<Integer> values = Generate.oneOf(integers().all(),
                Generate.pick(List.of(0, 1, -1, 7, 8, 64, 255, 0x7FFFFFFF, Integer.MIN_VALUE, 1 << 20)));
        Gen<List<Mutation>> mutations = lists().of(doubles().between(0, 1)
                .zip(Generate.pick(List.of(1, 4)), values, Mutation::new)).ofSizeBetween(1, 3);
        return booleans().all().zip(mutations, Case::new);
    }

    @Test
    void theValidFilesGoThroughEveryFormat() throws Exception {
        assertThat(putAndGet(validFile.clone(), true)).isTrue();
        assertThat(putAndGet(validStream.clone(), false)).isTrue();
        for (String name : List.of("out.parquet", "out.csv")) {
            assertThat(dir.resolve(name)).as("DuckDB writes the valid table").exists();
        }
    }

    @Test
    void aMutatedFileIsRefusedOrReadsBackIdentically() {
        Theories.check(120, qt -> qt.forAll(cases()).checkAssert(Theories.unchecked(c -> {
            byte[] bytes = (c.fileFormat() ? validFile : validStream).clone();
            c.mutations().forEach(m -> m.apply(bytes));
            putAndGet(bytes, c.fileFormat());
        })));
    }

    /** Puts the bytes as a file; if accepted, checks every output and returns true. The store is empty after. */
    private static boolean putAndGet(byte[] bytes, boolean fileFormat) throws Exception {
        Path in = dir.resolve(fileFormat ? "in.arrow" : "in.arrows");
        Files.write(in, bytes);
        String socket = store.server().socket().toString();
        Cli put = Cli.run("put", "-s", socket, in.toString(), "--key", "m");
        try {
            if (put.exit() != 0) {
                // unreadable or invalid; or valid, but larger once written than the store (a mutated row count of a
                // column whose buffers may be left out, say)
                assertThat(put.err()).satisfiesAnyOf(
                        e -> assertThat(e).startsWith("quiver put: cannot read " + in + " as an Arrow IPC"),
                        e -> assertThat(e).startsWith("quiver put: ").contains("can never fit"));
                assertThat(put.err().lines().count()).as("one line: " + put.err()).isEqualTo(1);
                assertThat(client.list()).as("nothing stored after: " + put.err()).isEmpty();
                return false;
            }
            String accepted = ArrowFileText.of(in, fileFormat, allocator);
            for (String name : List.of("out.arrow", "out.arrows")) {
                Path out = dir.resolve(name);
                Cli get = Cli.run("get", "-s", socket, "m", "-o", out.toString());
                assertThat(get.exit()).as(get.err()).isZero();
                assertThat(ArrowFileText.of(out, name.endsWith(".arrow"), allocator)).isEqualTo(accepted);
            }
            long rows;
            try (Shelf shelf = Shelf.of(client, allocator); Table t = shelf.get("m")) {
                rows = t.getRowCount();
            }
            for (String name : List.of("out.parquet", "out.csv")) {
                Path out = dir.resolve(name);
                Files.deleteIfExists(out);
                Cli get = Cli.run("get", "-s", socket, "m", "-o", out.toString());
                if (get.exit() != 0) {
                    // valid Arrow that DuckDB cannot represent (a timestamp beyond its range, say): a clear refusal
                    assertThat(get.err()).as(name).startsWith("quiver get: DuckDB could not write ");
                    assertThat(get.err().lines().count()).as("one line: " + get.err()).isEqualTo(1);
                    assertThat(out).doesNotExist();
                    continue;
                }
                if (name.endsWith(".parquet")) {
                    assertThat(count("SELECT count(*) FROM '" + out + "'")).isEqualTo(rows);
                } else { // random text (quotes, line breaks, NULs) defeats read_csv's sniffer: written is checked
                    assertThat(Files.size(out)).as(name).isPositive();
                }
            }
            return true;
        } finally {
            try (Shelf shelf = Shelf.of(client, allocator)) {
                shelf.deleteAll();
            }
        }
    }

    private static long count(String query) throws SQLException {
        try (Statement s = duckdb.createStatement(); ResultSet r = s.executeQuery(query)) {
            r.next();
            return r.getLong(1);
        }
    }
}
