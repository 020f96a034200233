package dev.quiver.arrow;

import static dev.quiver.arrow.ArrowChecks.assertAllBuffersInside;
import static dev.quiver.arrow.ArrowChecks.assertSameBatch;
import static dev.quiver.arrow.ArrowChecks.assertSameDictionaries;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.quiver.arrow.RandomArrow.Col;
import dev.quiver.arrow.RandomArrow.Dict;
import dev.quiver.arrow.RandomArrow.Kind;
import dev.quiver.arrow.RandomArrow.Leaf;
import dev.quiver.arrow.RandomArrow.Nested;
import dev.quiver.arrow.RandomArrow.Spec;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.testing.Theories;
import dev.quiver.protocol.ObjectId;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.table.Table;
import org.apache.arrow.vector.types.Types.MinorType;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Round trips of random tables through the store: every type Arrow Java 19 supports in IPC (see
 * {@link RandomArrow#LEAF_TYPES}, the nested {@link Kind}s and dictionary encodings), nested, with nulls, in several
 * batches per object, written with {@link ArrowStore} and read back zero-copy, compared value by value with the
 * originals (regenerated from the spec's seed). Each object's bytes are also read by Arrow's own
 * {@link ArrowStreamReader}: what Quiver stores is a standard Arrow IPC stream.
 */
class TableRoundTripTest {
    private static RunningStore store;
    private static QuiverClient client;
    private static BufferAllocator allocator;
    private static ArrowStore arrow;

    @BeforeAll
    static void startStore() throws IOException {
        store = RunningStore.started(256L << 20);
        client = store.client();
        allocator = new RootAllocator();
        arrow = new ArrowStore(client, allocator);
    }

    @AfterAll
    static void stopStore() {
        allocator.close();
        store.close();
    }

    /** Checked at the end of each round trip: after every generated example, not only after each test. */
    private static void assertNothingLeaks() {
        assertThat(allocator.getAllocatedMemory()).as("bytes still allocated").isZero();
        assertThat(client.list()).as("objects left in the store").isEmpty();
    }

    // ------------------------------------------------------------------------------------------------ examples

    @Test
    void everyTypeWithSomeNulls() throws Exception {
        roundTrip(new Spec(RandomArrow.everyType(), RandomArrow.rows(100, 0, 1000, 37), 0.3, 1));
    }

    @Test
    void everyTypeWithoutNulls() throws Exception {
        roundTrip(new Spec(RandomArrow.everyType(), RandomArrow.rows(64, 65), 0, 2));
    }

    @Test
    void everyTypeAllNull() throws Exception {
        roundTrip(new Spec(RandomArrow.everyType(), RandomArrow.rows(9, 1), 1, 3));
    }

    @Test
    void aStreamWithASchemaAndNoBatchIsAnEmptyTable() throws Exception {
        roundTrip(new Spec(RandomArrow.everyType(), List.of(), 0.5, 4));
    }

    @Test
    void batchesFromAnyAllocatorAreWrittenAndLeftAsTheyWere() throws Exception {
        // Batches made with another root allocator than the ArrowStore's: loading them into a root of the store's
        // allocator, as the first writer did, fails ("allocators that share the same root").
        Spec spec = new Spec(RandomArrow.everyType(), RandomArrow.rows(30, 12), 0.2, 8);
        ObjectId id = ObjectId.random();
        try (BufferAllocator elsewhere = new RootAllocator();
             RandomArrow.Table t = RandomArrow.table(spec, elsewhere)) {
            List<VectorSchemaRoot> batches = List.of(t.batch(0), t.batch(1));
            try {
                arrow.write(id, t.schema, batches, t.dictionaries);
                for (int i = 0; i < batches.size(); i++) {
                    try (VectorSchemaRoot expected = t.batch(i)) {
                        assertSameBatch(expected, batches.get(i), "batch " + i + " after writing it");
                    }
                }
                try (StoredTable read = arrow.read(id, 0)) {
                    for (int i = 0; i < batches.size(); i++) {
                        assertSameBatch(batches.get(i), read.batches().get(i), "batch " + i + " read");
                    }
                }
            } finally {
                batches.forEach(VectorSchemaRoot::close);
            }
        } finally {
            deleteIfPresent(id);
        }
        assertNothingLeaks();
    }

    @Test
    void inconsistentBatchesAreRefusedBeforeAnythingIsCreated() throws Exception {
        Spec spec = new Spec(List.of(new Leaf(ArrowType.Utf8.INSTANCE, true),
                new RandomArrow.Dict(ArrowType.Utf8.INSTANCE, new ArrowType.Int(32, true), 3, true)),
                RandomArrow.rows(10), 0.2, 9);
        ObjectId id = ObjectId.random();
        try (RandomArrow.Table t = RandomArrow.table(spec, allocator); VectorSchemaRoot batch = t.batch(0)) {
            batch.setRowCount(10);
            batch.getVector(0).setValueCount(7); // a column shorter than the batch
            assertThatThrownBy(() -> arrow.write(id, t.schema, List.of(batch), t.dictionaries))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has 7 values");
            batch.getVector(0).setValueCount(10);
            assertThatThrownBy(() -> arrow.write(id, t.schema, List.of(batch), null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no dictionary with id [0]");
            try (VectorSchemaRoot other = VectorSchemaRoot.create(new org.apache.arrow.vector.types.pojo.Schema(
                    List.of(t.schema.getFields().getFirst())), allocator)) {
                assertThatThrownBy(() -> arrow.write(id, t.schema, List.of(other), t.dictionaries))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fields differ");
            }
        }
        assertThat(client.contains(id)).as("no object was created").isFalse();
        assertNothingLeaks();
    }

    @Test
    void anArrowTableRoundTrips() throws Exception {
        // Arrow's Table takes vectors over with TransferPairs, which in Arrow Java 19 lose the children of dense
        // unions whose type ids are not 0..n-1 and of sparse unions not named as Arrow Java names them: this table
        // has dense unions with ids 0..n-1 and no sparse union (see toTableRefusesUnionsThatArrowsTableWouldBreak).
        List<Col> columns = RandomArrow.everyType(1).stream()
                .filter(c -> !(c instanceof Nested n && n.kind() == Kind.SPARSE_UNION)).toList();
        Spec spec = new Spec(columns, RandomArrow.rows(500), 0.2, 5);
        ObjectId id = ObjectId.random();
        try (RandomArrow.Table t = RandomArrow.table(spec, allocator);
             VectorSchemaRoot batch = t.batch(0);
             Table table = new Table(batch.getFieldVectors(), batch.getRowCount(), t.dictionaries);
             VectorSchemaRoot expected = t.batch(0)) {
            assertSameColumns(expected, table, "the table as Arrow made it");
            arrow.write(id, table);
            assertThat(table.getRowCount()).isEqualTo(500);
            assertSameColumns(expected, table, "the written table, still intact");

            try (StoredTable read = arrow.read(id, 0)) {
                Table back = read.toTable();
                assertThat(read.toTable()).as("one table per object").isSameAs(back);
                assertThat(back.getRowCount()).isEqualTo(500);
                assertThat(back.getSchema()).isEqualTo(table.getSchema());
                assertSameColumns(expected, back, "the table read");
                assertSameDictionaries(t.dictionaries, back.getDictionaryProvider(), "the table's dictionaries");
                assertAllBuffersInside(view(back), client.arenaAddress(), client.capacity(), "the table read");
            }
        } finally {
            deleteIfPresent(id);
        }
        assertNothingLeaks();
    }

    @Test
    void toTableRefusesUnionsThatArrowsTableWouldBreak() throws Exception {
        Col int64 = new Leaf(new ArrowType.Int(64, true), true);
        Col utf8 = new Leaf(ArrowType.Utf8.INSTANCE, true);
        for (Col union : List.of(new Nested(Kind.DENSE_UNION, true, 5, List.of(int64, utf8)),
                new Nested(Kind.SPARSE_UNION, true, 0, List.of(int64, utf8)),
                new Nested(Kind.STRUCT, true, 0,
                        List.of(new Nested(Kind.DENSE_UNION, true, 2, List.of(utf8, int64)))))) {
            Spec spec = new Spec(List.of(union), RandomArrow.rows(20), 0.2, 6);
            ObjectId id = ObjectId.random();
            try (RandomArrow.Table t = RandomArrow.table(spec, allocator)) {
                arrow.write(id, t.schema, t.batches(), t.dictionaries);
                try (StoredTable read = arrow.read(id, 0); VectorSchemaRoot expected = t.batch(0)) {
                    assertThatThrownBy(read::toTable).as(union.toString())
                            .isInstanceOf(UnsupportedOperationException.class)
                            .hasMessageContaining("union").hasMessageContaining("use batches()");
                    assertSameBatch(expected, read.batches().getFirst(), "the batch, still usable");
                }
            } finally {
                deleteIfPresent(id);
            }
        }
        assertNothingLeaks();
    }

    /**
     * Compares a table's columns with a batch's, through a view of the table's own vectors. Values only: a Table's
     * schema is made of its vectors' fields, where Arrow Java names every list's child "$data$".
     */
    private static void assertSameColumns(VectorSchemaRoot expected, Table table, String what) {
        VectorSchemaRoot actual = view(table);
        assertThat(actual.getRowCount()).as(what + ": rows").isEqualTo(expected.getRowCount());
        for (int c = 0; c < expected.getFieldVectors().size(); c++) {
            ArrowChecks.assertSameVector(expected.getVector(c), actual.getVector(c), false, what + ", column " + c);
        }
    }

    /** A root over a table's own vectors (Arrow's Table hands out copies only); never close it: the table owns them. */
    private static VectorSchemaRoot view(Table table) {
        VectorSchemaRoot view = new VectorSchemaRoot(ArrowStore.TableVectors.of(table));
        view.setRowCount((int) table.getRowCount());
        return view;
    }

    // ------------------------------------------------------------------------------------------------ property

    @Test
    void randomTablesRoundTrip() {
        Theories.check(250, qt -> qt.forAll(tables()).checkAssert(Theories.unchecked(TableRoundTripTest::roundTrip)));
    }

    static Gen<Spec> tables() {
        return lists().of(column(2)).ofSizeBetween(1, 6).zip(
                lists().of(integers().between(0, 300)).ofSizeBetween(0, 4),
                Generate.pick(List.of(0.0, 0.1, 0.5, 1.0)),
                longs().all(), Spec::new);
    }

    private static Gen<Col> column(int depth) {
        Gen<Boolean> nullable = booleans().all();
        Gen<Col> leaf = leafType().zip(nullable, (t, n) -> new Leaf(t, n || t instanceof ArrowType.Null));
        Gen<Col> dict = Generate.pick(RandomArrow.DICTIONARY_VALUE_TYPES).zip(
                Generate.pick(RandomArrow.DICTIONARY_INDEX_TYPES), integers().between(1, 40), nullable, Dict::new);
        if (depth == 0) {
            return Generate.frequency(Pair.of(8, leaf), Pair.of(1, dict));
        }
        Gen<Col> child = column(depth - 1);
        Gen<Col> list = Generate.pick(List.of(Kind.LIST, Kind.LARGE_LIST, Kind.LIST_VIEW, Kind.LARGE_LIST_VIEW))
                .zip(nullable, child, (k, n, c) -> new Nested(k, n, 0, List.of(c)));
        // Arrow Java 19 cannot make a fixed-size list of unions from a schema (it compares the union's type ids
        // before the union has children): such a column can be neither written nor read by it.
        Gen<Col> fixed = nullable.zip(integers().between(1, 4), child.map(TableRoundTripTest::withoutUnion),
                        (n, size, c) -> new Nested(Kind.FIXED_SIZE_LIST, n, size, List.of(c)));
        Gen<Col> struct = nullable.zip(lists().of(child).ofSizeBetween(1, 4),
                (n, cs) -> new Nested(Kind.STRUCT, n, 0, cs));
        Gen<Col> map = nullable.zip(
                        leafType().map(t -> (Col) new Leaf(t instanceof ArrowType.Null ? KEY_FOR_NULL : t, false)),
                        child, (n, k, v) -> new Nested(Kind.MAP, n, 0, List.of(k, v)));
        Gen<Col> dense = nullable.zip(integers().between(1, 40), lists().of(child).ofSizeBetween(1, 4),
                (n, idStep, cs) -> new Nested(Kind.DENSE_UNION, n, idStep, cs));
        Gen<Col> sparse = nullable.zip(lists().of(Generate.pick(SPARSE_UNION_MEMBERS)
                                .map(t -> (Col) new Leaf(t, true))).ofSizeBetween(1, 4)
                        .map(TableRoundTripTest::oneOfEachMinorType),
                (n, cs) -> new Nested(Kind.SPARSE_UNION, n, 0, cs));
        Gen<Col> ree = Generate.pick(List.of(16, 32, 64))
                .zip(child, (width, c) -> new Nested(Kind.RUN_END_ENCODED, true, width, List.of(c)));
        return Generate.frequency(List.of(
                Pair.of(6, leaf), Pair.of(1, dict), Pair.of(2, list),
                Pair.of(1, fixed), Pair.of(1, struct), Pair.of(1, map),
                Pair.of(1, dense), Pair.of(1, sparse), Pair.of(1, ree)));
    }

    /** Leaf types a sparse union can hold (the generated decimals and fixed-size binaries are never among them). */
    private static final List<ArrowType> SPARSE_UNION_MEMBERS = RandomArrow.LEAF_TYPES.stream()
            .filter(TableRoundTripTest::sparseUnionMember).toList();
    /** A map key cannot be null: a generated null type becomes this. */
    private static final ArrowType KEY_FOR_NULL = new ArrowType.Int(32, true);

    /** A union column replaced by its first child (repeatedly): generated instead of filtered, so it shrinks. */
    private static Col withoutUnion(Col c) {
        while (c instanceof Nested n && (n.kind() == Kind.DENSE_UNION || n.kind() == Kind.SPARSE_UNION)) {
            c = n.children().getFirst();
        }
        return c;
    }

    /** The first column of each minor type: a sparse union has one child per minor type. */
    private static List<Col> oneOfEachMinorType(List<Col> columns) {
        java.util.Set<MinorType> seen = new java.util.HashSet<>();
        return columns.stream().filter(c -> seen.add(RandomArrow.minorType(c))).toList();
    }

    private static Gen<ArrowType> leafType() {
        Gen<ArrowType> decimal128 = integers().between(1, 38).zip(integers().between(0, 38),
                (p, sc) -> new ArrowType.Decimal(p, Math.min(p, sc), 128));
        Gen<ArrowType> decimal256 = integers().between(1, 76).zip(integers().between(0, 76),
                (p, sc) -> new ArrowType.Decimal(p, Math.min(p, sc), 256));
        Gen<ArrowType> fixedBinary = integers().between(1, 40).map(ArrowType.FixedSizeBinary::new);
        return Generate.frequency(Pair.of(20, Generate.pick(RandomArrow.LEAF_TYPES)),
                Pair.of(1, decimal128), Pair.of(1, decimal256), Pair.of(1, fixedBinary));
    }

    /**
     * Arrow Java's sparse union keeps one child per minor type and finds it by minor type alone: it has none for null
     * or extension types, and none that works for types with parameters (decimals, fixed-size binary, durations,
     * timestamps with a time zone: its own comparison fails on them with a NullPointerException).
     */
    static boolean sparseUnionMember(ArrowType t) {
        MinorType m = org.apache.arrow.vector.types.Types.getMinorTypeForArrowType(t);
        if (m == MinorType.NULL || m == MinorType.EXTENSIONTYPE) {
            return false;
        }
        try {
            m.getType();
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------------------------------------ checks

    /** Writes the spec's table as one object, reads it back three ways, compares; deletes the object. */
    private static void roundTrip(Spec spec) throws Exception {
        ObjectId id = ObjectId.random();
        try (RandomArrow.Table t = RandomArrow.table(spec, allocator)) {
            long size = arrow.write(id, t.schema, t.batches(), t.dictionaries);
            assertThat(client.list().getFirst().dataSize()).as("the object is exactly the stream").isEqualTo(size);

            // 1. StoredTable: every batch, zero-copy, equal to the original
            try (StoredTable read = arrow.read(id, 0)) {
                assertThat(read.schema()).isEqualTo(t.schema);
                assertThat(read.rowCount()).isEqualTo(t.rowCount());
                assertThat(read.batches()).hasSize(Math.max(1, t.batchCount()));
                for (int i = 0; i < t.batchCount(); i++) {
                    try (VectorSchemaRoot expected = t.batch(i)) {
                        assertSameBatch(expected, read.batches().get(i), "batch " + i);
                    }
                    assertAllBuffersInside(read.batches().get(i), client.arenaAddress(), client.capacity(),
                            "batch " + i);
                }
                assertSameDictionaries(t.dictionaries, read.dictionaries(), "dictionaries");
            }

            // 2. StoreArrowReader as a plain ArrowReader: one root, reloaded per batch
            try (StoreArrowReader reader = arrow.reader(id, 0)) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                for (int i = 0; i < t.batchCount(); i++) {
                    assertThat(reader.loadNextBatch()).isTrue();
                    assertThat(reader.getVectorSchemaRoot()).isSameAs(root);
                    try (VectorSchemaRoot expected = t.batch(i)) {
                        assertSameBatch(expected, root, "reader batch " + i);
                    }
                }
                assertThat(reader.loadNextBatch()).isFalse();
                assertThat(reader.bytesRead()).isEqualTo(size);
            }

            // 3. Arrow's own stream reader over a copy of the bytes
            try (ObjectBuffer b = client.get(id, 0).orElseThrow();
                 ArrowStreamReader standard = new ArrowStreamReader(
                         new ByteArrayInputStream(b.data().toArray(JAVA_BYTE)),
                         allocator)) {
                // the digest, built from the writer's many pieces (WritableObject.write), is that of the bytes
                CRC32C crc = new CRC32C();
                crc.update(b.data().asByteBuffer());
                crc.update(b.metadata().asByteBuffer());
                assertThat(client.hash(id)).as("digest of the stored stream").isEqualTo(crc.getValue());
                assertThat(new String(b.metadata().toArray(JAVA_BYTE),
                        StandardCharsets.US_ASCII)).isEqualTo(ArrowStore.STREAM_MEDIA_TYPE);
                for (int i = 0; i < t.batchCount(); i++) {
                    assertThat(standard.loadNextBatch()).isTrue();
                    try (VectorSchemaRoot expected = t.batch(i)) {
                        assertSameBatch(expected, standard.getVectorSchemaRoot(), "Arrow's reader, batch " + i);
                    }
                }
                assertThat(standard.loadNextBatch()).isFalse();
                assertSameDictionaries(t.dictionaries, standard, "Arrow's reader, dictionaries");
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        } finally {
            deleteIfPresent(id);
        }
        assertNothingLeaks();
    }

    private static void deleteIfPresent(ObjectId id) {
        if (client.contains(id)) {
            client.delete(id);
        }
    }
}
