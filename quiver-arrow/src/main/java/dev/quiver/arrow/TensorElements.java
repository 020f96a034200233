package dev.quiver.arrow;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Reads and writes single elements of a tensor's data, and copies Java arrays in and out in row-major order of
 * indices whatever the layout. Arrow tensor data is little-endian; offsets need not be aligned.
 */
final class TensorElements {
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TensorElements() {
    }

    /** An integer element, widened: unsigned types zero-extended, UINT64 as its two's complement bits. */
    static long readLong(TensorType type, MemorySegment data, long offset) {
        return switch (type) {
            case INT8 -> data.get(ValueLayout.JAVA_BYTE, offset);
            case UINT8 -> Byte.toUnsignedLong(data.get(ValueLayout.JAVA_BYTE, offset));
            case INT16 -> data.get(SHORT, offset);
            case UINT16 -> Short.toUnsignedLong(data.get(SHORT, offset));
            case INT32 -> data.get(INT, offset);
            case UINT32 -> Integer.toUnsignedLong(data.get(INT, offset));
            case INT64, UINT64 -> data.get(LONG, offset);
            case FLOAT16, FLOAT32, FLOAT64 -> throw new IllegalStateException("a " + type
                    + " tensor holds floating-point numbers: read them with getDouble");
        };
    }

    /** Any element as a double (64-bit integers beyond 2^53 are rounded). */
    static double readDouble(TensorType type, MemorySegment data, long offset) {
        return switch (type) {
            case FLOAT16 -> Float.float16ToFloat(data.get(SHORT, offset));
            case FLOAT32 -> data.get(FLOAT, offset);
            case FLOAT64 -> data.get(DOUBLE, offset);
            case UINT64 -> unsignedToDouble(data.get(LONG, offset));
            default -> readLong(type, data, offset);
        };
    }

    /**
     * Writes an integer element.
     *
     * @throws IllegalArgumentException if the value does not fit in the type (UINT64 takes any bits)
     */
    static void writeLong(TensorType type, MemorySegment data, long offset, long value) {
        if (type.isFloatingPoint()) {
            throw new IllegalStateException("a " + type + " tensor holds floating-point numbers: write them with "
                    + "setDouble");
        }
        int bits = type.bitWidth();
        if (bits < 64) {
            long min = type.isSigned() ? -(1L << (bits - 1)) : 0;
            long max = type.isSigned() ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
            if (value < min || value > max) {
                throw new IllegalArgumentException(value + " does not fit in a " + type + " element [" + min + ", "
                        + max + "]");
            }
        } // INT64 takes every long, and UINT64 every bit pattern
        switch (bits) {
            case 8 -> data.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
            case 16 -> data.set(SHORT, offset, (short) value);
            case 32 -> data.set(INT, offset, (int) value);
            default -> data.set(LONG, offset, value);
        }
    }

    /** Writes a floating-point element (rounded to the nearest FLOAT16 or FLOAT32 for the narrower types). */
    static void writeDouble(TensorType type, MemorySegment data, long offset, double value) {
        switch (type) {
            case FLOAT16 -> data.set(SHORT, offset, Float.floatToFloat16((float) value));
            case FLOAT32 -> data.set(FLOAT, offset, (float) value);
            case FLOAT64 -> data.set(DOUBLE, offset, value);
            default -> throw new IllegalStateException("a " + type + " tensor holds integers: write them with "
                    + "setLong");
        }
    }

    static double unsignedToDouble(long v) {
        // Halve keeping the lost bit as a sticky bit, so that the one rounding to double is the correct one.
        return v >= 0 ? (double) v : (double) ((v >>> 1) | (v & 1)) * 2.0;
    }

    /** The Java array type that holds elements of {@code type} as they are stored. */
    static Class<?> arrayType(TensorType type) {
        return switch (type) {
            case INT8, UINT8 -> byte[].class;
            case INT16, UINT16, FLOAT16 -> short[].class;
            case INT32, UINT32 -> int[].class;
            case INT64, UINT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
        };
    }

