package dev.quiver.arrow;

import static dev.quiver.arrow.TensorTestSupport.refCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FloatingPoint;
import org.apache.arrow.flatbuf.Int;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.Tensor;
import org.apache.arrow.flatbuf.TensorDim;
import org.apache.arrow.flatbuf.Type;
import org.apache.arrow.flatbuf.Utf8;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bytes that are not a valid tensor message end in an {@link ArrowFormatException} that says what is wrong, never in
 * a read outside the object or another exception, and the store reference taken by the read is released.
 */
class TensorInvalidTest {
    @RegisterExtension
    static final RunningStore STORE = new RunningStore(16 << 20);
    static QuiverClient client;
    static TensorStore tensors;

    @BeforeAll
    static void start() {
        client = STORE.client();
        tensors = new TensorStore(client);
    }

    /**
     * A tensor message with every part settable, including to values no writer should produce. The defaults make a
     * valid 2 x 3 float64 tensor.
     */
    static final class Forged {
        short version = MetadataVersion.V5;
        byte headerType = MessageHeader.Tensor;
        boolean withTensorTable = true;
        byte typeType = Type.FloatingPoint;
        int bitWidth = 64;
        boolean signed = true;
        short precision = org.apache.arrow.flatbuf.Precision.DOUBLE;
        boolean withTypeTable = true;
        long[] shape = {2, 3};
        boolean withShape = true;
        /** The length the shape vector claims, if not its real one. */
        int shapeVectorLength = -1;
        long[] strides = {24, 8};
        boolean withData = true;
        long dataOffset = 0;
        long dataLength = 48;
        long bodyLength = 48;
        int actualBody = 48;

