package dev.quiver.arrow;

import static dev.quiver.arrow.TensorTestSupport.refCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.ObjectNotFoundException;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Tensors written into a real store and read back zero-copy: values, layouts, lifecycle, errors of use. */
class TensorStoreTest {
    private static final long[] SHAPE_5D = {3, 2, 4, 1, 5};

    @RegisterExtension
    static final RunningStore STORE = new RunningStore(32 << 20);
    static QuiverClient client;
    static TensorStore tensors;

    @BeforeAll
    static void start() {
        client = STORE.client();
        tensors = new TensorStore(client);
    }

    static Stream<Arguments> typesRanksLayouts() {
        List<Arguments> all = new ArrayList<>();
        for (TensorType type : TensorType.values()) {
            for (int rank = 0; rank <= 5; rank++) {
                for (boolean columnMajor : new boolean[] {false, true}) {
                    all.add(Arguments.of(type, rank, columnMajor, rank % 2 == 1));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} rank {1} column-major {2} named {3}")
    @MethodSource("typesRanksLayouts")
    void roundTripsEveryTypeRankAndOrder(TensorType type, int rank, boolean columnMajor, boolean named) {
        long[] shape = Arrays.copyOf(SHAPE_5D, rank);
        TensorSpec spec = columnMajor ? TensorSpec.columnMajor(type, shape) : TensorSpec.rowMajor(type, shape);
        if (named) {
            spec = spec.withNames(Stream.iterate(0, i -> i + 1).limit(rank).map(i -> "dim" + i).toList());
        }
        Object values = randomValues(type, (int) spec.size(), new Random(rank * 31L + type.ordinal()));
        ObjectId id = ObjectId.random();
        write(id, spec, values);

        try (StoredTensor t = tensors.read(id, 0)) {
            assertThat(t.spec()).isEqualTo(spec);
            assertThat(t.type()).isEqualTo(type);
            assertThat(t.shape()).isEqualTo(shape);
            assertThat(t.strides()).isEqualTo(spec.strides());
            assertThat(t.names()).isEqualTo(spec.names());
            assertThat(t.toArray()).isEqualTo(values);
            assertElementsMatch(t, values);
        }
        assertThat(refCount(client, id)).isZero();
    }

    @Test
    void columnMajorDataIsLaidOutFortranStyle() {
        ObjectId id = ObjectId.random();
        tensors.write(id, TensorSpec.columnMajor(TensorType.INT32, 2, 3), new int[] {0, 1, 2, 3, 4, 5});
        try (StoredTensor t = tensors.read(id, 0)) {
            assertThat(t.strides()).containsExactly(4, 8);
            // element (i, j) = 3i + j, stored with the first index varying fastest
            assertThat(t.data().toArray(TensorElements.INT)).containsExactly(0, 3, 1, 4, 2, 5);
            assertThat(t.spec().isColumnMajor()).isTrue();
            assertThat(t.spec().isRowMajor()).isFalse();
        }
    }

    @Test
    void explicitStridesWithGapsAreStoredAsGivenAndGapsAreZero() {
        // rows 32 bytes apart: 3 doubles and 8 bytes of gap
        TensorSpec spec = TensorSpec.of(TensorType.FLOAT64, new long[] {2, 3}, new long[] {32, 8});
        assertThat(spec.dataLength()).isEqualTo(32 + 24);
        assertThat(spec.isContiguous()).isFalse();
        ObjectId id = ObjectId.random();
        dirtyTheArena();
        tensors.write(id, spec, new double[] {1, 2, 3, 4, 5, 6});
        try (StoredTensor t = tensors.read(id, 0)) {
            assertThat(t.strides()).containsExactly(32, 8);
            assertThat(t.data().byteSize()).isEqualTo(56);
            assertThat(t.getDouble(1, 0)).isEqualTo(4);
            assertThat(t.data().get(TensorElements.LONG, 24)).as("the gap").isZero();
            assertThat(t.toDoubleArray()).containsExactly(1, 2, 3, 4, 5, 6);
        }
    }

    @Test
    void aStrideOfZeroBroadcasts() {
        TensorSpec spec = TensorSpec.of(TensorType.INT16, new long[] {4, 2}, new long[] {0, 2});
        assertThat(spec.dataLength()).isEqualTo(4);
        ObjectId id = ObjectId.random();
        tensors.write(id, spec, MemorySegment.ofArray(new short[] {-7, 9}));
        try (StoredTensor t = tensors.read(id, 0)) {
            assertThat(t.toLongArray()).containsExactly(-7, 9, -7, 9, -7, 9, -7, 9);
        }
    }

    @Test
    void relayoutWritesConvertBetweenOrders() {
        long[] shape = {3, 4, 2};
        TensorSpec rowMajor = TensorSpec.rowMajor(TensorType.FLOAT32, shape);
        float[] values = new float[24];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 1.5f;
        }
        ObjectId id = ObjectId.random();
        tensors.write(id, TensorSpec.columnMajor(TensorType.FLOAT32, shape), MemorySegment.ofArray(values), rowMajor);
        try (StoredTensor t = tensors.read(id, 0)) {
            assertThat(t.spec().isColumnMajor()).isTrue();
            assertThat(t.toArray()).isEqualTo(values);
            assertThat(t.getDouble(2, 1, 0)).isEqualTo(values[2 * 8 + 1 * 2]);
        }
        assertThatThrownBy(() -> tensors.write(ObjectId.random(), TensorSpec.rowMajor(TensorType.FLOAT32, 24),
                MemorySegment.ofArray(values), rowMajor)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot copy");
    }

    @Test
    void writesInPlace() {
        TensorSpec spec = TensorSpec.rowMajor(TensorType.FLOAT64, 100, 10).withNames("sample", "feature");
        ObjectId id = ObjectId.random();
        try (TensorWriter w = tensors.create(id, spec)) {
            assertThat(w.data().byteSize()).isEqualTo(8000);
            assertThat(w.data().address() % 64).isZero();
            for (long i = 0; i < 100; i++) {
                for (long j = 0; j < 10; j++) {
                    w.data().set(TensorElements.DOUBLE, w.offset(i, j), i + j / 10.0);
                }
            }
            w.setDouble(-1, 99, 9);
            assertThat(client.contains(id)).as("not visible before seal").isFalse();
            w.seal();
            assertThat(w.isSealed()).isTrue();
        }
        try (StoredTensor t = tensors.read(id, 0)) {
            assertThat(t.getDouble(42, 7)).isEqualTo(42.7);
            assertThat(t.getDouble(99, 9)).isEqualTo(-1);
            assertThat(t.names()).containsExactly("sample", "feature");
        }
    }

    @Test
    void aWriterClosedUnsealedLeavesNoObject() {
        ObjectId id = ObjectId.random();
        try (TensorWriter w = tensors.create(id, TensorSpec.rowMajor(TensorType.INT8, 10))) {
            w.setLong(1, 0);
        }
        assertThat(refCount(client, id)).isEqualTo(-1);
        assertThat(client.contains(id)).isFalse();
    }

    @Test
    void setterAndGetterRulesPerType() {
        ObjectId id = ObjectId.random();
        try (TensorWriter w = tensors.create(id, TensorSpec.rowMajor(TensorType.UINT8, 3))) {
            w.setLong(255, 0).setLong(0, 1);
            assertThatThrownBy(() -> w.setLong(256, 2)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[0, 255]");
            assertThatThrownBy(() -> w.setLong(-1, 2)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.setDouble(1.0, 2)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> w.setLong(1, 3)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> w.setLong(1, 0, 0)).isInstanceOf(IndexOutOfBoundsException.class);
            w.setLong(128, 2);
            w.seal();
        }
        try (StoredTensor t = tensors.read(id, 0)) {
            assertThat(t.toLongArray()).containsExactly(255, 0, 128);
            assertThat(t.getDouble(0)).isEqualTo(255.0);
        }

        ObjectId u64 = ObjectId.random();
        tensors.write(u64, TensorSpec.rowMajor(TensorType.UINT64, 2), new long[] {-1L, 1L << 63});
        try (StoredTensor t = tensors.read(u64, 0)) {
            assertThat(Long.toUnsignedString(t.getLong(0))).isEqualTo("18446744073709551615");
            assertThat(t.getDouble(0)).isEqualTo(1.8446744073709552E19);
            assertThat(t.getDouble(1)).isEqualTo(9.223372036854775808E18);
        }

        ObjectId half = ObjectId.random();
        try (TensorWriter w = tensors.create(half, TensorSpec.rowMajor(TensorType.FLOAT16, 2))) {
            w.setDouble(0.333, 0).setDouble(65504, 1);
            assertThatThrownBy(() -> w.setLong(1, 0)).isInstanceOf(IllegalStateException.class);
            w.seal();
        }
        try (StoredTensor t = tensors.read(half, 0)) {
            assertThat(t.getDouble(0)).isEqualTo((double) Float.float16ToFloat(Float.floatToFloat16(0.333f)));
            assertThat(t.getDouble(1)).isEqualTo(65504.0);
            assertThatThrownBy(() -> t.getLong(0)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("getDouble");
        }
    }

    @Test
    void readsAreZeroCopy() throws Exception {
        ObjectId id = ObjectId.random();
        tensors.write(id, TensorSpec.rowMajor(TensorType.INT64, 4, 4), new long[16]);
        try (StoredTensor t = tensors.read(id, 0);
             FileChannel ch = FileChannel.open(client.arenaPath(), StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofConfined()) {
            long address = t.data().address();
            assertThat(address).isBetween(client.arenaAddress(), client.arenaAddress() + client.capacity()
                    - t.data().byteSize());
            assertThat(t.data().isReadOnly()).isTrue();

            // another mapping of the same arena file, writable: a byte poked there shows through the tensor
            MemorySegment other = ch.map(FileChannel.MapMode.READ_WRITE, 0, client.capacity(), arena);
            long offset = address - client.arenaAddress() + t.offset(2, 3);
            other.set(TensorElements.LONG, offset, 0x1234_5678_9abcL);
            assertThat(t.getLong(2, 3)).isEqualTo(0x1234_5678_9abcL);
            other.set(ValueLayout.JAVA_BYTE, offset, (byte) 0x01);
            assertThat(t.getLong(2, 3)).isEqualTo(0x1234_5678_9a01L);
        }
    }

    @Test
    void arrowBufIsOverStoreMemoryAndHoldsTheReference() {
        ObjectId id = ObjectId.random();
        tensors.write(id, TensorSpec.rowMajor(TensorType.FLOAT32, 8), new float[] {0, 1, 2, 3, 4, 5, 6, 7});
        try (BufferAllocator allocator = new RootAllocator()) {
            StoredTensor t = tensors.read(id, 0);
            ArrowBuf buf = t.toArrowBuf(allocator);
            assertThat(buf.memoryAddress()).isEqualTo(t.data().address());
            assertThat(buf.capacity()).isEqualTo(32);
            assertThat(buf.getFloat(4 * 5)).isEqualTo(5f);
            assertThat(refCount(client, id)).isEqualTo(1);

            t.close();
            t.close(); // exactly once
            assertThat(t.isOpen()).isFalse();
            assertThat(refCount(client, id)).as("the ArrowBuf still holds the object").isEqualTo(1);
            assertThat(buf.getFloat(4 * 7)).isEqualTo(7f);
            assertThatThrownBy(() -> t.toArrowBuf(allocator)).isInstanceOf(IllegalStateException.class);

            buf.close();
            assertThat(refCount(client, id)).isZero();
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void anArrowBufOutlivesTheClient() throws Exception {
        ObjectId id = ObjectId.random();
        tensors.write(id, TensorSpec.rowMajor(TensorType.INT32, 3), new int[] {10, 20, 30});
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowBuf buf;
            try (QuiverClient reader = QuiverClient.connect(STORE.server().socket());
                 StoredTensor t = new TensorStore(reader).read(id, 0)) {
                buf = t.toArrowBuf(allocator);
            }
            assertThat(buf.getInt(8)).isEqualTo(30); // the pinned mapping is still there
            assertThat(refCount(client, id)).isEqualTo(1);
            buf.close();
            assertThat(refCount(client, id)).isZero();
        }
    }

    @Test
    void closingReleasesExactlyOnce() {
        ObjectId id = ObjectId.random();
        tensors.write(id, TensorSpec.rowMajor(TensorType.INT16, 2), new short[] {1, 2});
        StoredTensor a = tensors.read(id, 0);
        StoredTensor b = tensors.read(id, 0);
        assertThat(refCount(client, id)).isEqualTo(2);
        a.close();
        a.close();
        assertThat(refCount(client, id)).isEqualTo(1);
        assertThat(b.getLong(1)).isEqualTo(2);
        assertThatThrownBy(() -> a.getLong(1)).isInstanceOf(IllegalStateException.class);
        b.close();
        assertThat(refCount(client, id)).isZero();
    }

    @Test
    void aMissingObjectIsNotFound() {
        assertThatThrownBy(() -> tensors.read(ObjectId.random(), 0)).isInstanceOf(ObjectNotFoundException.class);
        assertThatThrownBy(() -> tensors.read(ObjectId.random(), 20)).isInstanceOf(ObjectNotFoundException.class)
                .hasMessageContaining("after waiting 20 ms");
    }

    @Test
    void wrongInputCreatesNothing() {
        ObjectId id = ObjectId.random();
        TensorSpec spec = TensorSpec.rowMajor(TensorType.FLOAT32, 2, 2);
        assertThatThrownBy(() -> tensors.write(id, spec, new double[4])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("float[]");
        assertThatThrownBy(() -> tensors.write(id, spec, new float[3])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4 elements");
        assertThatThrownBy(() -> tensors.write(id, spec, MemorySegment.ofArray(new float[3])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("spans 16 bytes");
        assertThat(refCount(client, id)).isEqualTo(-1);
    }

    @Test
    void specsFollowArrowCppConventions() {
        assertThat(TensorSpec.rowMajor(TensorType.FLOAT64, 2, 3, 4).strides()).containsExactly(96, 32, 8);
        assertThat(TensorSpec.columnMajor(TensorType.FLOAT64, 2, 3, 4).strides()).containsExactly(8, 16, 48);
        // a zero-length dimension: every stride is the element width (ComputeRowMajorStrides)
        assertThat(TensorSpec.rowMajor(TensorType.INT32, 3, 0, 2).strides()).containsExactly(4, 4, 4);
        assertThat(TensorSpec.rowMajor(TensorType.INT32, 3, 0, 2).dataLength()).isZero();
        TensorSpec scalar = TensorSpec.rowMajor(TensorType.INT16);
        assertThat(scalar.ndim()).isZero();
        assertThat(scalar.size()).isEqualTo(1);
        assertThat(scalar.dataLength()).isEqualTo(2);
        assertThat(scalar.offset()).isZero();
        assertThat(scalar.isRowMajor() && scalar.isColumnMajor()).isTrue();
        assertThat(TensorSpec.rowMajor(TensorType.INT8, 5).names()).containsExactly("");
        assertThat(TensorSpec.rowMajor(TensorType.INT8, 5).withNames((String) null).hasNames()).isFalse();
        assertThat(TensorSpec.rowMajor(TensorType.INT8, 2, 2).withNames("a", "b"))
                .isEqualTo(TensorSpec.of(TensorType.INT8, new long[] {2, 2}, new long[] {2, 1}).withNames("a", "b"))
                .hasToString("TensorSpec[INT8, shape [2, 2], strides [2, 1], names [a, b]]");
    }

    @Test
    void invalidSpecsAreRefused() {
        assertThatThrownBy(() -> TensorSpec.rowMajor(TensorType.INT8, 2, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative length");
        assertThatThrownBy(() -> TensorSpec.of(TensorType.INT8, new long[] {2, 2}, new long[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 2 strides");
        assertThatThrownBy(() -> TensorSpec.of(TensorType.INT8, new long[] {2, 2}, new long[] {-2, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-negative");
        assertThatThrownBy(() -> TensorSpec.rowMajor(TensorType.INT8, 2).withNames("a", "b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimension names");
        assertThatThrownBy(() -> TensorSpec.rowMajor(TensorType.INT64, 1L << 31, 1L << 31, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 bits");
        assertThatThrownBy(() -> TensorSpec.of(TensorType.INT8, new long[] {3}, new long[] {Long.MAX_VALUE}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 bits");
        // a negative stride of an empty dimension is never used: Arrow C++ accepts it, and so does Quiver
        assertThat(TensorSpec.of(TensorType.INT8, new long[] {0, 2}, new long[] {-5, 1}).dataLength()).isZero();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Writes garbage into free store memory, so that a later object there would show bytes it did not write. */
    private static void dirtyTheArena() {
        ObjectId junk = ObjectId.random();
        byte[] ones = new byte[4096];
        Arrays.fill(ones, (byte) 0xFF);
        client.createAndSeal(junk, MemorySegment.ofArray(ones), MemorySegment.NULL);
        client.delete(junk);
    }

    static void write(ObjectId id, TensorSpec spec, Object values) {
        write(tensors, id, spec, values);
    }

    static void write(TensorStore tensors, ObjectId id, TensorSpec spec, Object values) {
        switch (values) {
            case byte[] v -> tensors.write(id, spec, v);
            case short[] v -> tensors.write(id, spec, v);
            case int[] v -> tensors.write(id, spec, v);
            case long[] v -> tensors.write(id, spec, v);
            case float[] v -> tensors.write(id, spec, v);
            case double[] v -> tensors.write(id, spec, v);
            default -> throw new AssertionError(values);
        }
    }

    /** Random elements of a type, in the Java array that holds them. */
    static Object randomValues(TensorType type, int n, Random random) {
        return switch (type) {
            case INT8, UINT8 -> {
                byte[] a = new byte[n];
                random.nextBytes(a);
                yield a;
            }
            case INT16, UINT16 -> {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (short) random.nextInt();
                }
                yield a;
            }
            case FLOAT16 -> {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) {
                    a[i] = Float.floatToFloat16((float) random.nextGaussian() * 100);
                }
                yield a;
            }
            case INT32, UINT32 -> random.ints(n).toArray();
            case INT64, UINT64 -> random.longs(n).toArray();
            case FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (float) random.nextGaussian() * 1e6f;
                }
                yield a;
            }
            case FLOAT64 -> random.doubles(n).map(d -> (d - 0.5) * 1e300).toArray();
        };
    }

    /** The value of the {@code i}-th element (row-major order) of a values array, as getLong / getDouble give it. */
    static long expectedLong(TensorType type, Object values, int i) {
        return switch (type) {
            case INT8 -> ((byte[]) values)[i];
            case UINT8 -> Byte.toUnsignedLong(((byte[]) values)[i]);
            case INT16 -> ((short[]) values)[i];
            case UINT16 -> Short.toUnsignedLong(((short[]) values)[i]);
            case INT32 -> ((int[]) values)[i];
            case UINT32 -> Integer.toUnsignedLong(((int[]) values)[i]);
            case INT64, UINT64 -> ((long[]) values)[i];
            default -> throw new AssertionError(type);
        };
    }

    static double expectedDouble(TensorType type, Object values, int i) {
        return switch (type) {
            case FLOAT16 -> Float.float16ToFloat(((short[]) values)[i]);
            case FLOAT32 -> ((float[]) values)[i];
            case FLOAT64 -> ((double[]) values)[i];
            case UINT64 -> Double.parseDouble(Long.toUnsignedString(((long[]) values)[i]));
            default -> expectedLong(type, values, i);
        };
    }

    /** Compares every element by index (following the strides) with the values in row-major order. */
    static void assertElementsMatch(StoredTensor t, Object values) {
        long[] shape = t.shape();
        long[] index = new long[shape.length];
        for (int i = 0; i < t.size(); i++) {
            long[] at = index.clone();
            if (t.type().isInteger()) {
                assertThat(t.getLong(at)).as("element %s", Arrays.toString(at))
                        .isEqualTo(expectedLong(t.type(), values, i));
            }
            double expected = expectedDouble(t.type(), values, i);
            assertThat(Double.compare(t.getDouble(at), expected)).as("element %s: %s vs %s", Arrays.toString(at),
                    t.getDouble(at), expected).isZero();
            for (int d = shape.length - 1; d >= 0 && ++index[d] == shape[d]; d--) {
                index[d] = 0;
            }
        }
    }
}
