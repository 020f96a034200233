package dev.quiver.arrow;

import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;

/**
 * A tensor object just created in the store, its metadata already written: fill {@link #data()} in place (or set
 * elements one by one), then {@link #seal()} it, or {@link #abort()} it.
 *
 * <pre>{@code
 * TensorSpec spec = TensorSpec.rowMajor(TensorType.FLOAT64, 1024, 1024);
 * try (TensorWriter w = tensors.create(id, spec)) {
 *     MemorySegment data = w.data();                  // spec.dataLength() bytes of store memory
 *     data.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, 0, 1.5);
 *     w.setDouble(2.5, 1023, 1023);                   // or element by element
 *     w.seal();
 * }
 * }</pre>
 *
 * <p>The data is little-endian (Arrow's byte order on every platform Quiver runs on), element {@code index} at byte
 * {@link TensorSpec#offset spec().offset(index)}. With a contiguous layout every byte is an element and the data
 * starts with whatever the memory held; with other strides it starts zeroed, so that the gaps between elements are
 * zeros. The views close at seal or abort, like {@link WritableObject}'s; {@link #close()} releases the creator's
 * reference, or aborts the object if it was never sealed.
 */
public final class TensorWriter implements AutoCloseable {
    private final WritableObject object;
    private final TensorSpec spec;
    private final MemorySegment data;
    private final long headerLength;

    TensorWriter(WritableObject object, TensorSpec spec, long headerLength) {
        this.object = object;
        this.spec = spec;
        this.headerLength = headerLength;
        this.data = object.data().asSlice(headerLength, spec.dataLength());
    }

    public ObjectId id() {
        return object.id();
    }

    public TensorSpec spec() {
        return spec;
    }

    /** The tensor's data, writable until seal or abort: {@link TensorSpec#dataLength()} bytes of store memory. */
    public MemorySegment data() {
        return data;
    }

    /** The byte offset of an element in {@link #data()}. */
    public long offset(long... index) {
        return spec.offset(index);
    }

    /**
     * Sets an integer element.
     *
     * @throws IllegalArgumentException if the value does not fit in the element type (UINT64 takes any bits)
     * @throws IllegalStateException    for a floating-point tensor (use {@link #setDouble})
     */
    public TensorWriter setLong(long value, long... index) {
        TensorElements.writeLong(spec.type(), data, spec.offset(index), value);
        return this;
    }

    /**
     * Sets a floating-point element (rounded to the nearest FLOAT32 or FLOAT16 for those types).
     *
     * @throws IllegalStateException for an integer tensor (use {@link #setLong})
     */
    public TensorWriter setDouble(double value, long... index) {
        TensorElements.writeDouble(spec.type(), data, spec.offset(index), value);
        return this;
    }

    /**
     * Copies every element from a Java array in row-major order of indices, wherever the strides put them: a
     * {@code byte[]} for (U)INT8, {@code short[]} for (U)INT16 and FLOAT16 (raw bits), {@code int[]} for (U)INT32,
     * {@code long[]} for (U)INT64, {@code float[]} for FLOAT32, {@code double[]} for FLOAT64.
     *
     * @throws IllegalArgumentException if the array's type or length does not fit the tensor
     */
    public TensorWriter copyFrom(byte[] values) {
        TensorElements.copyIn(spec, values, data);
        return this;
    }

    /** Copies every (U)INT16 or FLOAT16 element; see {@link #copyFrom(byte[])}. */
    public TensorWriter copyFrom(short[] values) {
        TensorElements.copyIn(spec, values, data);
        return this;
    }

    /** Copies every (U)INT32 element; see {@link #copyFrom(byte[])}. */
    public TensorWriter copyFrom(int[] values) {
        TensorElements.copyIn(spec, values, data);
        return this;
    }

    /** Copies every (U)INT64 element; see {@link #copyFrom(byte[])}. */
    public TensorWriter copyFrom(long[] values) {
        TensorElements.copyIn(spec, values, data);
        return this;
    }

    /** Copies every FLOAT32 element; see {@link #copyFrom(byte[])}. */
    public TensorWriter copyFrom(float[] values) {
        TensorElements.copyIn(spec, values, data);
        return this;
    }

    /** Copies every FLOAT64 element; see {@link #copyFrom(byte[])}. */
    public TensorWriter copyFrom(double[] values) {
        TensorElements.copyIn(spec, values, data);
        return this;
    }

    /** Makes the tensor visible and immutable. Close the writer afterwards to release the creator's reference. */
    public void seal() {
        object.seal();
    }

    /** Drops the object as if it had never been created. */
    public void abort() {
        object.abort();
    }

    public boolean isSealed() {
        return object.isSealed();
    }

    /** Releases the creator's reference if sealed; aborts the object if not. Later calls do nothing. */
    @Override
    public void close() {
        object.close();
    }

    /** The size of the object: the message up to the body, then the data. */
    long objectSize() {
        return headerLength + spec.dataLength();
    }

    @Override
    public String toString() {
        return "TensorWriter[" + object.id() + ", " + spec + "]";
    }
}
