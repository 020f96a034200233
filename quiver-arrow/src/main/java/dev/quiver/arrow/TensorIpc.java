package dev.quiver.arrow;

import com.google.flatbuffers.FlatBufferBuilder;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FloatingPoint;
import org.apache.arrow.flatbuf.Int;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.Tensor;
import org.apache.arrow.flatbuf.TensorDim;
import org.apache.arrow.flatbuf.Type;

/**
 * The Arrow IPC Tensor message ({@code format/Tensor.fbs}), encoded byte for byte as Arrow C++ writes it
 * ({@code arrow::ipc::WriteTensor}, which pyarrow's {@code pa.ipc.write_tensor} calls) and decoded with every
 * length and offset checked against the bytes that are there.
 *
 * <pre>
 *  offset 0      FF FF FF FF                     continuation marker
 *  offset 4      int32 LE  M = P - 8             metadata length, padding included
 *  offset 8      Message flatbuffer (F bytes)    version V5, header Tensor, bodyLength = L
 *  offset 8 + F  zero bytes up to P              P = 8 + F rounded up to a multiple of 64 (kTensorAlignment)
 *  offset P      body: the tensor data, L bytes  not padded at the end; no end-of-stream marker follows
 * </pre>
 *
 * The Tensor table holds the element type (the {@code Type} union: {@code Int{bitWidth, is_signed}} or
 * {@code FloatingPoint{precision}}), the shape (one {@code TensorDim{size, name}} per dimension; C++ writes a name
 * string for every dimension, {@code ""} when unnamed), the strides in bytes (always written, empty for a scalar),
 * and the data {@code Buffer{offset 0, length L}} relative to the body. The flatbuffer is built in the order of
 * C++'s {@code WriteTensorMessage} and of the {@code Create*} functions flatc generates for C++ (fields added largest
 * first, in reverse declaration order within a size), which is what makes the bytes identical; one difference
 * between the two FlatBuffers builders (the alignment of an empty vector) is made up for where it shows.
 */
final class TensorIpc {
    /** Arrow C++ pads the tensor message's prefix and metadata to this ({@code ipc::kTensorAlignment}). */
    static final int ALIGNMENT = 64;
    private static final int CONTINUATION = 0xFFFFFFFF;

    private TensorIpc() {
    }

    /**
     * The message up to the body: continuation marker, metadata length, Message flatbuffer, padding. Its length is a
     * multiple of {@value #ALIGNMENT}; the body ({@link TensorSpec#dataLength()} bytes) follows it.
     */
    static byte[] header(TensorSpec spec) {
        byte[] flatbuffer = metadata(spec);
        int padded = Math.toIntExact(align(8L + flatbuffer.length));
        ByteBuffer out = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(CONTINUATION);
        out.putInt(padded - 8);
        out.put(flatbuffer);
        return out.array(); // the rest is zeros: the padding
    }

