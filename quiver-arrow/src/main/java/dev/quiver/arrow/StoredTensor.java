package dev.quiver.arrow;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;

/**
 * A tensor read from the store <b>zero-copy</b>: its data is a read-only view of the store's memory, mapped in this
 * process, and the element accessors read it in place, following the strides.
 *
 * <pre>{@code
 * try (StoredTensor t = tensors.read(id, QuiverClient.WAIT_FOREVER)) {
 *     long[] shape = t.shape();
 *     double x = t.getDouble(1, 2);          // element (1, 2), wherever the strides put it
 *     MemorySegment data = t.data();         // the raw little-endian data, read-only
 * }
 * }</pre>
 *
 * <p>It holds one store reference until {@link #close()}, which releases it exactly once; the data view and the
 * accessors become unusable then (access throws {@link IllegalStateException}, never reads freed memory), and so
 * they do if the client is closed first. An {@link ArrowBuf} from {@link #toArrowBuf} is different: it is a raw
 * address, so it pins the object (see {@link ObjectBuffer#pin()}) and stays valid after this tensor and the client
 * are closed; the reference goes when this tensor and every such buffer are closed (until then the views stay
 * usable too).
 *
 * <p>Thread-safe for reading.
 */
public final class StoredTensor implements AutoCloseable {
    private final ObjectBuffer object;
    private final TensorSpec spec;
    private final long dataOffset;
    private final MemorySegment data;
    /** This tensor and each ArrowBuf over it hold one share; the last share released closes the object. */
    private final AtomicInteger shares = new AtomicInteger(1);
    private final AtomicBoolean closed = new AtomicBoolean();

    private StoredTensor(ObjectBuffer object, TensorIpc.Decoded decoded) {
        this.object = object;
        this.spec = decoded.spec();
        this.dataOffset = decoded.dataOffset();
        this.data = object.data().asSlice(decoded.dataOffset(), decoded.dataLength());
    }

    /**
     * Reads the tensor message an object holds. The tensor takes over the buffer: closing it closes the buffer, and
     * so does a failure here.
     *
     * @throws ArrowFormatException if the object does not hold a valid Arrow IPC tensor message
     */
    public static StoredTensor open(ObjectBuffer object) {
        try {
            return new StoredTensor(object, TensorIpc.decode(object.data(), "object " + object.id()));
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /** The object this tensor was read from. */
    public ObjectId id() {
        return object.id();
    }

    /** Type, shape, strides and names. */
    public TensorSpec spec() {
        return spec;
    }

    public TensorType type() {
        return spec.type();
    }

    public int ndim() {
        return spec.ndim();
    }

    /** The length of every dimension (a copy). */
    public long[] shape() {
        return spec.shape();
    }

    /** The byte strides (a copy). */
    public long[] strides() {
        return spec.strides();
    }

    /** One name per dimension, {@code ""} where unnamed. */
    public List<String> names() {
        return spec.names();
    }

    /** The number of elements. */
    public long size() {
        return spec.size();
    }

    /**
     * The tensor's data buffer, read-only, in store memory: the elements are little-endian, element {@code index}
     * at byte {@link #offset offset(index)}.
     */
    public MemorySegment data() {
        return data;
    }

    /** The byte offset of an element in {@link #data()}. */
    public long offset(long... index) {
        return spec.offset(index);
    }

    /**
     * An integer element, widened to a long: unsigned types are zero-extended; a UINT64 element comes back as its
     * bits (read values above {@code Long.MAX_VALUE} with {@link Long#toUnsignedString(long)}).
     *
     * @throws IllegalStateException     for a floating-point tensor (use {@link #getDouble})
     * @throws IndexOutOfBoundsException if the index lies outside the shape
     */
    public long getLong(long... index) {
        return TensorElements.readLong(spec.type(), data, spec.offset(index));
    }

    /**
     * An element as a double, of any type: FLOAT16 and FLOAT32 widen exactly, integers convert (64-bit integers
     * beyond 2^53 are rounded).
     *
     * @throws IndexOutOfBoundsException if the index lies outside the shape
     */
    public double getDouble(long... index) {
        return TensorElements.readDouble(spec.type(), data, spec.offset(index));
    }

    /**
     * Copies the elements out, in row-major order of indices whatever the layout, into a new Java array of the type
     * that holds them: {@code byte[]} for (U)INT8, {@code short[]} for (U)INT16 and FLOAT16 (raw bits),
     * {@code int[]} for (U)INT32, {@code long[]} for (U)INT64, {@code float[]}, {@code double[]}.
     */
    public Object toArray() {
        return TensorElements.copyOut(spec, data);
    }

    /** Every element as a double, in row-major order of indices (a copy). */
    public double[] toDoubleArray() {
        double[] out = new double[checkedSize()];
        TensorElements.Odometer o = new TensorElements.Odometer(spec);
        for (int i = 0; i < out.length; i++, o.advance()) {
            out[i] = TensorElements.readDouble(spec.type(), data, o.offset);
        }
        return out;
    }

    /** Every integer element widened to a long, in row-major order of indices (a copy); see {@link #getLong}. */
    public long[] toLongArray() {
        long[] out = new long[checkedSize()];
        TensorElements.Odometer o = new TensorElements.Odometer(spec);
        for (int i = 0; i < out.length; i++, o.advance()) {
            out[i] = TensorElements.readLong(spec.type(), data, o.offset);
        }
        return out;
    }

    /**
     * The data buffer as an Arrow buffer over store memory (nothing is copied), accounted to {@code allocator}.
     * The object is pinned: the buffer stays valid until it is released, even after this tensor or the client is
     * closed; the store reference is released when this tensor and every such buffer are closed.
     *
     * @throws IllegalStateException if this tensor is closed
     */
    public ArrowBuf toArrowBuf(BufferAllocator allocator) {
        int s;
        do {
            s = shares.get();
            if (s == 0 || closed.get()) {
                throw new IllegalStateException("tensor of object " + id() + " is closed");
            }
        } while (!shares.compareAndSet(s, s + 1));
        try {
            long address = object.pin() + dataOffset;
            return allocator.wrapForeignAllocation(new ForeignAllocation(data.byteSize(), address) {
                @Override
                protected void release0() {
                    releaseShare();
                }
            });
        } catch (RuntimeException e) {
            releaseShare();
            throw e;
        }
    }

    /** True until closed (ArrowBufs taken from it may outlive it). */
    public boolean isOpen() {
        return !closed.get();
    }

    /** Releases this tensor's share of the store reference; later calls do nothing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            releaseShare();
        }
    }

    private void releaseShare() {
        if (shares.decrementAndGet() == 0) {
            object.close();
        }
    }

    private int checkedSize() {
        if (spec.size() > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a tensor of " + spec.size() + " elements does not fit in a Java array");
        }
        return (int) spec.size();
    }

    @Override
    public String toString() {
        return "StoredTensor[" + object.id() + ", " + spec + "]";
    }
}
