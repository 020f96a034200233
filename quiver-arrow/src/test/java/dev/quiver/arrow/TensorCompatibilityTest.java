package dev.quiver.arrow;

import static dev.quiver.arrow.TensorTestSupport.hex;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Byte compatibility with Arrow C++ ({@code arrow::ipc::WriteTensor} / {@code ReadTensor}, which pyarrow's
 * {@code pa.ipc.write_tensor} / {@code read_tensor} call).
 *
 * <p>Two kinds of expected bytes, neither produced by Quiver's code:
 * <ul>
 * <li>{@link #HAND_ASSEMBLED_INT32_2X3}: one message assembled by hand from {@code format/Message.fbs},
 *     {@code format/Tensor.fbs}, the FlatBuffers binary format, and the order in which Arrow C++ builds it
 *     ({@code WriteTensorMessage} and {@code WriteMessage} in {@code cpp/src/arrow/ipc}, and the {@code Create*}
 *     functions of {@code cpp/src/generated/*_generated.h}), annotated field by field;</li>
 * <li>golden vectors written by Arrow C++ itself: pyarrow 25.0.1 (the manylinux wheel, which bundles Arrow C++
 *     25.0.1), generated once with the script below and checked in as hex. Each was also read back by
 *     {@code pa.ipc.read_tensor} and compared with the original before being recorded.</li>
 * </ul>
 *
 * <pre>
 * import pyarrow as pa, numpy as np
 * def dump(t):
 *     s = pa.BufferOutputStream(); pa.ipc.write_tensor(t, s); b = s.getvalue().to_pybytes()
 *     assert pa.ipc.read_tensor(pa.BufferReader(b)).equals(t); print(b.hex())
 * dump(pa.Tensor.from_numpy(np.arange(6, dtype=np.int32).reshape(2, 3)))
 * dump(pa.Tensor.from_numpy(np.arange(6, dtype=np.float64).reshape(2, 3), dim_names=["row", "col"]))
 * dump(pa.Tensor.from_numpy(np.array(7, dtype=np.uint16)))
 * dump(pa.Tensor.from_numpy(np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3))))
 * dump(pa.Tensor.from_numpy(np.arange(4, dtype=np.float16)))
 * dump(pa.Tensor.from_numpy(np.zeros((0, 3), dtype=np.uint8)))
 * dump(pa.Tensor.from_numpy(np.arange(24, dtype=np.int8).reshape(2, 3, 4)[:, ::2, 1:3], dim_names=["a", "b", "c"]))
 * dump(pa.Tensor.from_numpy((np.arange(12, dtype=np.float32) / 4).reshape(2, 1, 3, 1, 2),
 *                           dim_names=["n", "", "h", "", "w"]))
 * </pre>
 */
class TensorCompatibilityTest {
    /**
     * A 2 x 3 int32 tensor holding 0..5, row-major, no names: the message Arrow C++ writes, assembled by hand.
     * "fb+n" is an offset from the start of the flatbuffer (byte 8). A flatbuffer is built back to front, so the
     * objects created first (the Int type, then the dimensions) lie at its end; every table starts with a signed
     * offset back to its vtable, which lists where each present field lies in the table.
     */
    static final String HAND_ASSEMBLED_INT32_2X3 = """
            ffffffff            # 0   continuation marker
            f8000000            # 4   metadata length 248: 8 + the 224-byte flatbuffer, padded to 256 = 4 x 64
            14000000            # fb+0   root: the Message table is at fb+20
            00000000            # fb+4   padding (Message.bodyLength is 8-aligned)
            0c00 1a00           # fb+8   Message vtable: 12 bytes, the table 26 bytes (alignment padding included)
            0600 0500 0800 0c00 #        version @6, header_type @5, header @8, bodyLength @12; no custom_metadata
            0c000000            # fb+20  Message table: its vtable is 12 bytes before it
            00                  #        padding
            04                  #        header_type = MessageHeader.Tensor (4)
            0400                #        version = MetadataVersion.V5 (4)
            20000000            #        header: the Tensor table at fb+28 + 32 = fb+60
            1800000000000000    #        bodyLength = 24 (6 x 4 bytes, not padded)
            000000000000        # fb+40  padding (CreateMessage adds bodyLength first, 8-aligned)
            0e00 2800           # fb+46  Tensor vtable: 14 bytes, the table 40 bytes
            0700 0800 0c00 1000 1400 #   type_type @7, type @8, shape @12, strides @16, data @20
            0e000000            # fb+60  Tensor table: its vtable is 14 bytes before it
            000000              #        padding
            02                  #        type_type = Type.Int (2)
            90000000            #        type: the Int table at fb+68 + 144 = fb+212
            34000000            #        shape: the TensorDim vector at fb+72 + 52 = fb+124
            18000000            #        strides: the long vector at fb+76 + 24 = fb+100
            0000000000000000    # fb+80  data, a Buffer struct held inline: offset 0 in the body,
            1800000000000000    #        length 24
            00000000            # fb+96  padding (CreateTensor adds the 8-aligned struct first)
            02000000            # fb+100 strides: 2 longs
            0c00000000000000    #        12 bytes to the next row (3 x 4)
            0400000000000000    #        4 bytes to the next column
            00000000            # fb+120 padding
            02000000            # fb+124 shape: 2 TensorDim tables
            30000000            #        dimension 0 at fb+128 + 48 = fb+176
            0c000000            #        dimension 1 at fb+132 + 12 = fb+144
            0800 1000 0800 0400 # fb+136 TensorDim vtable: 8 bytes, the table 16 bytes, size @8, name @4
            08000000            # fb+144 dimension 1: its vtable is 8 bytes before it
            0c000000            #        name: the string at fb+148 + 12 = fb+160
            0300000000000000    #        size = 3
            00000000            # fb+160 name "": C++ writes a string for every dimension, named or not,
            00000000            #        its NUL terminator and padding
            0800 1400 0800 0400 # fb+168 TensorDim vtable of dimension 0: its table is 20 bytes (4 of them the
                                #        padding the size needed), so the vtable above cannot be shared
            08000000            # fb+176 dimension 0: its vtable is 8 bytes before it
            10000000            #        name: the string at fb+180 + 16 = fb+196
            0200000000000000    #        size = 2
            00000000            # fb+192 padding
            00000000            # fb+196 name ""
            00000000            #        NUL and padding
            0800 0c00 0800 0700 # fb+204 Int vtable: 8 bytes, the table 12 bytes, bitWidth @8, is_signed @7
            08000000            # fb+212 Int table: its vtable is 8 bytes before it
            000000              #        padding
            01                  #        is_signed = true
            20000000            #        bitWidth = 32
            000000000000000000000000 000000000000000000000000 # 232: 24 zeros: the body starts at 256 = 4 x 64
            00000000 01000000 02000000 03000000 04000000 05000000 # 256: the body, 0..5, nothing after it
            """;

    /** pyarrow 25.0.1: int32_2x3: 280 bytes; shape (2, 3) strides (12, 4) names [] type int32. */
    static final String INT32_2X3 = """
            fffffffff800000014000000000000000c001a000600050008000c000c000000
            000404002000000018000000000000000000000000000e002800070008000c00
            100014000e000000000000029000000034000000180000000000000000000000
            180000000000000000000000020000000c000000000000000400000000000000
            0000000002000000300000000c0000000800100008000400080000000c000000
            0300000000000000000000000000000008001400080004000800000010000000
            020000000000000000000000000000000000000008000c000800070008000000
            0000000120000000000000000000000000000000000000000000000000000000
            000000000100000002000000030000000400000005000000
            """;

    /** pyarrow 25.0.1: float64_2x3_named: 304 bytes; shape (2, 3) strides (24, 8) names ['row', 'col'] type double. */
    static final String FLOAT64_2X3_NAMED = """
            fffffffff800000014000000000000000c001a000600050008000c000c000000
            000404002000000030000000000000000000000000000e002800070008000c00
            100014000e000000000000038400000034000000180000000000000000000000
            3000000000000000000000000200000018000000000000000800000000000000
            00000000020000002800000004000000e8ffffff0c0000000300000000000000
            03000000636f6c000800100008000400080000000c0000000200000000000000
            03000000726f7700000006000800060006000000000002000000000000000000
            0000000000000000000000000000000000000000000000000000000000000000
            0000000000000000000000000000f03f00000000000000400000000000000840
            00000000000010400000000000001440
            """;

    /** pyarrow 25.0.1: uint16_scalar: 130 bytes; shape () strides () names [] type uint16. */
    static final String UINT16_SCALAR = """
            ffffffff7800000014000000000000000c001a000600050008000c000c000000
            000404002000000002000000000000000000000000000e002400070008000c00
            100014000e000000000000022c0000001c000000140000000000000000000000
            0200000000000000000000000000000000000600080004000600000010000000
            0700
            """;

    /** pyarrow 25.0.1: int64_2x3_fortran: 304 bytes; shape (2, 3) strides (8, 16) names [] type int64. */
    static final String INT64_2X3_FORTRAN = """
            fffffffff800000014000000000000000c001a000600050008000c000c000000
            000404002000000030000000000000000000000000000e002800070008000c00
            100014000e000000000000029000000034000000180000000000000000000000
            3000000000000000000000000200000008000000000000001000000000000000
            0000000002000000300000000c0000000800100008000400080000000c000000
            0300000000000000000000000000000008001400080004000800000010000000
            020000000000000000000000000000000000000008000c000800070008000000
            0000000140000000000000000000000000000000000000000000000000000000
            0000000000000000030000000000000001000000000000000400000000000000
            02000000000000000500000000000000
            """;

    /** pyarrow 25.0.1: float16_4: 200 bytes; shape (4,) strides (2,) names [] type halffloat. */
    static final String FLOAT16_4 = """
            ffffffffb800000014000000000000000c001a000600050008000c000c000000
            000404002000000008000000000000000000000000000e002800070008000c00
            100014000e000000000000035800000028000000180000000000000000000000
            080000000000000000000000010000000200000000000000010000000c000000
            0800100008000400080000000c00000004000000000000000000000000000000
            0400040004000000000000000000000000000000000000000000000000000000
            0000003c00400042
            """;

    /** pyarrow 25.0.1: uint8_0x3: 256 bytes; shape (0, 3) strides (0, 0) names [] type uint8. */
    static final String UINT8_0X3 = """
            fffffffff80000001000000000000a000e000600050008000a00000000040400
            1400000000000e002800070008000c00100014000e0000000000000284000000
            3400000018000000000000000000000000000000000000000000000002000000
            010000000000000001000000000000000000000002000000340000000c000000
            0800140008000400080000001000000003000000000000000000000000000000
            0000000008000800000004000800000004000000000000000000060008000400
            0600000008000000000000000000000000000000000000000000000000000000
            0000000000000000000000000000000000000000000000000000000000000000
            """;

    /**
     * pyarrow 25.0.1: int8_strided_view_2x2x2: 328 bytes; shape (2, 2, 2) strides (12, 8, 1) names ['a', 'b', 'c'] type
     * int8: written as a row-major copy without its names.
     */
    static final String INT8_STRIDED_VIEW_2X2X2 = """
            ffffffff3801000014000000000000000c001a000600050008000c000c000000
            000404002000000008000000000000000000000000000e002800070008000c00
            100014000e00000000000002b000000038000000180000000000000000000000
            0800000000000000000000000300000004000000000000000200000000000000
            0100000000000000030000004c0000002800000004000000e8ffffff0c000000
            020000000000000000000000000000000800100008000400080000000c000000
            0200000000000000000000000000000008001400080004000800000010000000
            020000000000000000000000000000000000000008000c000800070008000000
            0000000108000000000000000000000000000000000000000000000000000000
            0000000000000000000000000000000000000000000000000000000000000000
            0102090a0d0e1516
            """;

    /** pyarrow 25.0.1: float32_5d: 432 bytes; shape (2, 1, 3, 1, 2) strides (24, 24, 8, 8, 4) names ['n', '', 'h', '', 'w'] type float. */
    static final String FLOAT32_5D = """
            ffffffff7801000014000000000000000c001a000600050008000c000c000000
            000404002000000030000000000000000000000000000e002800070008000c00
            100014000e00000000000003f400000048000000180000000000000000000000
            3000000000000000000000000500000018000000000000001800000000000000
            0800000000000000080000000000000004000000000000000500000084000000
            600000003c0000002000000004000000b8ffffff0c0000000200000000000000
            0100000077000000d0ffffff0c00000001000000000000000000000000000000
            e8ffffff0c000000030000000000000001000000680000000800100008000400
            080000000c000000010000000000000000000000000000000800140008000400
            0800000010000000020000000000000000000000010000006e00060008000600
            0600000000000100000000000000000000000000000000000000000000000000
            0000000000000000000000000000000000000000000000000000000000000000
            000000000000803e0000003f0000403f0000803f0000a03f0000c03f0000e03f
            00000040000010400000204000003040
            """;

    @RegisterExtension
    static final RunningStore STORE = new RunningStore(16 << 20);
    static QuiverClient client;
    static TensorStore tensors;

    @BeforeAll
    static void start() {
        client = STORE.client();
        tensors = new TensorStore(client);
    }

    /** A golden message, and the tensor it holds as Quiver writes it. */
    record Golden(String name, String hex, TensorSpec spec, Object values) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Golden> goldens() {
        short[] halves = new short[4];
        for (int i = 0; i < 4; i++) {
            halves[i] = Float.floatToFloat16(i);
        }
        float[] quarters = new float[12];
        for (int i = 0; i < 12; i++) {
            quarters[i] = i / 4f;
        }
        return Stream.of(
                new Golden("int32 2x3", INT32_2X3, TensorSpec.rowMajor(TensorType.INT32, 2, 3),
                        new int[] {0, 1, 2, 3, 4, 5}),
                new Golden("float64 2x3 named", FLOAT64_2X3_NAMED,
                        TensorSpec.rowMajor(TensorType.FLOAT64, 2, 3).withNames("row", "col"),
                        new double[] {0, 1, 2, 3, 4, 5}),
                new Golden("uint16 scalar", UINT16_SCALAR, TensorSpec.rowMajor(TensorType.UINT16), new short[] {7}),
                new Golden("int64 2x3 column-major", INT64_2X3_FORTRAN, TensorSpec.columnMajor(TensorType.INT64, 2, 3),
                        new long[] {0, 1, 2, 3, 4, 5}),
                new Golden("float16 4", FLOAT16_4, TensorSpec.rowMajor(TensorType.FLOAT16, 4), halves),
                new Golden("uint8 0x3 (empty)", UINT8_0X3, TensorSpec.rowMajor(TensorType.UINT8, 0, 3), new byte[0]),
                // C++ writes a non-contiguous tensor as a row-major copy, and loses its names on the way
                // (WriteTensor builds the header from Tensor(type, nullptr, shape), without dim_names)
                new Golden("int8 2x2x2 from a strided view", INT8_STRIDED_VIEW_2X2X2,
                        TensorSpec.rowMajor(TensorType.INT8, 2, 2, 2),
                        new byte[] {1, 2, 9, 10, 13, 14, 21, 22}),
                new Golden("float32 5-d, some dimensions named", FLOAT32_5D,
                        TensorSpec.rowMajor(TensorType.FLOAT32, 2, 1, 3, 1, 2).withNames("n", "", "h", "", "w"),
                        quarters));
    }

    @Test
    void theHandAssembledMessageIsWhatArrowCppWrites() {
        assertThat(hex(HAND_ASSEMBLED_INT32_2X3)).isEqualTo(hex(INT32_2X3));
    }

    @Test
    void quiverWritesTheHandAssembledBytes() {
        ObjectId id = ObjectId.random();
        tensors.write(id, TensorSpec.rowMajor(TensorType.INT32, 2, 3), new int[] {0, 1, 2, 3, 4, 5});
        assertThat(objectBytes(id)).isEqualTo(hex(HAND_ASSEMBLED_INT32_2X3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void quiverWritesWhatArrowCppWrites(Golden g) {
        ObjectId id = ObjectId.random();
        long size = switch (g.values()) {
            case byte[] v -> tensors.write(id, g.spec(), v);
            case short[] v -> tensors.write(id, g.spec(), v);
            case int[] v -> tensors.write(id, g.spec(), v);
            case long[] v -> tensors.write(id, g.spec(), v);
            case float[] v -> tensors.write(id, g.spec(), v);
            case double[] v -> tensors.write(id, g.spec(), v);
            default -> throw new AssertionError(g.values());
        };
        byte[] expected = hex(g.hex());
        assertThat(size).isEqualTo(expected.length).isEqualTo(TensorStore.objectSize(g.spec()));
        assertThat(objectBytes(id)).isEqualTo(expected);
        assertThat(TensorStore.toMessage(g.spec(), dataOf(g))).isEqualTo(expected);
        try (ObjectBuffer b = client.get(id, 0).orElseThrow()) {
            assertThat(new String(b.metadata().toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII))
                    .isEqualTo(TensorStore.MEDIA_TYPE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void quiverReadsWhatArrowCppWrites(Golden g) {
        ObjectId id = ObjectId.random();
        client.createAndSeal(id, MemorySegment.ofArray(hex(g.hex())), MemorySegment.NULL); // no media type: not needed
        try (StoredTensor t = tensors.read(id, 0)) {
            assertThat(t.spec()).isEqualTo(g.spec());
            assertThat(t.toArray()).isEqualTo(g.values());
            assertThat(t.data().address() % 64).as("the body is 64-byte aligned in store memory").isZero();
        }
        assertThat(TensorTestSupport.refCount(client, id)).isZero();
    }

    @Test
    void aStridedViewIsStoredRowMajorAsArrowCppStoresIt() {
        // np.arange(24, dtype=np.int8).reshape(2, 3, 4)[:, ::2, 1:3]: strides (12, 8, 1), starting at element 1
        byte[] all = new byte[24];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        TensorSpec view = TensorSpec.of(TensorType.INT8, new long[] {2, 2, 2}, new long[] {12, 8, 1});
        ObjectId id = ObjectId.random();
        tensors.write(id, TensorSpec.rowMajor(TensorType.INT8, 2, 2, 2), MemorySegment.ofArray(all).asSlice(1), view);
        assertThat(objectBytes(id)).isEqualTo(hex(INT8_STRIDED_VIEW_2X2X2));
        // C++ dropped the names ["a", "b", "c"] of that view; Quiver keeps the names the target spec gives
        ObjectId named = ObjectId.random();
        TensorSpec target = TensorSpec.rowMajor(TensorType.INT8, 2, 2, 2).withNames("a", "b", "c");
        tensors.write(named, target, MemorySegment.ofArray(all).asSlice(1), view);
        try (StoredTensor t = tensors.read(named, 0)) {
            assertThat(t.spec()).isEqualTo(target);
            assertThat(t.toArray()).isEqualTo(new byte[] {1, 2, 9, 10, 13, 14, 21, 22});
        }
    }

    @Test
    void readsTheLegacyFormatWithoutContinuationMarker() {
        // Before Arrow 0.15 the prefix was the metadata length alone (write_legacy_ipc_format): 4 + 224 bytes of
        // flatbuffer, padded to 256, then the body.
        byte[] modern = hex(INT32_2X3);
        ByteBuffer legacy = ByteBuffer.allocate(modern.length).order(ByteOrder.LITTLE_ENDIAN);
        legacy.putInt(252).put(modern, 8, 224).position(256);
        legacy.put(modern, 256, 24);
        ObjectId id = ObjectId.random();
        client.createAndSeal(id, MemorySegment.ofArray(legacy.array()), MemorySegment.NULL);
        try (StoredTensor t = tensors.read(id, 0)) {
            assertThat(t.spec()).isEqualTo(TensorSpec.rowMajor(TensorType.INT32, 2, 3));
            assertThat(t.getLong(1, 2)).isEqualTo(5);
        }
    }

    @Test
    void everyElementTypeDecodesToItself() {
        // The type union differs per element type: Int{bitWidth, is_signed} (is_signed = false is the default and
        // omitted), FloatingPoint{precision} (HALF is the default and omitted). Each message must decode to its type.
        for (TensorType type : TensorType.values()) {
            TensorSpec spec = TensorSpec.rowMajor(type, 3);
            byte[] message = TensorStore.toMessage(spec, MemorySegment.ofArray(new byte[(int) spec.dataLength()]));
            assertThat(message.length).isEqualTo(TensorStore.objectSize(spec));
            assertThat(TensorIpc.decode(MemorySegment.ofArray(message), "test").spec()).isEqualTo(spec);
        }
        assertThat(Arrays.stream(TensorType.values()).map(TensorType::arrowType).distinct().count())
                .isEqualTo(TensorType.values().length);
    }

    private static MemorySegment dataOf(Golden g) {
        byte[] message = hex(g.hex());
        TensorIpc.Decoded d = TensorIpc.decode(MemorySegment.ofArray(message), g.name());
        return MemorySegment.ofArray(message).asSlice(d.dataOffset(), d.dataLength());
    }

    private static byte[] objectBytes(ObjectId id) {
        try (ObjectBuffer b = client.get(id, 0).orElseThrow()) {
            return b.data().toArray(ValueLayout.JAVA_BYTE);
        }
    }
}
