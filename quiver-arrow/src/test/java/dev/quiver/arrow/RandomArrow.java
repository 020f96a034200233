package dev.quiver.arrow;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float2Vector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.IntervalDayVector;
import org.apache.arrow.vector.IntervalMonthDayNanoVector;
import org.apache.arrow.vector.IntervalYearVector;
import org.apache.arrow.vector.NullVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.TimeMilliVector;
import org.apache.arrow.vector.TimeNanoVector;
import org.apache.arrow.vector.TimeSecVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.UuidVector;
import org.apache.arrow.vector.VariableWidthFieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.DenseUnionVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.LargeListViewVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.ListViewVector;
import org.apache.arrow.vector.complex.RunEndEncodedVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.complex.UnionVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.extension.UuidType;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.IntervalUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.Types.MinorType;
import org.apache.arrow.vector.types.UnionMode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.ExtensionTypeRegistry;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Random Arrow tables for tests: a table is described by a {@link Spec} (column types, batch sizes, null
 * probability, seed), which a property test can generate and shrink, and its data follows deterministically from the
 * spec, so the same batch can be generated again to compare with what the store returns.
 *
 * <p>Covers every type Arrow Java 19 reads and writes in IPC: see {@link #LEAF_TYPES} and {@link Nested}.
 */
public final class RandomArrow {
    static {
        // Extension types are read back as such only when registered (otherwise as their storage type).
        ExtensionTypeRegistry.register(UuidType.INSTANCE);
    }

    private RandomArrow() {}

    // ------------------------------------------------------------------------------------------ column types

    /** A column's type: a tree of leaves, nested types and dictionary-encoded columns. */
    public sealed interface Col permits Leaf, Nested, Dict {
        boolean nullable();
    }

    /** A primitive column. */
    public record Leaf(ArrowType type, boolean nullable) implements Col {
        @Override
        public String toString() {
            return type + (nullable ? "" : " not null");
        }
    }

    /** The nested kinds. */
    public enum Kind { LIST, LARGE_LIST, FIXED_SIZE_LIST, LIST_VIEW, LARGE_LIST_VIEW, STRUCT, MAP, DENSE_UNION, SPARSE_UNION,
        RUN_END_ENCODED }

    /**
     * A nested column. {@code param}: the list size of a fixed-size list, the run-end width of a run-end encoded
     * column, the step between the type ids of a dense union (see {@link #denseTypeIds}); unused otherwise.
     */
    public record Nested(Kind kind, boolean nullable, int param, List<Col> children) implements Col {
        @Override
        public String toString() {
            return kind + (param != 0 ? "(" + param + ")" : "") + children + (nullable ? "" : " not null");
        }
    }

    /** A dictionary-encoded column: indices of {@code indexType} into a dictionary of {@code dictionarySize} values. */
    public record Dict(ArrowType valueType, ArrowType.Int indexType, int dictionarySize, boolean nullable) implements Col {
        @Override
        public String toString() {
            return "Dictionary<" + valueType + ", " + indexType + ", " + dictionarySize + ">"
                    + (nullable ? "" : " not null");
        }
    }

    /** A table: columns, rows of each batch, the chance that a nullable value is null, and the data's seed. */
    public record Spec(List<Col> columns, List<Integer> batchRows, double nullChance, long seed) {}

    /** Every primitive type Arrow Java 19 supports in IPC (decimals and fixed-size binary with a few parameters). */
    static final List<ArrowType> LEAF_TYPES = List.of(
            new ArrowType.Int(8, true), new ArrowType.Int(16, true), new ArrowType.Int(32, true),
            new ArrowType.Int(64, true),
            new ArrowType.Int(8, false), new ArrowType.Int(16, false), new ArrowType.Int(32, false),
            new ArrowType.Int(64, false),
            new ArrowType.FloatingPoint(FloatingPointPrecision.HALF),
            new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
            new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE),
            new ArrowType.Decimal(38, 10, 128), new ArrowType.Decimal(5, 0, 128), new ArrowType.Decimal(18, 18, 128),
            new ArrowType.Decimal(76, 20, 256), new ArrowType.Decimal(40, 0, 256),
            ArrowType.Bool.INSTANCE,
            ArrowType.Utf8.INSTANCE, ArrowType.LargeUtf8.INSTANCE, ArrowType.Utf8View.INSTANCE,
            ArrowType.Binary.INSTANCE, ArrowType.LargeBinary.INSTANCE, ArrowType.BinaryView.INSTANCE,
            new ArrowType.FixedSizeBinary(1), new ArrowType.FixedSizeBinary(13),
            new ArrowType.Date(DateUnit.DAY), new ArrowType.Date(DateUnit.MILLISECOND),
            new ArrowType.Time(TimeUnit.SECOND, 32), new ArrowType.Time(TimeUnit.MILLISECOND, 32),
            new ArrowType.Time(TimeUnit.MICROSECOND, 64), new ArrowType.Time(TimeUnit.NANOSECOND, 64),
            new ArrowType.Timestamp(TimeUnit.SECOND, null), new ArrowType.Timestamp(TimeUnit.MILLISECOND, null),
            new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), new ArrowType.Timestamp(TimeUnit.NANOSECOND, null),
            new ArrowType.Timestamp(TimeUnit.SECOND, "UTC"),
            new ArrowType.Timestamp(TimeUnit.MILLISECOND, "Europe/Paris"),
            new ArrowType.Timestamp(TimeUnit.MICROSECOND, "+05:30"),
            new ArrowType.Timestamp(TimeUnit.NANOSECOND, "America/New_York"),
            new ArrowType.Duration(TimeUnit.SECOND), new ArrowType.Duration(TimeUnit.MILLISECOND),
            new ArrowType.Duration(TimeUnit.MICROSECOND), new ArrowType.Duration(TimeUnit.NANOSECOND),
            new ArrowType.Interval(IntervalUnit.YEAR_MONTH), new ArrowType.Interval(IntervalUnit.DAY_TIME),
            new ArrowType.Interval(IntervalUnit.MONTH_DAY_NANO),
            ArrowType.Null.INSTANCE,
            UuidType.INSTANCE);

    /** Value types of dictionary-encoded columns. */
    static final List<ArrowType> DICTIONARY_VALUE_TYPES = List.of(ArrowType.Utf8.INSTANCE,
            ArrowType.LargeUtf8.INSTANCE, ArrowType.Binary.INSTANCE, new ArrowType.Int(32, true),
            new ArrowType.Int(64, true), new ArrowType.Int(16, false));

    /** Index types of dictionary-encoded columns. */
    static final List<ArrowType.Int> DICTIONARY_INDEX_TYPES = List.of(new ArrowType.Int(8, true),
            new ArrowType.Int(16, true), new ArrowType.Int(32, true), new ArrowType.Int(64, true),
            new ArrowType.Int(8, false), new ArrowType.Int(32, false));

    /**
     * One column of every leaf type, every nested kind and dictionary encodings, nullable, with nested children of
     * several types: a table that covers every supported type at once.
     */
    static List<Col> everyType() {
        return everyType(5);
    }

    /** {@link #everyType()}, with this step between the type ids of its dense unions. */
    static List<Col> everyType(int denseUnionIdStep) {
        List<Col> cols = new ArrayList<>();
        for (ArrowType t : LEAF_TYPES) {
            cols.add(new Leaf(t, true));
        }
        cols.add(new Leaf(new ArrowType.Int(32, true), false));
        Col utf8 = new Leaf(ArrowType.Utf8.INSTANCE, true);
        Col int64 = new Leaf(new ArrowType.Int(64, true), true);
        Col view = new Leaf(ArrowType.Utf8View.INSTANCE, true);
        cols.add(new Nested(Kind.LIST, true, 0, List.of(int64)));
        cols.add(new Nested(Kind.LIST, true, 0, List.of(new Nested(Kind.LIST, true, 0, List.of(utf8)))));
        cols.add(new Nested(Kind.LARGE_LIST, true, 0, List.of(utf8)));
        cols.add(new Nested(Kind.FIXED_SIZE_LIST, true, 3, List.of(int64)));
        cols.add(new Nested(Kind.LIST_VIEW, true, 0, List.of(view)));
        cols.add(new Nested(Kind.LARGE_LIST_VIEW, true, 0, List.of(int64)));
        cols.add(new Nested(Kind.STRUCT, true, 0, List.of(int64, utf8,
                new Nested(Kind.STRUCT, true, 0, List.of(new Leaf(ArrowType.Bool.INSTANCE, true))))));
        cols.add(new Nested(Kind.MAP, true, 0, List.of(new Leaf(ArrowType.Utf8.INSTANCE, false), int64)));
        cols.add(new Nested(Kind.DENSE_UNION, true, denseUnionIdStep, List.of(int64, utf8,
                new Nested(Kind.LIST, true, 0, List.of(int64)))));
        cols.add(new Nested(Kind.SPARSE_UNION, true, 0, List.of(int64, utf8,
                new Leaf(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), true))));
        cols.add(new Nested(Kind.RUN_END_ENCODED, true, 32, List.of(utf8)));
        cols.add(new Nested(Kind.RUN_END_ENCODED, true, 16, List.of(int64)));
        cols.add(new Nested(Kind.RUN_END_ENCODED, true, 64, List.of(int64)));
        cols.add(new Dict(ArrowType.Utf8.INSTANCE, new ArrowType.Int(32, true), 7, true));
        cols.add(new Dict(new ArrowType.Int(64, true), new ArrowType.Int(8, true), 5, true));
        cols.add(new Dict(ArrowType.Utf8.INSTANCE, new ArrowType.Int(16, false), 300, true));
        cols.add(new Nested(Kind.LIST, true, 0,
                List.of(new Dict(ArrowType.Utf8.INSTANCE, new ArrowType.Int(16, true), 4, true))));
        cols.add(new Nested(Kind.STRUCT, true, 0,
                List.of(new Dict(new ArrowType.Int(32, true), new ArrowType.Int(32, true), 9, true), utf8)));
        return cols;
    }

    // ------------------------------------------------------------------------------------------------ schema

    /** A table's schema and its dictionaries (the dictionaries' vectors belong to the table: close it). */
    public static final class Table implements AutoCloseable {
        public final Spec spec;
        public final Schema schema;
        public final DictionaryProvider.MapDictionaryProvider dictionaries;
        private final BufferAllocator allocator;

        private Table(Spec spec, Schema schema, DictionaryProvider.MapDictionaryProvider dictionaries,
                      BufferAllocator allocator) {
            this.spec = spec;
            this.schema = schema;
            this.dictionaries = dictionaries;
            this.allocator = allocator;
        }

        public int batchCount() {
            return spec.batchRows().size();
        }

        long rowCount() {
            return spec.batchRows().stream().mapToLong(Integer::longValue).sum();
        }

        /** Batch {@code i}: always the same data for the same spec. The caller closes it. */
        public VectorSchemaRoot batch(int i) {
            Random r = new Random(spec.seed() * 31 + i);
            int rows = spec.batchRows().get(i);
            VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
            try {
                for (int c = 0; c < spec.columns().size(); c++) {
                    fill(root.getVector(c), spec.columns().get(c), rows, r, spec.nullChance());
                }
                root.setRowCount(rows);
                return root;
            } catch (RuntimeException e) {
                root.close();
                throw e;
            }
        }

        /** Every batch, generated one at a time (each is closed when the next is made). */
        Iterable<VectorSchemaRoot> batches() {
            return () -> new java.util.Iterator<>() {
                int next;
                VectorSchemaRoot current;

                @Override
                public boolean hasNext() {
                    if (next == batchCount() && current != null) {
                        current.close();
                        current = null;
                    }
                    return next < batchCount();
                }

                @Override
                public VectorSchemaRoot next() {
                    if (current != null) {
                        current.close();
                    }
                    current = batch(next++);
                    return current;
                }
            };
        }

        @Override
        public void close() {
            List<AutoCloseable> vectors = new ArrayList<>();
            for (long id : dictionaries.getDictionaryIds()) {
                vectors.add(dictionaries.lookup(id).getVector());
            }
            try {
                AutoCloseables.close(vectors);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The table of a spec: its schema, and its dictionaries made with {@code allocator}. */
    public static Table table(Spec spec, BufferAllocator allocator) {
        DictionaryProvider.MapDictionaryProvider dictionaries = new DictionaryProvider.MapDictionaryProvider();
        List<Field> fields = new ArrayList<>();
        Random r = new Random(spec.seed());
        try {
            for (int c = 0; c < spec.columns().size(); c++) {
                fields.add(field("c" + c, spec.columns().get(c), dictionaries, allocator, r));
            }
        } catch (RuntimeException e) {
            new Table(spec, null, dictionaries, allocator).close();
            throw e;
        }
        return new Table(spec, new Schema(fields), dictionaries, allocator);
    }

    private static Field field(String name, Col col, DictionaryProvider.MapDictionaryProvider dictionaries,
                               BufferAllocator allocator, Random r) {
        return switch (col) {
            case Leaf l -> new Field(name, new FieldType(l.nullable(), l.type(), null), List.of());
            case Dict d -> {
                long id = dictionaries.getDictionaryIds().size();
                DictionaryEncoding encoding = new DictionaryEncoding(id, false, d.indexType());
                FieldVector values = new Field("dictionary-" + id, FieldType.nullable(d.valueType()), List.of())
                        .createVector(allocator);
                // dictionary values: distinct where the type allows, a null among them now and then
                fillDictionary(values, d.dictionarySize(), r);
                dictionaries.put(new Dictionary(values, encoding));
                yield new Field(name, new FieldType(d.nullable(), d.indexType(), encoding), List.of());
            }
            case Nested n -> {
                List<Field> children = new ArrayList<>();
                FieldType type = switch (n.kind()) {
                    case LIST -> new FieldType(n.nullable(), ArrowType.List.INSTANCE, null);
                    case LARGE_LIST -> new FieldType(n.nullable(), ArrowType.LargeList.INSTANCE, null);
                    case FIXED_SIZE_LIST -> new FieldType(n.nullable(), new ArrowType.FixedSizeList(n.param()), null);
                    case LIST_VIEW -> new FieldType(n.nullable(), ArrowType.ListView.INSTANCE, null);
                    case LARGE_LIST_VIEW -> new FieldType(n.nullable(), ArrowType.LargeListView.INSTANCE, null);
                    case STRUCT -> new FieldType(n.nullable(), ArrowType.Struct.INSTANCE, null);
                    case MAP -> new FieldType(n.nullable(), new ArrowType.Map(false), null);
                    case DENSE_UNION -> new FieldType(n.nullable(), new ArrowType.Union(UnionMode.Dense,
                            denseTypeIds(n)), null);
                    case SPARSE_UNION -> new FieldType(n.nullable(), new ArrowType.Union(UnionMode.Sparse,
                            n.children().stream().mapToInt(c -> minorType(c).ordinal()).toArray()), null);
                    case RUN_END_ENCODED -> new FieldType(n.nullable(), ArrowType.RunEndEncoded.INSTANCE, null);
                };
                switch (n.kind()) {
                    case MAP -> children.add(new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE),
                            List.of(field("key", n.children().get(0), dictionaries, allocator, r),
                                    field("value", n.children().get(1), dictionaries, allocator, r))));
                    case RUN_END_ENCODED -> {
                        children.add(new Field("run_ends",
                                FieldType.notNullable(new ArrowType.Int(n.param(), true)), List.of()));
                        children.add(field("values", n.children().getFirst(), dictionaries, allocator, r));
                    }
                    case LIST, LARGE_LIST, FIXED_SIZE_LIST, LIST_VIEW, LARGE_LIST_VIEW ->
                            children.add(field("item", n.children().getFirst(), dictionaries, allocator, r));
                    default -> {
                        for (int i = 0; i < n.children().size(); i++) {
                            children.add(field("f" + i, n.children().get(i), dictionaries, allocator, r));
                        }
                    }
                }
                yield new Field(name, type, children);
            }
        };
    }

    /** A dense union's type ids: 0, param, 2 param... (1: the ids Arrow Java gives by default; any bytes will do). */
    static int[] denseTypeIds(Nested n) {
        int[] ids = new int[n.children().size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i * n.param() % 128;
        }
        return ids;
    }

    /** The minor type of a leaf column (sparse unions in Arrow Java key their children by minor type). */
    static MinorType minorType(Col c) {
        if (c instanceof Leaf l) {
            return org.apache.arrow.vector.types.Types.getMinorTypeForArrowType(l.type());
        }
        throw new IllegalArgumentException("a sparse union's children are leaves here: " + c);
    }

    // -------------------------------------------------------------------------------------------------- data

    /** Fills {@code v} (freshly created, empty) with {@code n} values of column {@code col}. */
    static void fill(FieldVector v, Col col, int n, Random r, double nullChance) {
        double p = col.nullable() ? nullChance : 0;
        switch (col) {
            case Leaf l -> fillLeaf(v, n, r, p);
            case Dict d -> {
                BaseIntVector indices = (BaseIntVector) v;
                ((BaseFixedWidthVector) v).allocateNew(n);
                for (int i = 0; i < n; i++) {
                    if (r.nextDouble() < p) {
                        ((BaseFixedWidthVector) v).setNull(i);
                    } else {
                        indices.setWithPossibleTruncate(i, r.nextInt(d.dictionarySize()));
                    }
                }
                v.setValueCount(n);
            }
            case Nested nested -> fillNested(v, nested, n, r, p, nullChance);
        }
    }

    private static void fillNested(FieldVector v, Nested col, int n, Random r, double p, double nullChance) {
        List<FieldVector> children = v.getChildrenFromFields();
        switch (col.kind()) {
            case LIST, MAP -> {
                ListVector list = (ListVector) v;
                list.allocateNew();
                int total = 0;
                for (int i = 0; i < n; i++) {
                    if (r.nextDouble() < p) {
                        list.setNull(i);
                    } else {
                        list.startNewValue(i);
                        int size = r.nextInt(5);
                        list.endValue(i, size);
                        total += size;
                    }
                }
                if (col.kind() == Kind.MAP) {
                    StructVector entries = (StructVector) children.getFirst();
                    List<FieldVector> kv = entries.getChildrenFromFields();
                    fill(kv.get(0), col.children().get(0), total, r, nullChance);
                    fill(kv.get(1), col.children().get(1), total, r, nullChance);
                    for (int i = 0; i < total; i++) {
                        entries.setIndexDefined(i);
                    }
                    entries.setValueCount(total);
                } else {
                    fill(children.getFirst(), col.children().getFirst(), total, r, nullChance);
                }
                list.setValueCount(n);
            }
            case LARGE_LIST -> {
                LargeListVector list = (LargeListVector) v;
                list.allocateNew();
                int total = 0;
                for (int i = 0; i < n; i++) {
                    if (r.nextDouble() < p) {
                        list.setNull(i);
                    } else {
                        list.startNewValue(i);
                        int size = r.nextInt(5);
                        list.endValue(i, size);
                        total += size;
                    }
                }
                fill(children.getFirst(), col.children().getFirst(), total, r, nullChance);
                list.setValueCount(n);
            }
            case FIXED_SIZE_LIST -> {
                FixedSizeListVector list = (FixedSizeListVector) v;
                list.allocateNew();
                for (int i = 0; i < n; i++) {
                    if (r.nextDouble() < p) {
                        list.setNull(i);
                    } else {
                        list.setNotNull(i);
                    }
                }
                fill(children.getFirst(), col.children().getFirst(), n * col.param(), r, nullChance);
                list.setValueCount(n);
            }
            case LIST_VIEW, LARGE_LIST_VIEW -> {
                // Views may overlap, run backwards and leave gaps in the child: offsets and sizes are random.
                int childCount = n == 0 ? 0 : r.nextInt(3 * n + 1);
                int[] offsets = new int[n];
                int[] sizes = new int[n];
                boolean[] nulls = new boolean[n];
                for (int i = 0; i < n; i++) {
                    nulls[i] = r.nextDouble() < p;
                    if (!nulls[i] && childCount > 0) {
                        offsets[i] = r.nextInt(childCount);
                        sizes[i] = r.nextInt(Math.min(5, childCount - offsets[i]) + 1);
                    }
                }
                // The child first: a view's offset and size are checked against the child's length when set.
                if (v instanceof ListViewVector list) {
                    list.setInitialCapacity(Math.max(1, n));
                    list.allocateNew();
                    fill(children.getFirst(), col.children().getFirst(), childCount, r, nullChance);
                    for (int i = 0; i < n; i++) {
                        setView(i, nulls[i], offsets[i], sizes[i], list::setNull, list::setValidity, list::setOffset,
                                list::setSize);
                    }
                } else {
                    LargeListViewVector list = (LargeListViewVector) v;
                    list.setInitialCapacity(Math.max(1, n));
                    list.allocateNew();
                    fill(children.getFirst(), col.children().getFirst(), childCount, r, nullChance);
                    for (int i = 0; i < n; i++) {
                        setView(i, nulls[i], offsets[i], sizes[i], list::setNull, list::setValidity, list::setOffset,
                                list::setSize);
                    }
                }
                v.setValueCount(n);
                // setValueCount cuts the child to the largest view end: give it back the values beyond
                children.getFirst().setValueCount(childCount);
            }
            case STRUCT -> {
                StructVector struct = (StructVector) v;
                for (int i = 0; i < children.size(); i++) {
                    fill(children.get(i), col.children().get(i), n, r, nullChance);
                }
                for (int i = 0; i < n; i++) {
                    if (r.nextDouble() < p) {
                        struct.setNull(i);
                    } else {
                        struct.setIndexDefined(i);
                    }
                }
                struct.setValueCount(n);
            }
            case DENSE_UNION -> {
                DenseUnionVector union = (DenseUnionVector) v;
                union.allocateNew();
                int[] typeIds = denseTypeIds(col);
                int[] counts = new int[typeIds.length];
                for (int i = 0; i < n; i++) {
                    int c = r.nextInt(typeIds.length);
                    union.setTypeId(i, (byte) typeIds[c]);
                    union.setOffset(i, counts[c]++);
                }
                for (int c = 0; c < typeIds.length; c++) {
                    fill(children.get(c), col.children().get(c), counts[c], r, nullChance);
                }
                union.setValueCount(n);
            }
            case SPARSE_UNION -> {
                UnionVector union = (UnionVector) v;
                union.allocateNew();
                for (int c = 0; c < children.size(); c++) {
                    fill(children.get(c), col.children().get(c), n, r, nullChance);
                }
                for (int i = 0; i < n; i++) {
                    union.setType(i, minorType(col.children().get(r.nextInt(children.size()))));
                }
                union.setValueCount(n);
            }
            case RUN_END_ENCODED -> {
                RunEndEncodedVector ree = (RunEndEncodedVector) v;
                List<Integer> ends = new ArrayList<>();
                for (int end = 0; end < n; ) {
                    end = Math.min(n, end + 1 + r.nextInt(4));
                    ends.add(end);
                }
                BaseIntVector runEnds = (BaseIntVector) children.get(0);
                ((BaseFixedWidthVector) runEnds).allocateNew(ends.size());
                for (int i = 0; i < ends.size(); i++) {
                    runEnds.setWithPossibleTruncate(i, ends.get(i));
                }
                runEnds.setValueCount(ends.size());
                fill(children.get(1), col.children().getFirst(), ends.size(), r, nullChance);
                ree.setValueCount(n);
            }
        }
    }

    private interface IntSetter {
        void set(int index, int value);
    }

    private static void setView(int i, boolean isNull, int offset, int size, Consumer<Integer> setNull,
                                IntSetter validity, IntSetter offsets, IntSetter sizes) {
        if (isNull) {
            setNull.accept(i);
        } else {
            validity.set(i, 1);
            offsets.set(i, offset);
            sizes.set(i, size);
        }
    }

    private static void fillLeaf(FieldVector v, int n, Random r, double p) {
        if (v instanceof NullVector) {
            v.setValueCount(n);
            return;
        }
        if (v instanceof BaseFixedWidthVector f) {
            f.allocateNew(n);
        } else if (v instanceof UuidVector u) {
            u.allocateNew(n);
        } else {
            // room for n values first: a view vector's setSafe does not always grow its views (Arrow Java 19)
            v.setInitialCapacity(Math.max(1, n));
            v.allocateNew();
        }
        for (int i = 0; i < n; i++) {
            if (r.nextDouble() < p) {
                setNull(v, i);
            } else {
                setValue(v, i, r);
            }
        }
        v.setValueCount(n);
    }

    private static void setNull(FieldVector v, int i) {
        switch (v) {
            case BaseFixedWidthVector f -> f.setNull(i);
            case VariableWidthFieldVector w -> w.setNull(i);
            case UuidVector u -> u.setNull(i);
            default -> throw new IllegalArgumentException("no nulls for " + v.getField());
        }
    }

    /** Sets a random value of the vector's type; edge values (extremes, zero, NaN, empty) come often. */
    static void setValue(FieldVector v, int i, Random r) {
        switch (v) {
            case TinyIntVector x -> x.set(i, (byte) integer(r, 8));
            case SmallIntVector x -> x.set(i, (short) integer(r, 16));
            case IntVector x -> x.set(i, (int) integer(r, 32));
            case BigIntVector x -> x.set(i, integer(r, 64));
            case UInt1Vector x -> x.set(i, (byte) integer(r, 8));
            case UInt2Vector x -> x.set(i, (char) integer(r, 16));
            case UInt4Vector x -> x.set(i, (int) integer(r, 32));
            case UInt8Vector x -> x.set(i, integer(r, 64));
            case Float2Vector x -> x.set(i, (short) integer(r, 16));
            case Float4Vector x -> x.set(i, (float) floating(r));
            case Float8Vector x -> x.set(i, floating(r));
            case DecimalVector x -> x.set(i, decimal(r, x.getPrecision(), x.getScale()));
            case Decimal256Vector x -> x.set(i, decimal(r, x.getPrecision(), x.getScale()));
            case BitVector x -> x.set(i, r.nextBoolean() ? 1 : 0);
            case DateDayVector x -> x.set(i, r.nextInt(-1_000_000, 1_000_000));
            case DateMilliVector x -> x.set(i, r.nextInt(-1_000_000, 1_000_000) * 86_400_000L);
            case TimeSecVector x -> x.set(i, r.nextInt(86_400));
            case TimeMilliVector x -> x.set(i, r.nextInt(86_400_000));
            case TimeMicroVector x -> x.set(i, r.nextLong(86_400_000_000L));
            case TimeNanoVector x -> x.set(i, r.nextLong(86_400_000_000_000L));
            case TimeStampVector x -> {
                TimeUnit unit = ((ArrowType.Timestamp) x.getField().getType()).getUnit();
                long range = switch (unit) {
                    case SECOND -> 100_000_000_000L;
                    case MILLISECOND -> 100_000_000_000_000L;
                    case MICROSECOND -> 100_000_000_000_000_000L;
                    case NANOSECOND -> Long.MAX_VALUE;
                };
                x.set(i, r.nextLong(-range, range));
            }
            case DurationVector x -> x.set(i, integer(r, 64));
            case IntervalYearVector x -> x.set(i, (int) integer(r, 32));
            case IntervalDayVector x -> x.set(i, (int) integer(r, 32), (int) integer(r, 32));
            case IntervalMonthDayNanoVector x -> x.set(i, (int) integer(r, 32), (int) integer(r, 32), integer(r, 64));
            case UuidVector x -> x.set(i, new UUID(r.nextLong(), r.nextLong()));
            case FixedSizeBinaryVector x -> x.set(i, bytes(r, x.getByteWidth()));
            case VariableWidthFieldVector x -> {
                boolean text = x.getField().getType() instanceof ArrowType.Utf8
                        || x.getField().getType() instanceof ArrowType.LargeUtf8
                        || x.getField().getType() instanceof ArrowType.Utf8View;
                // lengths around 12 matter for views (inline up to 12 bytes, out of line beyond)
                int length = switch (r.nextInt(4)) {
                    case 0 -> 0;
                    case 1 -> r.nextInt(13);
                    case 2 -> 10 + r.nextInt(6);
                    default -> r.nextInt(60);
                };
                x.setSafe(i, text ? text(r, length) : bytes(r, length));
            }
            default -> throw new IllegalArgumentException("no values for " + v.getField());
        }
    }

    private static void fillDictionary(FieldVector values, int size, Random r) {
        if (values instanceof BaseFixedWidthVector f) {
            f.allocateNew(size);
        } else {
            values.allocateNew();
        }
        for (int i = 0; i < size; i++) {
            if (i == size - 1 && size > 3) { // a null among the values
                setNull(values, i);
            } else if (values instanceof BaseIntVector ints) {
                ints.setWithPossibleTruncate(i, i * 1_000_003L + r.nextInt(1000) * 3L);
            } else {
                ((VariableWidthFieldVector) values).setSafe(i, ("v" + i + "-"
                        + new String(text(r, r.nextInt(8)), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
            }
        }
        values.setValueCount(size);
    }

    /** An integer of {@code bits} bits (as a long), often an edge value. */
    static long integer(Random r, int bits) {
        long min = bits == 64 ? Long.MIN_VALUE : -(1L << (bits - 1));
        long max = bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1;
        return switch (r.nextInt(10)) {
            case 0 -> min;
            case 1 -> max;
            case 2 -> 0;
            case 3 -> -1;
            case 4 -> r.nextInt(100);
            default -> bits == 64 ? r.nextLong() : r.nextLong(min, max + 1);
        };
    }

    private static double floating(Random r) {
        return switch (r.nextInt(12)) {
            case 0 -> Double.NaN;
            case 1 -> Double.POSITIVE_INFINITY;
            case 2 -> Double.NEGATIVE_INFINITY;
            case 3 -> -0.0;
            case 4 -> Double.MIN_VALUE;
            case 5 -> Float.MAX_VALUE;
            case 6 -> Double.longBitsToDouble(r.nextLong());
            default -> r.nextGaussian() * Math.pow(10, r.nextInt(-10, 10));
        };
    }

    private static BigDecimal decimal(Random r, int precision, int scale) {
        int digits = r.nextInt(precision + 1);
        BigInteger unscaled = digits == 0 ? BigInteger.ZERO
                : new BigInteger(digits * 4, r).mod(BigInteger.TEN.pow(digits));
        if (r.nextBoolean()) {
            unscaled = unscaled.negate();
        }
        if (r.nextInt(10) == 0) { // the largest magnitude of the precision
            unscaled = BigInteger.TEN.pow(precision).subtract(BigInteger.ONE);
        }
        return new BigDecimal(unscaled, scale);
    }

    static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static final String[] ALPHABET = {"a", "Z", "0", " ", "é", "ß", "Ω", "中", "文", "😀", "\u0000", "\t",
        "\"", "'", "\\", "\n"};

    /** UTF-8 text of about {@code length} bytes, with multi-byte characters. */
    static byte[] text(Random r, int length) {
        StringBuilder s = new StringBuilder();
        while (s.toString().getBytes(StandardCharsets.UTF_8).length < length) {
            s.append(ALPHABET[r.nextInt(ALPHABET.length)]);
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A short description of a spec for failure messages. */
    static String describe(Spec spec) {
        return spec.columns() + " rows " + spec.batchRows() + " nulls " + spec.nullChance() + " seed " + spec.seed();
    }

    public static List<Integer> rows(int... rows) {
        return Arrays.stream(rows).boxed().toList();
    }
}
