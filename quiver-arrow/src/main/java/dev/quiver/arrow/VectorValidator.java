package dev.quiver.arrow;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongToIntFunction;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthViewVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.ExtensionTypeVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.NullVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.complex.DenseUnionVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.LargeListViewVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.ListViewVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.NonNullableStructVector;
import org.apache.arrow.vector.complex.RunEndEncodedVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.complex.UnionVector;
import org.apache.arrow.vector.types.Types;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Checks that vectors loaded from bytes nobody vouches for are consistent with their buffers: every offset, size,
 * view, type id, run end and dictionary index points inside the buffers and children it refers to. After it, any
 * access through the vectors' API stays inside the object, also through Arrow code that reads memory by address
 * without bounds checks (hashing, comparison, copies) and with Arrow's bounds checking turned off.
 *
 * <p>A <em>full</em> validator also checks the values, as Arrow's full validation does: UTF-8 strings and
 * fixed-size binary widths (through Arrow's own {@code validateScalars()} of each leaf vector), decimals within their
 * precision, and map keys that are not null. That is what a table must pass before it is stored; reading checks only the structure, which is what
 * memory safety needs, so a zero-copy read does not decode every string.
 *
 * <p>Arrow Java's own {@code ValueVectorUtility.validateFull} is not usable as a whole: in 19.0.0 it rejects valid
 * half-float and map vectors, fails on fixed-size lists and views, does not know list views or run-end encoded data,
 * and does not check views or dense union offsets against their targets. Its per-vector value checks
 * ({@code validateScalars}) are used where they are right: not for decimals (off by one in 19.0.0).
 */
final class VectorValidator {
    private static final int VIEW_SIZE = BaseVariableWidthViewVector.ELEMENT_SIZE;
    private static final int INLINE_SIZE = BaseVariableWidthViewVector.INLINE_SIZE;

    /** The number of values of a dictionary, by dictionary id. */
    private final LongToIntFunction dictionarySize;
    /** Whether the values are checked too (UTF-8, decimal precision, map keys), not only the structure. */
    private final boolean full;

    /**
     * @param dictionarySize the number of values of each dictionary, by id (throws for an unknown id)
     * @param full           check the values too, not only the structure
     */
    VectorValidator(LongToIntFunction dictionarySize, boolean full) {
        this.dictionarySize = dictionarySize;
        this.full = full;
    }

    /**
     * Validates a loaded vector against its declared field.
     *
     * @throws IllegalArgumentException naming the column and what is wrong
     */
    void validate(FieldVector v, Field field) {
        validate(v, field, field.getName());
    }

    private void validate(ValueVector v, Field field, String path) {
        int n = v.getValueCount();
        check(n >= 0, path, "a negative length %s", n);
        switch (v) {
            case NullVector x -> {
                // no buffers
            }
            case ExtensionTypeVector<?> x -> validate(x.getUnderlyingVector(), field, path);
            case BitVector x -> {
                validity(x.getValidityBuffer(), n, path);
                capacity(x.getDataBuffer(), ((long) n + 7) / 8, path, "data");
            }
            case BaseFixedWidthVector x -> {
                validity(x.getValidityBuffer(), n, path);
                capacity(x.getDataBuffer(), (long) n * x.getTypeWidth(), path, "data");
                dictionaryIndices(x, field, path);
                if (x instanceof DecimalVector || x instanceof Decimal256Vector) {
                    decimals(x, path);
                } else {
                    scalars(x::validateScalars, path);
                }
            }
            case BaseVariableWidthVector x -> {
                validity(x.getValidityBuffer(), n, path);
                offsets(x.getOffsetBuffer(), 4, n, x.getDataBuffer().capacity(), path, "data bytes");
                scalars(x::validateScalars, path);
            }
            case BaseLargeVariableWidthVector x -> {
                validity(x.getValidityBuffer(), n, path);
                offsets(x.getOffsetBuffer(), 8, n, x.getDataBuffer().capacity(), path, "data bytes");
                scalars(x::validateScalars, path);
            }
            case BaseVariableWidthViewVector x -> {
                views(x, n, path);
                scalars(x::validateScalars, path);
            }
            case MapVector x -> {
                validity(x.getValidityBuffer(), n, path);
                offsets(x.getOffsetBuffer(), 4, n, x.getDataVector().getValueCount(), path, "child values");
                children(x.getChildrenFromFields(), field, path);
                if (full) {
                    mapKeys(x, path);
                }
            }
            case ListVector x -> {
                validity(x.getValidityBuffer(), n, path);
                offsets(x.getOffsetBuffer(), 4, n, x.getDataVector().getValueCount(), path, "child values");
                children(x.getChildrenFromFields(), field, path);
            }
            case LargeListVector x -> {
                validity(x.getValidityBuffer(), n, path);
                offsets(x.getOffsetBuffer(), 8, n, x.getDataVector().getValueCount(), path, "child values");
                children(x.getChildrenFromFields(), field, path);
            }
            case FixedSizeListVector x -> {
                validity(x.getValidityBuffer(), n, path);
                check(x.getListSize() >= 0, path, "a negative list size %s", x.getListSize());
                check((long) n * x.getListSize() <= x.getDataVector().getValueCount(), path,
                        "%s lists of %s values but %s child values", n, x.getListSize(),
                        x.getDataVector().getValueCount());
                children(x.getChildrenFromFields(), field, path);
            }
            case ListViewVector x -> {
                validity(x.getValidityBuffer(), n, path);
                listViews(x.getValidityBuffer(), x.getOffsetBuffer(), x.getSizeBuffer(), 4, n,
                        x.getDataVector().getValueCount(), path);
                children(x.getChildrenFromFields(), field, path);
            }
            case LargeListViewVector x -> {
                validity(x.getValidityBuffer(), n, path);
                listViews(x.getValidityBuffer(), x.getOffsetBuffer(), x.getSizeBuffer(), 8, n,
                        x.getDataVector().getValueCount(), path);
                children(x.getChildrenFromFields(), field, path);
            }
            case NonNullableStructVector x -> {
                if (x instanceof StructVector s) {
                    validity(s.getValidityBuffer(), n, path);
                }
                for (FieldVector child : x.getChildrenFromFields()) {
                    check(child.getValueCount() >= n, path, "a struct of %s values with a child of %s", n,
                            child.getValueCount());
                }
                children(x.getChildrenFromFields(), field, path);
            }
            case UnionVector x -> {
                capacity(x.getTypeBuffer(), n, path, "type id");
                Set<Integer> declared = declaredTypeIds(field);
                for (int i = 0; i < n; i++) {
                    int id = x.getTypeBuffer().getByte(i);
                    if (!declared.contains(id)) {
                        throw fail(path, "undeclared type id %s at row %s", id, i);
                    }
                }
                for (FieldVector child : x.getChildrenFromFields()) {
                    check(child.getValueCount() >= n, path, "a sparse union of %s values with a child of %s", n,
                            child.getValueCount());
                }
                children(x.getChildrenFromFields(), field, path);
            }
            case DenseUnionVector x -> {
                capacity(x.getTypeBuffer(), n, path, "type id");
                capacity(x.getOffsetBuffer(), 4L * n, path, "offset");
                for (int i = 0; i < n; i++) {
                    byte id = x.getTypeId(i);
                    ValueVector child = x.getVectorByType(id);
                    if (child == null) {
                        throw fail(path, "undeclared type id %s at row %s", id, i);
                    }
                    int offset = x.getOffset(i);
                    if (offset < 0 || offset >= child.getValueCount()) {
                        throw fail(path,
                                "offset %s at row %s outside its child of %s values", offset, i, child.getValueCount());
                    }
                }
                children(x.getChildrenFromFields(), field, path);
            }
            case RunEndEncodedVector x -> {
                FieldVector ends = x.getRunEndsVector();
                validate(ends, field.getChildren().get(0), path + ".run_ends");
                int runs = ends.getValueCount();
                check(ends.getNullCount() == 0, path, "null run ends");
                long previous = 0;
                for (int i = 0; i < runs; i++) {
                    long end = ((BaseIntVector) ends).getValueAsLong(i);
                    if (end <= previous) {
                        throw fail(path, "run end %s at run %s does not grow", end, i);
                    }
                    previous = end;
                }
                // the last run may end beyond the length (a slice), never before it
                check(previous >= n, path, "runs end at %s, before the length %s", previous, n);
                check(x.getValuesVector().getValueCount() >= runs, path, "%s runs but %s values", runs,
                        x.getValuesVector().getValueCount());
                validate(x.getValuesVector(), field.getChildren().get(1), path + ".values");
            }
            default -> throw new IllegalArgumentException(path + ": vectors of type " + field.getType()
                    + " cannot be checked (" + v.getClass().getSimpleName() + ")");
        }
    }

    /** Arrow's own value checks of a leaf vector (UTF-8 strings, decimals within their precision), when full. */
    private void scalars(Runnable validateScalars, String path) {
        if (!full) {
            return;
        }
        try {
            validateScalars.run();
        } catch (RuntimeException e) { // Arrow's ValidateException, with the row in its message
            throw fail(path, "%s", e.getMessage());
        }
    }

    /**
     * Decimals within their precision, when full: fewer than 10^precision in magnitude. (Arrow Java 19's own
     * {@code DecimalVector.validateScalars} is off by one: it refuses values with exactly the precision's digits.)
     */
    private void decimals(BaseFixedWidthVector v, String path) {
        if (!full) {
            return;
        }
        int precision = v instanceof DecimalVector d ? d.getPrecision() : ((Decimal256Vector) v).getPrecision();
        BigInteger limit = BigInteger.TEN.pow(precision);
        for (int i = 0; i < v.getValueCount(); i++) {
            if (!v.isNull(i)) {
                BigDecimal value = (BigDecimal) v.getObject(i);
                if (value.unscaledValue().abs().compareTo(limit) >= 0) {
                    throw fail(path, "decimal %s at row %s has more than its precision of %s digits", value, i,
                            precision);
                }
            }
        }
    }

    /** The keys of a map's entries within its lists: never null (Arrow's map type requires it). */
    private static void mapKeys(MapVector map, String path) {
        ValueVector entries = map.getDataVector();
        if (!(entries instanceof StructVector struct) || struct.getChildrenFromFields().isEmpty()) {
            throw fail(path, "map entries that are not a struct of key and value");
        }
        FieldVector keys = struct.getChildrenFromFields().getFirst();
        int n = map.getValueCount();
        if (n == 0) {
            return;
        }
        ArrowBuf offsets = map.getOffsetBuffer();
        for (long i = offsets.getInt(0), end = offsets.getInt(4L * n); i < end; i++) {
            if (keys.isNull((int) i) || struct.isNull((int) i)) {
                throw fail(path, "a null map key (or entry) at child row %s", i);
            }
        }
    }

    private void children(List<FieldVector> vectors, Field field, String path) {
        List<Field> fields = field.getChildren();
        check(vectors.size() == fields.size(), path, "%s children for %s fields", vectors.size(), fields.size());
        for (int i = 0; i < vectors.size(); i++) {
            validate(vectors.get(i), fields.get(i), path + "." + fields.get(i).getName());
        }
    }

    private void dictionaryIndices(BaseFixedWidthVector v, Field field, String path) {
        DictionaryEncoding encoding = field.getDictionary();
        if (encoding == null) {
            return;
        }
        int size = dictionarySize.applyAsInt(encoding.getId());
        BaseIntVector indices = (BaseIntVector) v;
        for (int i = 0; i < v.getValueCount(); i++) {
            if (!v.isNull(i)) {
                long index = indices.getValueAsLong(i);
                if (index < 0 || index >= size) {
                    throw fail(path,
                            "dictionary index %s at row %s outside dictionary %s of %s values", index, i,
                            encoding.getId(), size);
                }
            }
        }
    }

    private static Set<Integer> declaredTypeIds(Field field) {
        Set<Integer> ids = new HashSet<>();
        int[] typeIds = ((ArrowType.Union) field.getType()).getTypeIds();
        if (typeIds != null) {
            for (int id : typeIds) {
                ids.add(id);
            }
        } else {
            for (Field child : field.getChildren()) {
                ids.add(Types.getMinorTypeForArrowType(child.getType()).ordinal());
            }
        }
        return ids;
    }

    private static void views(BaseVariableWidthViewVector v, int n, String path) {
        validity(v.getValidityBuffer(), n, path);
        ArrowBuf views = v.getDataBuffer();
        capacity(views, (long) n * VIEW_SIZE, path, "view");
        List<ArrowBuf> data = v.getDataBuffers();
        for (int i = 0; i < n; i++) {
            if (v.isNull(i)) {
                continue;
            }
            long at = (long) i * VIEW_SIZE;
            int length = views.getInt(at);
            check(length >= 0, path, "a negative length %s at row %s", length, i);
            if (length > INLINE_SIZE) {
                int buffer = views.getInt(at + 8);
                int offset = views.getInt(at + 12);
                check(buffer >= 0 && buffer < data.size(), path, "data buffer %s at row %s of %s buffers", buffer, i,
                        data.size());
                check(offset >= 0 && (long) offset + length <= data.get(buffer).capacity(), path,
                        "bytes [%s, +%s) at row %s outside their buffer of %s", offset, length, i,
                        data.get(buffer).capacity());
            }
        }
    }

    private static void listViews(ArrowBuf validity, ArrowBuf offsets, ArrowBuf sizes, int width, int n,
                                  int childCount, String path) {
        capacity(offsets, (long) n * width, path, "offset");
        capacity(sizes, (long) n * width, path, "size");
        for (int i = 0; i < n; i++) {
            if (((validity.getByte(i >> 3) >> (i & 7)) & 1) == 0) {
                continue;
            }
            long offset = width == 4 ? offsets.getInt((long) i * 4) : offsets.getLong((long) i * 8);
            long size = width == 4 ? sizes.getInt((long) i * 4) : sizes.getLong((long) i * 8);
            if (offset < 0 || size < 0 || offset + size > childCount) {
                throw fail(path,
                        "view [%s, +%s) at row %s outside its child of %s values", offset, size, i, childCount);
            }
        }
    }

    /** Offsets of {@code width} bytes (4 or 8): n + 1 of them, non-negative, never decreasing, at most target. */
    private static void offsets(ArrowBuf offsets, int width, int n, long target, String path, String what) {
        if (n == 0) {
            return;
        }
        capacity(offsets, (long) width * (n + 1), path, "offset");
        long previous = width == 4 ? offsets.getInt(0) : offsets.getLong(0);
        check(previous >= 0, path, "a negative first offset %s", previous);
        for (int i = 1; i <= n; i++) {
            long o = width == 4 ? offsets.getInt(4L * i) : offsets.getLong(8L * i);
            if (o < previous) {
                throw fail(path, "offsets decrease at row %s: %s, %s", i - 1, previous, o);
            }
            previous = o;
        }
        check(previous <= target, path, "offsets run to %s, past the %s %s", previous, target, what);
    }

    private static void validity(ArrowBuf validity, int n, String path) {
        capacity(validity, ((long) n + 7) / 8, path, "validity");
    }

    private static void capacity(ArrowBuf buffer, long bytes, String path, String what) {
        check(buffer != null, path, "no %s buffer", what);
        check(buffer.capacity() >= bytes, path, "a %s buffer of %s bytes where %s are needed", what,
                buffer.capacity(), bytes);
    }

    private static void check(boolean ok, String path, String format, Object... args) {
        if (!ok) {
            throw fail(path, format, args);
        }
    }

    /**
     * The error for a column; loops over values test first and call this only on failure, so that the message's
     * arguments are not boxed for every value.
     */
    private static IllegalArgumentException fail(String path, String format, Object... args) {
        return new IllegalArgumentException("column " + path + ": " + String.format(format, args));
    }
}