    /** The Message flatbuffer of a tensor, as Arrow C++ builds it. */
    static byte[] metadata(TensorSpec spec) {
        FlatBufferBuilder b = new FlatBufferBuilder(256 + spec.ndim() * 48);
        TensorType type = spec.type();
        // 1. the element type (TensorTypeToFlatbuffer: CreateInt / CreateFloatingPoint)
        int typeTable;
        if (type.isFloatingPoint()) {
            FloatingPoint.startFloatingPoint(b);
            FloatingPoint.addPrecision(b, type.precision()); // HALF is the default: omitted, as C++ omits it
            typeTable = FloatingPoint.endFloatingPoint(b);
        } else {
            Int.startInt(b);
            Int.addBitWidth(b, type.bitWidth());
            Int.addIsSigned(b, type.isSigned());
            typeTable = Int.endInt(b);
        }
        // 2. per dimension: the name string, then TensorDim{size, name}
        int[] dims = new int[spec.ndim()];
        for (int i = 0; i < dims.length; i++) {
            int name = b.createString(spec.name(i));
            TensorDim.startTensorDim(b);
            TensorDim.addSize(b, spec.shape(i));
            TensorDim.addName(b, name);
            dims[i] = TensorDim.endTensorDim(b);
        }
        // 3. the shape vector, 4. the strides vector (always present, even when empty)
        int shape = Tensor.createShapeVector(b, dims);
        int strides;
        if (spec.ndim() > 0) {
            strides = Tensor.createStridesVector(b, spec.strides());
        } else {
            // C++'s builder skips the alignment of an empty vector's elements (PreAlign returns at once for 0
            // bytes) and only aligns its length to 4, where Java's would align to the 8 bytes of a long: a scalar's
            // empty strides vector is aligned as C++ aligns it.
            b.startVector(8, 0, 4);
            strides = b.endVector();
        }
        // 5. the Tensor table: data, strides, shape, type, type_type (CreateTensor's order)
        Tensor.startTensor(b);
        Tensor.addData(b, Buffer.createBuffer(b, 0, spec.dataLength()));
        Tensor.addStrides(b, strides);
        Tensor.addShape(b, shape);
        Tensor.addType(b, typeTable);
        Tensor.addTypeType(b, type.flatbufferType());
        int tensor = Tensor.endTensor(b);
        // 6. the Message table: bodyLength, (no custom_metadata), header, version, header_type (CreateMessage's order)
        Message.startMessage(b);
        Message.addBodyLength(b, spec.dataLength());
        Message.addHeader(b, tensor);
        Message.addVersion(b, MetadataVersion.V5);
        Message.addHeaderType(b, MessageHeader.Tensor);
        int message = Message.endMessage(b);
        b.finish(message);
        return b.sizedByteArray();
    }

    /** Where a decoded tensor's data lies in the bytes it was decoded from. */
    record Decoded(TensorSpec spec, long dataOffset, long dataLength) {
    }

    /**
     * Decodes the tensor message at the start of {@code bytes}.
     *
     * @param what names the bytes in error messages, e.g. "object 1f2e…"
     * @throws ArrowFormatException if the bytes are not a tensor message that fits in them
     */
    static Decoded decode(MemorySegment bytes, String what) {
        String prefix = "cannot read " + what + " as an Arrow tensor: ";
        IpcMessages.Entry e;
        try {
            e = new IpcMessages(bytes, what).next();
        } catch (ArrowFormatException ex) {
            throw new ArrowFormatException(prefix + ex.getMessage(), ex);
        } catch (RuntimeException ex) { // IpcMessages reads bodyLength from metadata that may point nowhere
            throw new ArrowFormatException(prefix + "unreadable message metadata (" + ex + ")", ex);
        }
        if (e == null) {
            throw new ArrowFormatException(prefix + (bytes.byteSize() == 0 ? "it is empty"
                    : "it starts with an end-of-stream marker"));
        }
        try {
            return decode(e, prefix);
        } catch (ArrowFormatException ex) {
            throw ex;
        } catch (RuntimeException ex) { // flatbuffer offsets that point nowhere, and the like
            throw new ArrowFormatException(prefix + "unreadable tensor metadata (" + ex + ")", ex);
        }
    }