        byte[] bytes() {
            FlatBufferBuilder b = new FlatBufferBuilder();
            int type = 0;
            if (withTypeTable) {
                type = switch (typeType) {
                    case Type.Int -> Int.createInt(b, bitWidth, signed);
                    case Type.FloatingPoint -> FloatingPoint.createFloatingPoint(b, precision);
                    default -> {
                        Utf8.startUtf8(b);
                        yield Utf8.endUtf8(b);
                    }
                };
            }
            int[] dims = new int[shape.length];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = TensorDim.createTensorDim(b, shape[i], b.createString("d" + i));
            }
            int shapeVector = 0;
            if (withShape) {
                b.startVector(4, dims.length, 4);
                for (int i = dims.length - 1; i >= 0; i--) {
                    b.addOffset(dims[i]);
                }
                shapeVector = b.endVector();
            }
            int stridesVector = strides == null ? 0 : Tensor.createStridesVector(b, strides);
            int tensor = 0;
            if (withTensorTable) {
                Tensor.startTensor(b);
                if (withData) {
                    Tensor.addData(b, Buffer.createBuffer(b, dataOffset, dataLength));
                }
                if (stridesVector != 0) {
                    Tensor.addStrides(b, stridesVector);
                }
                if (withShape) {
                    Tensor.addShape(b, shapeVector);
                }
                if (type != 0) {
                    Tensor.addType(b, type);
                }
                Tensor.addTypeType(b, typeType);
                tensor = b.endTable(); // not Tensor.endTensor, which refuses to leave out required fields
            }
            Message.startMessage(b);
            Message.addBodyLength(b, bodyLength);
            if (tensor != 0) {
                Message.addHeader(b, tensor);
            }
            Message.addVersion(b, version);
            Message.addHeaderType(b, headerType);
            b.finish(Message.endMessage(b));
            byte[] fb = b.sizedByteArray();
            if (shapeVectorLength >= 0) { // offsets count from the end of the buffer; a vector starts with its length
                ByteBuffer.wrap(fb).order(ByteOrder.LITTLE_ENDIAN).putInt(fb.length - shapeVector, shapeVectorLength);
            }
            int padded = (int) TensorIpc.align(8 + fb.length);
            ByteBuffer out = ByteBuffer.allocate(padded + actualBody).order(ByteOrder.LITTLE_ENDIAN);
            out.putInt(-1).putInt(padded - 8).put(fb);
            return out.array();
        }
    }

    @Test
    void theForgedDefaultIsValid() {
        ObjectId id = put(new Forged().bytes());
        try (StoredTensor t = tensors.read(id, 0)) {
            assertThat(t.spec()).isEqualTo(TensorSpec.rowMajor(TensorType.FLOAT64, 2, 3).withNames("d0", "d1"));
        }
        assertThat(refCount(client, id)).isZero();
    }

    @Test
    void emptyObject() {
        assertInvalid(new byte[0], "it is empty");
    }

    @Test
    void endOfStreamMarkerOnly() {
        assertInvalid(new byte[] {-1, -1, -1, -1, 0, 0, 0, 0}, "end-of-stream");
    }

    @Test
    void randomBytes() {
        byte[] junk = new byte[1000];
        new java.util.Random(7).nextBytes(junk);
        assertInvalid(junk, "cannot read object");
    }

    @Test
    void plainTextObject() {
        assertInvalid("just some text, not Arrow at all".getBytes(), "cannot read object");
    }

    @Test
    void anArrowStreamIsNotATensor() {
        ObjectId id = ObjectId.random();
        try (RootAllocator allocator = new RootAllocator(); IntVector v = new IntVector("x", allocator)) {
            v.allocateNew(3);
            v.setValueCount(3);
            try (VectorSchemaRoot root = VectorSchemaRoot.of(v)) {
                new ArrowStore(client, allocator).write(id, root);
            }
        }
        assertThatThrownBy(() -> tensors.read(id, 0)).isInstanceOf(ArrowFormatException.class)
                .hasMessageContaining("Schema message, not a Tensor").hasMessageContaining("ArrowStore");
        assertThat(refCount(client, id)).isZero();
    }

    @Test
    void truncatedInTheBody() {
        byte[] valid = new Forged().bytes();
        assertInvalid(Arrays.copyOf(valid, valid.length - 1), "overruns");
    }

    @Test
    void truncatedInTheMetadata() {
        assertInvalid(Arrays.copyOf(new Forged().bytes(), 40), "overruns");
        assertInvalid(Arrays.copyOf(new Forged().bytes(), 6), "truncated");
    }

    @Test
    void notATensorMessage() {
        Forged f = new Forged();
        f.headerType = MessageHeader.RecordBatch;
        assertInvalid(f.bytes(), "RecordBatch message, not a Tensor");
        f.headerType = 99;
        assertInvalid(f.bytes(), "unknown (99) message");
    }

    @Test
    void tooOldAVersion() {
        Forged f = new Forged();
        f.version = MetadataVersion.V3;
        assertInvalid(f.bytes(), "older than V4");
    }

    @Test
    void noTensorTable() {
        Forged f = new Forged();
        f.withTensorTable = false;
        assertInvalid(f.bytes(), "no Tensor table");
    }

    @Test
    void dataBufferOutsideTheBody() {
        Forged f = new Forged();
        f.dataLength = 49;
        assertInvalid(f.bytes(), "lies outside its body of 48 bytes");
        f = new Forged();
        f.dataOffset = 8;
        assertInvalid(f.bytes(), "outside");
        f = new Forged();
        f.dataOffset = Long.MAX_VALUE;
        assertInvalid(f.bytes(), "outside");
        f = new Forged();
        f.dataOffset = -8;
        assertInvalid(f.bytes(), "outside");
    }

    @Test
    void bodyLengthBeyondTheObject() {
        Forged f = new Forged();
        f.bodyLength = 1L << 40;
        assertInvalid(f.bytes(), "overruns");
    }

    @Test
    void stridesPointingOutsideTheData() {
        Forged f = new Forged();
        f.strides = new long[] {32, 8}; // rows 32 bytes apart need 56 bytes
        assertInvalid(f.bytes(), "reach 56 bytes into a data buffer of 48 bytes");
        f = new Forged();
        f.shape = new long[] {3, 3}; // 72 bytes of row-major data in 48
        f.strides = null;
        assertInvalid(f.bytes(), "reach 72 bytes");
        f = new Forged();
        f.shape = new long[] {3, 2};
        f.strides = new long[] {Long.MAX_VALUE / 2 + 1, 8};
        assertInvalid(f.bytes(), "would not fit in 64 bits");
    }

    @Test
    void negativeStridesAndLengths() {
        Forged f = new Forged();
        f.strides = new long[] {-24, 8};
        assertInvalid(f.bytes(), "non-negative strides");
        f = new Forged();
        f.shape = new long[] {2, -3};
        assertInvalid(f.bytes(), "negative length");
    }

    @Test
    void stridesOfAnotherRank() {
        Forged f = new Forged();
        f.strides = new long[] {8};
        assertInvalid(f.bytes(), "1 strides for 2 dimensions");
    }

    @Test
    void missingShapeOrDataOrType() {
        Forged f = new Forged();
        f.withShape = false;
        f.strides = null;
        assertInvalid(f.bytes(), "no shape");
        f = new Forged();
        f.withData = false;
        assertInvalid(f.bytes(), "no data buffer");
        f = new Forged();
        f.withTypeTable = false;
        assertInvalid(f.bytes(), "FloatingPoint element type has no table");
        f = new Forged();
        f.typeType = Type.NONE;
        f.withTypeTable = false;
        assertInvalid(f.bytes(), "no element type");
    }

    @Test
    void unsupportedElementTypes() {
        Forged f = new Forged();
        f.typeType = Type.Utf8;
        assertInvalid(f.bytes(), "unsupported element type Utf8");
        f = new Forged();
        f.typeType = Type.Int;
        f.bitWidth = 7;
        assertInvalid(f.bytes(), "unsupported element type Int(bitWidth 7, signed)");
        f = new Forged();
        f.precision = 5;
        assertInvalid(f.bytes(), "FloatingPoint(precision 5)");
        f = new Forged();
        f.typeType = (byte) 120;
        f.withTypeTable = false;
        assertInvalid(f.bytes(), "unknown type 120");
    }

    @Test
    void aHugeShapeVectorIsRefusedBeforeAllocating() {
        Forged f = new Forged();
        f.shapeVectorLength = 1_000_000_000; // claims a billion dimensions in a few hundred bytes
        assertInvalid(f.bytes(), "a shape of 1000000000 dimensions cannot fit");
    }

    /** Stores the bytes as an object and checks that reading them as a tensor fails cleanly. */
    private static void assertInvalid(byte[] bytes, String expected) {
        ObjectId id = put(bytes);
        assertThatThrownBy(() -> tensors.read(id, 0)).isInstanceOf(ArrowFormatException.class)
                .hasMessageContaining("object " + id).hasMessageContaining(expected);
        assertThat(refCount(client, id)).as("the read's reference is released").isZero();
    }

    private static ObjectId put(byte[] bytes) {
        ObjectId id = ObjectId.random();
        client.createAndSeal(id, MemorySegment.ofArray(bytes), MemorySegment.NULL);
        return id;
    }
}
