package dev.quiver.arrow;

import static dev.quiver.arrow.TensorTestSupport.refCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.testing.Theories;
import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Properties of tensors over random element types, ranks 0 to 5, shapes (empty dimensions included), layouts
 * (row-major, column-major, other axis orders, strides with gaps) and dimension names, against a real store.
 */
class TensorPropertyTest {
    static RunningStore store;
    static QuiverClient client;
    static TensorStore tensors;

    @BeforeAll
    static void start() throws IOException {
        store = RunningStore.started(32 << 20);
        client = store.client();
        tensors = new TensorStore(client);
    }

    @AfterAll
    static void stop() {
        store.close();
    }

    enum Layout { ROW_MAJOR, COLUMN_MAJOR, PERMUTED, WITH_GAPS }

    /** A random tensor: its spec and its values follow from these. */
    record Case(TensorType type, long[] shape, Layout layout, boolean named, long seed) {
        TensorSpec spec() {
            Random r = new Random(seed);
            TensorSpec s = switch (layout) {
                case ROW_MAJOR -> TensorSpec.rowMajor(type, shape);
                case COLUMN_MAJOR -> TensorSpec.columnMajor(type, shape);
                case PERMUTED -> TensorSpec.of(type, shape, permutedStrides(r));
                case WITH_GAPS -> TensorSpec.of(type, shape, stridesWithGaps(r));
            };
            return named ? s.withNames(names(r)) : s;
        }

        Object values() {
            return TensorStoreTest.randomValues(type, (int) spec().size(), new Random(~seed));
        }

        /** Contiguous strides for the axes in a random order (row-major and column-major are two such orders). */
        private long[] permutedStrides(Random r) {
            List<Integer> axes = new ArrayList<>();
            for (int i = 0; i < shape.length; i++) {
                axes.add(i);
            }
            Collections.shuffle(axes, r);
            long[] strides = new long[shape.length];
            long s = type.byteWidth();
            for (int axis : axes) { // fastest first
                strides[axis] = s;
                s *= Math.max(shape[axis], 1);
            }
            return strides;
        }

        /** Row-major order with unused bytes after elements and after each block of an inner dimension. */
        private long[] stridesWithGaps(Random r) {
            long[] strides = new long[shape.length];
            long s = type.byteWidth() * (1L + r.nextInt(3));
            for (int i = shape.length - 1; i >= 0; i--) {
                strides[i] = s;
                s = s * Math.max(shape[i], 1) + type.byteWidth() * r.nextInt(4);
            }
            return strides;
        }

        private List<String> names(Random r) {
            String[] pool = {"", "x", "batch", "channel", "höhe", "幅", "a b", "dim_" + r.nextInt(100)};
            List<String> names = new ArrayList<>();
            for (int i = 0; i < shape.length; i++) {
                names.add(pool[r.nextInt(pool.length)]);
            }
            return names;
        }

        @Override
        public String toString() {
            return type + " " + Arrays.toString(shape) + " " + layout + (named ? " named" : "") + " seed " + seed;
        }
    }

    static Gen<Case> cases() {
        Gen<Long> length = Generate.frequency(Pair.of(1, Generate.constant(0L)), Pair.of(12, longs().between(1, 4)));
        Gen<long[]> shapes = lists().of(length).ofSizeBetween(0, 5)
                .map(l -> l.stream().mapToLong(Long::longValue).toArray());
        return Generate.enumValues(TensorType.class).zip(shapes, Generate.enumValues(Layout.class), booleans().all(),
                longs().all(), Case::new);
    }

    @Test
    void everyTensorRoundTripsValueByValue() {
        Theories.check(300, qt -> qt.forAll(cases()).checkAssert(TensorPropertyTest::roundTripsValueByValue));
    }

    private static void roundTripsValueByValue(Case c) {
        TensorSpec spec = c.spec();
        Object values = c.values();
        ObjectId id = ObjectId.random();
        TensorStoreTest.write(tensors, id, spec, values);
        try (StoredTensor t = tensors.read(id, 0)) {
            assertThat(t.spec()).isEqualTo(spec);
            assertThat(t.data().byteSize()).isEqualTo(spec.dataLength());
            assertThat(t.data().address() % 64).as("64-byte aligned body").isZero();
            assertThat(t.data().address()).isBetween(client.arenaAddress(), client.arenaAddress() + client.capacity());
            assertThat(t.toArray()).isEqualTo(values);
            TensorStoreTest.assertElementsMatch(t, values);
        }
        assertThat(refCount(client, id)).isZero();
        client.delete(id);
    }

    @Test
    void theMessageDecodesToItsSpec() {
        Theories.check(1000, qt -> qt.forAll(cases()).checkAssert(TensorPropertyTest::decodesToItsSpec));
    }

    private static void decodesToItsSpec(Case c) {
        TensorSpec spec = c.spec();
        byte[] message = TensorStore.toMessage(spec, MemorySegment.ofArray(new byte[(int) spec.dataLength()]));
        TensorIpc.Decoded d = TensorIpc.decode(MemorySegment.ofArray(message), "message");
        assertThat(d.spec()).isEqualTo(spec);
        assertThat(d.dataOffset() % 64).isZero();
        assertThat(d.dataOffset() + d.dataLength()).isEqualTo(message.length).isEqualTo(TensorStore.objectSize(spec));
    }

    /**
     * Corrupted or truncated messages either still read as some valid tensor, whose elements can all be reached,
     * or fail with an ArrowFormatException; either way the reference is released.
     */
    @Test
    void damagedMessagesFailCleanly() {
        Theories.check(500, qt -> qt.forAll(cases(), longs().all()).checkAssert(TensorPropertyTest::failsCleanly));
    }

    private static void failsCleanly(Case c, long damageSeed) {
        TensorSpec spec = c.spec();
        byte[] message = TensorStore.toMessage(spec, MemorySegment.ofArray(new byte[(int) spec.dataLength()]));
        int headerLength = (int) (message.length - spec.dataLength());
        Random r = new Random(damageSeed);
        byte[] damaged;
        if (r.nextInt(4) == 0) {
            damaged = Arrays.copyOf(message, r.nextInt(message.length));
        } else {
            damaged = message.clone();
            for (int i = 1 + r.nextInt(4); i > 0; i--) {
                damaged[r.nextInt(headerLength)] = (byte) r.nextInt(256);
            }
        }
        ObjectId id = ObjectId.random();
        client.createAndSeal(id, MemorySegment.ofArray(damaged), MemorySegment.NULL);
        try (StoredTensor t = tensors.read(id, 0)) {
            TensorSpec read = t.spec();
            assertThat(t.data().byteSize()).isGreaterThanOrEqualTo(read.dataLength());
            if (read.size() > 0) {
                long[] first = new long[read.ndim()];
                long[] last = read.shape();
                for (int i = 0; i < last.length; i++) {
                    last[i]--;
                }
                t.getDouble(first);
                t.getDouble(last);
            }
        } catch (ArrowFormatException expected) {
            assertThat(expected).hasMessageContaining("object " + id);
        }
        assertThat(refCount(client, id)).isZero();
        client.delete(id);
    }
}