    private static Decoded decode(IpcMessages.Entry e, String prefix) {
        Message message = e.message();
        byte headerType = message.headerType();
        if (headerType != MessageHeader.Tensor) {
            String name = headerType >= 0 && headerType < MessageHeader.names.length
                    ? MessageHeader.name(headerType) : "unknown (" + headerType + ")";
            throw new ArrowFormatException(prefix + "it holds a " + name + " message, not a Tensor"
                    + (headerType == MessageHeader.Schema ? " (an Arrow IPC stream: read it with ArrowStore)" : ""));
        }
        if (message.version() < MetadataVersion.V4) {
            throw new ArrowFormatException(prefix + "metadata version " + message.version()
                    + " is older than V4, which Arrow no longer reads");
        }
        Tensor tensor = (Tensor) message.header(new Tensor());
        if (tensor == null) {
            throw new ArrowFormatException(prefix + "the Tensor message has no Tensor table");
        }
        int metadataBytes = message.getByteBuffer().limit();
        TensorType type = elementType(tensor, prefix);

        TensorDim.Vector dims = tensor.shapeVector();
        if (dims == null) {
            throw new ArrowFormatException(prefix + "the tensor has no shape");
        }
        int ndim = dims.length();
        if (ndim < 0 || (long) ndim * 4 > metadataBytes) {
            throw new ArrowFormatException(prefix + "a shape of " + ndim + " dimensions cannot fit in "
                    + metadataBytes + " bytes of metadata");
        }
        long[] shape = new long[ndim];
        List<String> names = new ArrayList<>(ndim);
        TensorDim dim = new TensorDim();
        for (int i = 0; i < ndim; i++) {
            dims.get(dim, i);
            shape[i] = dim.size();
            ByteBuffer name = dim.nameAsByteBuffer(); // decoded leniently: a bad name does not make data unreadable
            names.add(name == null ? "" : StandardCharsets.UTF_8.decode(name).toString());
        }

        long[] strides = null; // absent or empty: row-major, as Arrow C++ reads it
        int nstrides = tensor.stridesLength();
        if (nstrides != 0) {
            if (nstrides != ndim) {
                throw new ArrowFormatException(prefix + "it has " + nstrides + " strides for " + ndim
                        + " dimensions");
            }
            strides = new long[ndim];
            for (int i = 0; i < ndim; i++) {
                strides[i] = tensor.strides(i);
            }
        }

        TensorSpec spec;
        try {
            spec = TensorSpec.of(type, shape, strides).withNames(names);
        } catch (IllegalArgumentException ex) {
            throw new ArrowFormatException(prefix + ex.getMessage(), ex);
        }

        Buffer data = tensor.data();
        if (data == null) {
            throw new ArrowFormatException(prefix + "the tensor has no data buffer");
        }
        long offset = data.offset();
        long length = data.length();
        if (offset < 0 || length < 0 || offset > e.bodyLength() || length > e.bodyLength() - offset) {
            throw new ArrowFormatException(prefix + "its data buffer (offset " + offset + ", length " + length
                    + ") lies outside its body of " + e.bodyLength() + " bytes");
        }
        if (spec.dataLength() > length) {
            throw new ArrowFormatException(prefix + "shape " + java.util.Arrays.toString(shape) + " and strides "
                    + java.util.Arrays.toString(spec.strides()) + " reach " + spec.dataLength() + " bytes into a data "
                    + "buffer of " + length + " bytes");
        }
        return new Decoded(spec, e.bodyOffset() + offset, length);
    }

    private static TensorType elementType(Tensor tensor, String prefix) {
        byte typeType = tensor.typeType();
        TensorType type = null;
        String detail;
        switch (typeType) {
            case Type.Int -> {
                Int t = (Int) tensor.type(new Int());
                if (t == null) {
                    throw new ArrowFormatException(prefix + "its Int element type has no table");
                }
                type = TensorType.ofInt(t.bitWidth(), t.isSigned());
                detail = "Int(bitWidth " + t.bitWidth() + ", " + (t.isSigned() ? "signed" : "unsigned") + ")";
            }
            case Type.FloatingPoint -> {
                FloatingPoint t = (FloatingPoint) tensor.type(new FloatingPoint());
                if (t == null) {
                    throw new ArrowFormatException(prefix + "its FloatingPoint element type has no table");
                }
                type = TensorType.ofPrecision(t.precision());
                detail = "FloatingPoint(precision " + t.precision() + ")";
            }
            case Type.NONE -> throw new ArrowFormatException(prefix + "the tensor has no element type");
            default -> detail = typeType > 0 && typeType < Type.names.length ? Type.name(typeType)
                    : "unknown type " + typeType;
        }
        if (type == null) {
            throw new ArrowFormatException(prefix + "unsupported element type " + detail + ": a tensor holds "
                    + "8, 16, 32 or 64-bit integers or 16, 32 or 64-bit floating-point numbers");
        }
        return type;
    }

    /** {@code n} rounded up to the next multiple of {@value #ALIGNMENT}. */
    static long align(long n) {
        return (n + ALIGNMENT - 1) & -ALIGNMENT;
    }
}