    private static ValueLayout layout(TensorType type) {
        return switch (type) {
            case INT8, UINT8 -> ValueLayout.JAVA_BYTE;
            case INT16, UINT16, FLOAT16 -> SHORT;
            case INT32, UINT32 -> INT;
            case INT64, UINT64 -> LONG;
            case FLOAT32 -> FLOAT;
            case FLOAT64 -> DOUBLE;
        };
    }

    /**
     * Copies a Java array of elements, in row-major order of indices, into data laid out as {@code spec}.
     *
     * @throws IllegalArgumentException if the array's type or length does not match the spec
     */
    static void copyIn(TensorSpec spec, Object array, MemorySegment data) {
        checkArray(spec, array);
        ValueLayout layout = layout(spec.type());
        int n = (int) spec.size();
        if (spec.isRowMajor()) {
            MemorySegment.copy(array, 0, data, layout, 0, n);
            return;
        }
        Odometer o = new Odometer(spec);
        for (int i = 0; i < n; i++, o.advance()) {
            MemorySegment.copy(array, i, data, layout, o.offset, 1);
        }
    }

    /** Copies the elements of data laid out as {@code spec} into a new array, in row-major order of indices. */
    static Object copyOut(TensorSpec spec, MemorySegment data) {
        if (spec.size() > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a tensor of " + spec.size() + " elements does not fit in a Java array");
        }
        int n = (int) spec.size();
        ValueLayout layout = layout(spec.type());
        Object array = java.lang.reflect.Array.newInstance(arrayType(spec.type()).componentType(), n);
        if (spec.isRowMajor()) {
            MemorySegment.copy(data, layout, 0, array, 0, n);
            return array;
        }
        Odometer o = new Odometer(spec);
        for (int i = 0; i < n; i++, o.advance()) {
            MemorySegment.copy(data, layout, o.offset, array, i, 1);
        }
        return array;
    }

    /**
     * Copies every element from {@code source} laid out as {@code from} into {@code target} laid out as {@code to}
     * (same type and shape, any strides).
     */
    static void relayout(TensorSpec from, MemorySegment source, TensorSpec to, MemorySegment target) {
        if (from.isRowMajor() && to.isRowMajor() || from.isColumnMajor() && to.isColumnMajor()) {
            MemorySegment.copy(source, 0, target, 0, to.dataLength());
            return;
        }
        long width = to.type().byteWidth();
        Odometer a = new Odometer(from);
        Odometer b = new Odometer(to);
        for (long i = 0, n = to.size(); i < n; i++, a.advance(), b.advance()) {
            MemorySegment.copy(source, a.offset, target, b.offset, width);
        }
    }

    static void checkArray(TensorSpec spec, Object array) {
        Class<?> expected = arrayType(spec.type());
        if (array.getClass() != expected) {
            throw new IllegalArgumentException("the elements of a " + spec.type() + " tensor come in a "
                    + expected.getSimpleName() + ", not a " + array.getClass().getSimpleName());
        }
        int length = java.lang.reflect.Array.getLength(array);
        if (length != spec.size()) {
            throw new IllegalArgumentException("a tensor of shape " + java.util.Arrays.toString(spec.shape())
                    + " has " + spec.size() + " elements, but " + length + " were given");
        }
    }

    /** Walks the indices of a tensor in row-major order, keeping the byte offset of the current element. */
    static final class Odometer {
        private final long[] shape;
        private final long[] strides;
        private final long[] index;
        long offset;

        Odometer(TensorSpec spec) {
            this.shape = spec.shape();
            this.strides = spec.strides();
            this.index = new long[shape.length];
        }

        void advance() {
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) {
                    offset += strides[d];
                    return;
                }
                offset -= (shape[d] - 1) * strides[d];
                index[d] = 0;
            }
        }
    }
}
