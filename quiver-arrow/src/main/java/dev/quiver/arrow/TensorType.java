package dev.quiver.arrow;

import org.apache.arrow.flatbuf.Precision;
import org.apache.arrow.flatbuf.Type;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * The element types of a tensor: the fixed-width primitive types that the Arrow IPC Tensor message allows (the
 * same list as Arrow C++'s {@code is_tensor_supported}). In the message, integers are an Arrow {@code Int} type
 * (bit width, signedness) and floating-point numbers a {@code FloatingPoint} type (precision).
 *
 * <p>Java has no unsigned or 16-bit floating-point primitives: unsigned elements are held in the Java type of their
 * width (read them widened with {@link StoredTensor#getLong}), and {@link #FLOAT16} elements are IEEE 754
 * binary16 bit patterns in a {@code short} ({@link Float#float16ToFloat(short)} converts them).
 */
public enum TensorType {
    INT8(8, true, false),
    INT16(16, true, false),
    INT32(32, true, false),
    INT64(64, true, false),
    UINT8(8, false, false),
    UINT16(16, false, false),
    UINT32(32, false, false),
    UINT64(64, false, false),
    /** IEEE 754 half precision, held as raw {@code short} bit patterns. */
    FLOAT16(16, true, true),
    FLOAT32(32, true, true),
    FLOAT64(64, true, true);

    private final int bitWidth;
    private final boolean signed;
    private final boolean floatingPoint;

    TensorType(int bitWidth, boolean signed, boolean floatingPoint) {
        this.bitWidth = bitWidth;
        this.signed = signed;
        this.floatingPoint = floatingPoint;
    }

    /** Bytes per element: 1, 2, 4 or 8. */
    public int byteWidth() {
        return bitWidth / 8;
    }

    public int bitWidth() {
        return bitWidth;
    }

    /** True for the signed integers and the floating-point types. */
    public boolean isSigned() {
        return signed;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    public boolean isInteger() {
        return !floatingPoint;
    }

    /** The same type as an Arrow Java type, e.g. for a vector that holds the tensor's elements. */
    public ArrowType arrowType() {
        if (!floatingPoint) {
            return new ArrowType.Int(bitWidth, signed);
        }
        return new ArrowType.FloatingPoint(switch (this) {
            case FLOAT16 -> FloatingPointPrecision.HALF;
            case FLOAT32 -> FloatingPointPrecision.SINGLE;
            default -> FloatingPointPrecision.DOUBLE;
        });
    }

    /** The flatbuffer {@code Type} union tag of this type: {@link Type#Int} or {@link Type#FloatingPoint}. */
    byte flatbufferType() {
        return floatingPoint ? Type.FloatingPoint : Type.Int;
    }

    /** The flatbuffer {@code Precision} of a floating-point type. */
    short precision() {
        return switch (this) {
            case FLOAT16 -> Precision.HALF;
            case FLOAT32 -> Precision.SINGLE;
            case FLOAT64 -> Precision.DOUBLE;
            default -> throw new IllegalStateException(this + " is not a floating-point type");
        };
    }

    /** The integer type of that width and signedness, or null if there is none. */
    static TensorType ofInt(int bitWidth, boolean signed) {
        for (TensorType t : values()) {
            if (!t.floatingPoint && t.bitWidth == bitWidth && t.signed == signed) {
                return t;
            }
        }
        return null;
    }

    /** The floating-point type of that flatbuffer precision, or null if there is none. */
    static TensorType ofPrecision(short precision) {
        return switch (precision) {
            case Precision.HALF -> FLOAT16;
            case Precision.SINGLE -> FLOAT32;
            case Precision.DOUBLE -> FLOAT64;
            default -> null;
        };
    }
}
