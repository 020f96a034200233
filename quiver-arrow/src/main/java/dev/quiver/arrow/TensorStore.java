package dev.quiver.arrow;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.ObjectNotFoundException;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Tensors in the store: n-dimensional arrays of primitive numbers, one per object, stored as an Arrow IPC
 * <b>Tensor message</b> ({@code format/Tensor.fbs}), the bytes Arrow C++ {@code arrow::ipc::WriteTensor} and
 * pyarrow's {@code pa.ipc.write_tensor} write and {@code ReadTensor} / {@code pa.ipc.read_tensor} read; read back
 * zero-copy. (Arrow Java has no tensor support; this is it for Quiver.)
 *
 * <pre>{@code
 * TensorStore tensors = new TensorStore(client);
 * TensorSpec spec = TensorSpec.rowMajor(TensorType.FLOAT32, 2, 3).withNames("row", "col");
 * tensors.write(id, spec, new float[] {1, 2, 3, 4, 5, 6});      // copied into the store, sealed
 *
 * try (TensorWriter w = tensors.create(id2, spec)) {              // or filled in place
 *     w.setDouble(1.0, 0, 0);
 *     w.seal();
 * }
 *
 * try (StoredTensor t = tensors.read(id, QuiverClient.WAIT_FOREVER)) {
 *     double v = t.getDouble(1, 2);                                 // 6.0, read in store memory
 * }
 * }</pre>
 *
 * <p><b>Layout of an object</b> (the class {@code TensorIpc} draws it, flatbuffer included): the continuation marker
 * {@code FF FF FF FF}, the metadata length, the {@code Message} flatbuffer (version V5, header Tensor), zero padding
 * so that the data starts 64-byte aligned (at a multiple of 64 from the start of the object, which the store aligns
 * to 64 too), then the data, unpadded. For a row-major or column-major tensor these are exactly the bytes Arrow C++
 * writes for the same tensor. A tensor with other strides is stored with those strides and a data buffer of
 * {@link TensorSpec#dataLength()} bytes (C++ itself would write a row-major copy; its reader accepts either). The
 * object's metadata is {@value #MEDIA_TYPE}.
 *
 * <p>Writing computes the exact size first, creates the object once and writes into store memory. Thread-safe as
 * the client is.
 */
public final class TensorStore {
    /**
     * The metadata of objects that hold an Arrow IPC tensor message: Quiver's marker, in the pattern of the Arrow
     * stream media type (the IANA registry has {@code application/vnd.apache.arrow.stream} and {@code .file}, no
     * tensor type). Reading does not require it: any object whose bytes are a tensor message reads.
     */
    public static final String MEDIA_TYPE = "application/vnd.apache.arrow.tensor";

    private static final byte[] MEDIA_TYPE_BYTES = MEDIA_TYPE.getBytes(StandardCharsets.US_ASCII);

    private final QuiverClient client;

    public TensorStore(QuiverClient client) {
        this.client = client;
    }

    public QuiverClient client() {
        return client;
    }

    /** The size in bytes of the object that holds a tensor: the message up to the body, then the data. */
    public static long objectSize(TensorSpec spec) {
        return TensorIpc.header(spec).length + spec.dataLength();
    }

    /**
     * The whole Arrow IPC tensor message of a tensor whose data lies in {@code data} (laid out as {@code spec}), in
     * a new array: the bytes an object holds, for sending a tensor elsewhere.
     */
    public static byte[] toMessage(TensorSpec spec, MemorySegment data) {
        byte[] header = TensorIpc.header(spec);
        checkSource(spec, data);
        byte[] out = new byte[Math.toIntExact(header.length + spec.dataLength())];
        System.arraycopy(header, 0, out, 0, header.length);
        MemorySegment.copy(data, 0, MemorySegment.ofArray(out), header.length, spec.dataLength());
        return out;
    }

    /**
     * Creates a tensor object with its metadata written, for the caller to fill in place and seal.
     *
     * @throws dev.quiver.client.ObjectExistsException if the id is taken
     * @throws dev.quiver.client.StoreFullException    if there is no room
     */
    public TensorWriter create(ObjectId id, TensorSpec spec) {
        byte[] header = TensorIpc.header(spec);
        WritableObject o = client.create(id, header.length + spec.dataLength(), MemorySegment.ofArray(MEDIA_TYPE_BYTES));
        try {
            MemorySegment.copy(MemorySegment.ofArray(header), 0, o.data(), 0, header.length);
            TensorWriter w = new TensorWriter(o, spec, header.length);
            if (!spec.isContiguous()) {
                w.data().fill((byte) 0); // gaps between elements hold zeros, not what the memory held before
            }
            return w;
        } catch (RuntimeException e) {
            o.close(); // aborts: no half-written object is left
            throw e;
        }
    }

    /**
     * Writes a tensor whose data lies in {@code data}, laid out as {@code spec} (its first
     * {@link TensorSpec#dataLength()} bytes are copied as they are), and seals it.
     *
     * @return the object's size in bytes
     * @throws IllegalArgumentException if {@code data} is shorter than the layout needs
     */
    public long write(ObjectId id, TensorSpec spec, MemorySegment data) {
        checkSource(spec, data);
        if (!spec.isContiguous()) {
            try (TensorWriter w = create(id, spec)) { // zeros in the gaps first
                MemorySegment.copy(data, 0, w.data(), 0, spec.dataLength());
                w.seal();
                return w.objectSize();
            }
        }
        // Copied in through WritableObject.write: digested while in cache, and no view to end at seal.
        byte[] header = TensorIpc.header(spec);
        try (WritableObject o = client.create(id, header.length + spec.dataLength(),
                MemorySegment.ofArray(MEDIA_TYPE_BYTES))) {
            o.write(0, MemorySegment.ofArray(header));
            o.write(header.length, data.asSlice(0, spec.dataLength()));
            o.seal();
            return header.length + spec.dataLength();
        }
    }

    /**
     * Writes a tensor whose data lies in {@code data} laid out as {@code source} into an object laid out as
     * {@code spec}: the same type and shape, any strides on either side. This is how to store a strided view
     * compactly, as Arrow C++ does with a non-contiguous tensor: {@code write(id, TensorSpec.rowMajor(type, shape),
     * view, viewLayout)}.
     *
     * @return the object's size in bytes
     */
    public long write(ObjectId id, TensorSpec spec, MemorySegment data, TensorSpec source) {
        if (source.type() != spec.type() || !Arrays.equals(source.shape(), spec.shape())) {
            throw new IllegalArgumentException("cannot copy a tensor of " + source.type() + Arrays.toString(
                    source.shape()) + " into one of " + spec.type() + Arrays.toString(spec.shape()));
        }
        checkSource(source, data);
        try (TensorWriter w = create(id, spec)) {
            TensorElements.relayout(source, data, spec, w.data());
            w.seal();
            return w.objectSize();
        }
    }

    /**
     * Writes a tensor from a Java array of its elements in row-major order of indices (stored wherever the spec's
     * strides put them) and seals it. The array holds the elements as stored: {@code byte[]} for (U)INT8,
     * {@code short[]} for (U)INT16 and FLOAT16 (raw bits), {@code int[]} for (U)INT32, {@code long[]} for (U)INT64,
     * {@code float[]} for FLOAT32, {@code double[]} for FLOAT64.
     *
     * @return the object's size in bytes
     * @throws IllegalArgumentException if the array's type or length does not fit the spec
     */
    public long write(ObjectId id, TensorSpec spec, byte[] values) {
        return writeArray(id, spec, values);
    }

    /** Writes a (U)INT16 or FLOAT16 tensor from its elements in row-major order; see {@link #write(ObjectId, TensorSpec, byte[])}. */
    public long write(ObjectId id, TensorSpec spec, short[] values) {
        return writeArray(id, spec, values);
    }

    /** Writes a (U)INT32 tensor from its elements in row-major order; see {@link #write(ObjectId, TensorSpec, byte[])}. */
    public long write(ObjectId id, TensorSpec spec, int[] values) {
        return writeArray(id, spec, values);
    }

    /** Writes a (U)INT64 tensor from its elements in row-major order; see {@link #write(ObjectId, TensorSpec, byte[])}. */
    public long write(ObjectId id, TensorSpec spec, long[] values) {
        return writeArray(id, spec, values);
    }

    /** Writes a FLOAT32 tensor from its elements in row-major order; see {@link #write(ObjectId, TensorSpec, byte[])}. */
    public long write(ObjectId id, TensorSpec spec, float[] values) {
        return writeArray(id, spec, values);
    }

    /** Writes a FLOAT64 tensor from its elements in row-major order; see {@link #write(ObjectId, TensorSpec, byte[])}. */
    public long write(ObjectId id, TensorSpec spec, double[] values) {
        return writeArray(id, spec, values);
    }

    private long writeArray(ObjectId id, TensorSpec spec, Object array) {
        TensorElements.checkArray(spec, array); // before creating anything
        try (TensorWriter w = create(id, spec)) {
            TensorElements.copyIn(spec, array, w.data());
            w.seal();
            return w.objectSize();
        }
    }

    /**
     * Reads a tensor object, zero-copy.
     *
     * @param timeoutMillis how long to wait for the object to be sealed ({@link QuiverClient#WAIT_FOREVER}, ...)
     * @throws ObjectNotFoundException if it was not sealed in time
     * @throws ArrowFormatException    if its bytes are not an Arrow IPC tensor message (the reference is released)
     */
    public StoredTensor read(ObjectId id, long timeoutMillis) {
        ObjectBuffer b = client.get(id, timeoutMillis).orElseThrow(() -> new ObjectNotFoundException(
                "object " + id + " is not in the store" + (timeoutMillis == 0 ? "" : " after waiting "
                        + timeoutMillis + " ms")));
        return StoredTensor.open(b);
    }

    private static void checkSource(TensorSpec spec, MemorySegment data) {
        if (data.byteSize() < spec.dataLength()) {
            throw new IllegalArgumentException("a tensor laid out as " + spec + " spans " + spec.dataLength()
                    + " bytes, but its data has " + data.byteSize());
        }
    }
}
