package dev.quiver.arrow;

import static dev.quiver.arrow.ArrowChecks.assertAllBuffersInside;
import static dev.quiver.arrow.ArrowChecks.assertSameBatch;
import static dev.quiver.arrow.ArrowChecks.assertSameDictionaries;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.arrow.RandomArrow.Col;
import dev.quiver.arrow.RandomArrow.Dict;
import dev.quiver.arrow.RandomArrow.Kind;
import dev.quiver.arrow.RandomArrow.Leaf;
import dev.quiver.arrow.RandomArrow.Nested;
import dev.quiver.arrow.RandomArrow.Spec;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectId;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.table.Table;
import org.apache.arrow.vector.types.Types.MinorType;
import org.apache.arrow.vector.types.pojo.ArrowType;

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

    @BeforeContainer
    static void startStore() throws IOException {
        store = RunningStore.started(256L << 20);
        client = store.client();
        allocator = new RootAllocator();
        arrow = new ArrowStore(client, allocator);
    }

    @AfterContainer
    static void stopStore() {
        allocator.close();
        store.close();
    }

    /** Checked at the end of each test, not in an {@code @AfterProperty}: jqwik reports that instead of the test's. */
    private static void assertNothingLeaks() {
        assertThat(allocator.getAllocatedMemory()).as("bytes still allocated").isZero();
        assertThat(client.list()).as("objects left in the store").isEmpty();
    }

    // ------------------------------------------------------------------------------------------------ examples

    @Example
    void everyTypeWithSomeNulls() throws Exception {
        roundTrip(new Spec(RandomArrow.everyType(), RandomArrow.rows(100, 0, 1000, 37), 0.3, 1));
    }

    @Example
    void everyTypeWithoutNulls() throws Exception {
        roundTrip(new Spec(RandomArrow.everyType(), RandomArrow.rows(64, 65), 0, 2));
    }

    @Example
    void everyTypeAllNull() throws Exception {
        roundTrip(new Spec(RandomArrow.everyType(), RandomArrow.rows(9, 1), 1, 3));
    }

    @Example
    void aStreamWithASchemaAndNoBatchIsAnEmptyTable() throws Exception {
        roundTrip(new Spec(RandomArrow.everyType(), List.of(), 0.5, 4));
    }

    @Example
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

    @Example
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

    @Example
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

    @Example
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

    @Property(tries = 250)
    void randomTablesRoundTrip(@ForAll("tables") Spec spec) throws Exception {
        roundTrip(spec);
    }

    @Provide
    Arbitrary<Spec> tables() {
        return Combinators.combine(
                column(2).list().ofMinSize(1).ofMaxSize(6),
                Arbitraries.integers().between(0, 300).list().ofMaxSize(4),
                Arbitraries.of(0.0, 0.1, 0.5, 1.0),
                Arbitraries.longs()).as(Spec::new);
    }

    private static Arbitrary<Col> column(int depth) {
        Arbitrary<Col> leaf = Combinators.combine(leafType(), Arbitraries.of(true, false))
                .as((t, nullable) -> new Leaf(t, nullable || t instanceof ArrowType.Null));
        Arbitrary<Col> dict = Combinators.combine(Arbitraries.of(RandomArrow.DICTIONARY_VALUE_TYPES),
                Arbitraries.of(RandomArrow.DICTIONARY_INDEX_TYPES), Arbitraries.integers().between(1, 40),
                Arbitraries.of(true, false)).as(Dict::new);
        if (depth == 0) {
            return Arbitraries.frequencyOf(Tuple.of(8, leaf), Tuple.of(1, dict));
        }
        Arbitrary<Col> child = Arbitraries.lazy(() -> column(depth - 1));
        Arbitrary<Boolean> nullable = Arbitraries.of(true, false);
        Arbitrary<Col> list = Combinators.combine(
                Arbitraries.of(Kind.LIST, Kind.LARGE_LIST, Kind.LIST_VIEW, Kind.LARGE_LIST_VIEW), nullable, child)
                .as((k, n, c) -> new Nested(k, n, 0, List.of(c)));
        // Arrow Java 19 cannot make a fixed-size list of unions from a schema (it compares the union's type ids
        // before the union has children): such a column can be neither written nor read by it.
        Arbitrary<Col> fixed = Combinators.combine(nullable, Arbitraries.integers().between(1, 4),
                        child.filter(c -> !(c instanceof Nested n && (n.kind() == Kind.DENSE_UNION
                                || n.kind() == Kind.SPARSE_UNION))))
                .as((n, size, c) -> new Nested(Kind.FIXED_SIZE_LIST, n, size, List.of(c)));
        Arbitrary<Col> struct = Combinators.combine(nullable, child.list().ofMinSize(1).ofMaxSize(4))
                .as((n, cs) -> new Nested(Kind.STRUCT, n, 0, cs));
        Arbitrary<Col> map = Combinators.combine(nullable,
                        leafType().filter(t -> !(t instanceof ArrowType.Null)).map(t -> (Col) new Leaf(t, false)),
                        child)
                .as((n, k, v) -> new Nested(Kind.MAP, n, 0, List.of(k, v)));
        Arbitrary<Col> dense = Combinators.combine(nullable, Arbitraries.integers().between(1, 40),
                        child.list().ofMinSize(1).ofMaxSize(4))
                .as((n, idStep, cs) -> new Nested(Kind.DENSE_UNION, n, idStep, cs));
        Arbitrary<Col> sparse = Combinators.combine(nullable, leafType()
                        .filter(TableRoundTripTest::sparseUnionMember)
                        .map(t -> (Col) new Leaf(t, true))
                        .list().ofMinSize(1).ofMaxSize(4).uniqueElements(RandomArrow::minorType))
                .as((n, cs) -> new Nested(Kind.SPARSE_UNION, n, 0, cs));
        Arbitrary<Col> ree = Combinators.combine(Arbitraries.of(16, 32, 64), child)
                .as((width, c) -> new Nested(Kind.RUN_END_ENCODED, true, width, List.of(c)));
        return Arbitraries.frequencyOf(
                Tuple.of(6, leaf), Tuple.of(1, dict), Tuple.of(2, list),
                Tuple.of(1, fixed), Tuple.of(1, struct), Tuple.of(1, map),
                Tuple.of(1, dense), Tuple.of(1, sparse), Tuple.of(1, ree));
    }

    private static Arbitrary<ArrowType> leafType() {
        Arbitrary<ArrowType> decimal128 = Combinators.combine(Arbitraries.integers().between(1, 38),
                        Arbitraries.integers().between(0, 38))
                .as((p, s) -> new ArrowType.Decimal(p, Math.min(p, s), 128));
        Arbitrary<ArrowType> decimal256 = Combinators.combine(Arbitraries.integers().between(1, 76),
                        Arbitraries.integers().between(0, 76))
                .as((p, s) -> new ArrowType.Decimal(p, Math.min(p, s), 256));
        Arbitrary<ArrowType> fixedBinary = Arbitraries.integers().between(1, 40).map(ArrowType.FixedSizeBinary::new);
        return Arbitraries.frequencyOf(Tuple.of(20, Arbitraries.of(RandomArrow.LEAF_TYPES)),
                Tuple.of(1, decimal128), Tuple.of(1, decimal256),
                Tuple.of(1, fixedBinary));
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
