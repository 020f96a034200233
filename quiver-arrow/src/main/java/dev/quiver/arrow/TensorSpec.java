package dev.quiver.arrow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * What a tensor is, apart from its values: element type, shape, strides and dimension names; the layout of its data.
 * Immutable.
 *
 * <p><b>Strides</b> are in bytes, one per dimension, as in Arrow (and NumPy): element {@code (i0, i1, ...)} lies at
 * byte {@code i0*strides[0] + i1*strides[1] + ...} of the data. {@link #rowMajor} (C order, the default) and
 * {@link #columnMajor} (Fortran order) compute them exactly as Arrow C++ does, including its convention for a
 * tensor with a zero-length dimension (every stride is the element width). Explicit strides must be non-negative
 * (Arrow does not support negative strides); the data then spans {@link #dataLength()} bytes, from the element at
 * the origin to the end of the element farthest from it. A stride of 0 (a broadcast dimension) is allowed: such
 * elements share their bytes.
 *
 * <p><b>Names</b> are optional: an unnamed dimension has the name {@code ""}, which is also what Arrow C++ writes and
 * reads for it, so "no names" and "all names empty" are the same tensor.
 *
 * <p>A tensor of rank 0 (shape {@code []}) is a scalar: one element, no strides.
 *
 * <pre>{@code
 * TensorSpec.rowMajor(TensorType.FLOAT32, 480, 640, 3).withNames("y", "x", "channel");
 * TensorSpec.columnMajor(TensorType.FLOAT64, 1000, 20);                  // strides [8, 8000]
 * TensorSpec.of(TensorType.INT16, new long[] {4, 4}, new long[] {64, 2}); // rows 64 bytes apart
 * }</pre>
 */
public final class TensorSpec {
    private final TensorType type;
    private final long[] shape;
    private final long[] strides;
    private final List<String> names;
    private final long size;
    private final long dataLength;

    private TensorSpec(TensorType type, long[] shape, long[] strides, List<String> names) {
        this.type = Objects.requireNonNull(type, "type");
        this.shape = shape.clone();
        for (int i = 0; i < this.shape.length; i++) {
            if (this.shape[i] < 0) {
                throw new IllegalArgumentException("dimension " + i + " has a negative length: shape "
                        + Arrays.toString(this.shape));
            }
        }
        this.strides = strides == null ? rowMajorStrides(type, this.shape) : strides.clone();
        this.names = names;
        if (this.strides.length != this.shape.length) {
            throw new IllegalArgumentException("a tensor of rank " + this.shape.length + " needs " + this.shape.length
                    + " strides, not " + this.strides.length + " " + Arrays.toString(this.strides));
        }
        if (names.size() != this.shape.length) {
            throw new IllegalArgumentException("a tensor of rank " + this.shape.length + " has " + this.shape.length
                    + " dimension names, not " + names.size() + " " + names);
        }
        long n = 1;
        long largestOffset = 0;
        for (int i = 0; i < this.shape.length; i++) {
            long s = this.shape[i];
            n = multiply(n, s, "the number of elements");
            if (s == 0) {
                continue; // as in Arrow C++, a stride of an empty dimension is never used and not checked
            }
            if (this.strides[i] < 0) {
                throw new IllegalArgumentException("stride " + i + " is negative (" + this.strides[i]
                        + "); Arrow tensors need non-negative strides: " + Arrays.toString(this.strides));
            }
            largestOffset = add(largestOffset, multiply(s - 1, this.strides[i], "the largest offset"),
                    "the largest offset");
        }
        this.size = n;
        multiply(n, type.byteWidth(), "the data length"); // a contiguous layout must be addressable too
        this.dataLength = n == 0 ? 0 : add(largestOffset, type.byteWidth(), "the data length");
    }

    /** A tensor in row-major (C) order, the default of Arrow and NumPy. An empty shape is a scalar. */
    public static TensorSpec rowMajor(TensorType type, long... shape) {
        return new TensorSpec(type, shape, null, unnamed(shape.length));
    }

    /** A tensor in column-major (Fortran) order: the first index varies fastest. */
    public static TensorSpec columnMajor(TensorType type, long... shape) {
        return new TensorSpec(type, shape, columnMajorStrides(type, shape), unnamed(shape.length));
    }

    /**
     * A tensor with explicit strides (bytes between consecutive elements along each dimension).
     *
     * @param strides one non-negative stride per dimension, or null for row-major
     * @throws IllegalArgumentException if a length or stride is negative, their counts differ, or the layout would
     *                                  not fit in 64-bit offsets
     */
    public static TensorSpec of(TensorType type, long[] shape, long[] strides) {
        return new TensorSpec(type, shape, strides, unnamed(shape.length));
    }

    /** The same tensor with these dimension names (null or {@code ""} for an unnamed dimension). */
    public TensorSpec withNames(String... names) {
        return withNames(Arrays.asList(names));
    }

    /** The same tensor with these dimension names (null or {@code ""} for an unnamed dimension). */
    public TensorSpec withNames(List<String> names) {
        List<String> copy = new ArrayList<>(names.size());
        for (String n : names) {
            copy.add(n == null ? "" : n);
        }
        return new TensorSpec(type, shape, strides, Collections.unmodifiableList(copy));
    }

    /** The same tensor laid out with these strides (bytes). */
    public TensorSpec withStrides(long... strides) {
        return new TensorSpec(type, shape, strides, names);
    }

    /** The same tensor with another element type, laid out row-major (strides depend on the element width). */
    public TensorSpec withType(TensorType type) {
        return new TensorSpec(type, shape, null, names);
    }

    public TensorType type() {
        return type;
    }

    /** The number of dimensions (0 for a scalar). */
    public int ndim() {
        return shape.length;
    }

    /** The length of every dimension (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    public long shape(int dimension) {
        return shape[dimension];
    }

    /** The byte strides (a copy). */
    public long[] strides() {
        return strides.clone();
    }

    public long stride(int dimension) {
        return strides[dimension];
    }

    /** One name per dimension, {@code ""} where a dimension is unnamed. */
    public List<String> names() {
        return names;
    }

    public String name(int dimension) {
        return names.get(dimension);
    }

    /** True if some dimension has a non-empty name. */
    public boolean hasNames() {
        for (String n : names) {
            if (!n.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** The number of elements (1 for a scalar, 0 if some dimension is empty). */
    public long size() {
        return size;
    }

    /**
     * The bytes the data spans: {@code size() * byteWidth} for a contiguous layout, and for other strides from the
     * first byte of the element at the origin to the last byte of the element farthest from it.
     */
    public long dataLength() {
        return dataLength;
    }

    /** True if the strides are exactly Arrow C++'s row-major strides for this shape. */
    public boolean isRowMajor() {
        return Arrays.equals(strides, rowMajorStrides(type, shape));
    }

    /** True if the strides are exactly Arrow C++'s column-major strides for this shape. */
    public boolean isColumnMajor() {
        return Arrays.equals(strides, columnMajorStrides(type, shape));
    }

    /** Row-major or column-major: the elements fill {@link #dataLength()} bytes without gaps or overlaps. */
    public boolean isContiguous() {
        return isRowMajor() || isColumnMajor();
    }

    /**
     * The byte offset of an element in the data.
     *
     * @throws IndexOutOfBoundsException if the index has the wrong rank or lies outside the shape
     */
    public long offset(long... index) {
        if (index.length != shape.length) {
            throw new IndexOutOfBoundsException("a tensor of rank " + shape.length + " needs " + shape.length
                    + " indices, not " + index.length + " " + Arrays.toString(index));
        }
        long offset = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " lies outside shape "
                        + Arrays.toString(shape) + " (dimension " + i + ")");
            }
            offset += index[i] * strides[i];
        }
        return offset;
    }

    /**
     * The byte offset of the {@code ordinal}-th element in row-major (C) order of indices, whatever the layout:
     * the last index varies fastest.
     */
    long offsetOfOrdinal(long ordinal) {
        long offset = 0;
        for (int i = shape.length - 1; i >= 0; i--) {
            long s = shape[i];
            offset += (ordinal % s) * strides[i];
            ordinal /= s;
        }
        return offset;
    }

    /** Row-major strides as Arrow C++ computes them ({@code internal::ComputeRowMajorStrides}). */
    static long[] rowMajorStrides(TensorType type, long[] shape) {
        int width = type.byteWidth();
        long remaining = 0;
        if (shape.length > 0 && shape[0] > 0) {
            remaining = width;
            for (int i = 1; i < shape.length; i++) {
                remaining = multiply(remaining, shape[i], "row-major strides");
            }
        }
        long[] strides = new long[shape.length];
        if (remaining == 0) { // empty shape, or an empty dimension: every stride is the element width
            Arrays.fill(strides, width);
            return strides;
        }
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                remaining /= shape[i];
            }
            strides[i] = remaining;
        }
        return strides;
    }

    /** Column-major strides as Arrow C++ computes them ({@code internal::ComputeColumnMajorStrides}). */
    static long[] columnMajorStrides(TensorType type, long[] shape) {
        int width = type.byteWidth();
        int ndim = shape.length;
        long total = 0;
        if (ndim > 0 && shape[ndim - 1] > 0) {
            total = width;
            for (int i = 0; i < ndim - 1; i++) {
                total = multiply(total, shape[i], "column-major strides");
            }
        }
        long[] strides = new long[ndim];
        if (total == 0) {
            Arrays.fill(strides, width);
            return strides;
        }
        total = width;
        for (int i = 0; i < ndim; i++) {
            strides[i] = total;
            if (i < ndim - 1) {
                total *= shape[i];
            }
        }
        return strides;
    }

    private static List<String> unnamed(int ndim) {
        return Collections.nCopies(ndim, "");
    }

    private static long multiply(long a, long b, String what) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(what + " would not fit in 64 bits");
        }
    }

    private static long add(long a, long b, String what) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(what + " would not fit in 64 bits");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && type == t.type && Arrays.equals(shape, t.shape)
                && Arrays.equals(strides, t.strides) && names.equals(t.names);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, Arrays.hashCode(shape), Arrays.hashCode(strides), names);
    }

    @Override
    public String toString() {
        return "TensorSpec[" + type + ", shape " + Arrays.toString(shape) + ", strides " + Arrays.toString(strides)
                + (hasNames() ? ", names " + names : "") + "]";
    }
}
