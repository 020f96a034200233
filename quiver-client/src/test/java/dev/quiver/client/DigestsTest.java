package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.protocol.testing.Theories;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/** The digest in slices, combined, and fused with a copy: always exactly {@link CRC32C} over the same bytes. */
class DigestsTest {
    private static final int CHUNK = Digests.CHUNK;
    private static final int PARALLEL = (int) Digests.PARALLEL_FROM;

    /** Sizes that stress the edges: empty, tiny, odd, chunk boundaries, around the parallel threshold. */
    static Gen<Integer> sizes() {
        Gen<Integer> edges = Generate.pick(List.of(0, 1, 2, 3, 7, 63, 65, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 1,
                PARALLEL - 1, PARALLEL, PARALLEL + 1, PARALLEL + CHUNK - 1, PARALLEL + CHUNK, 3 * PARALLEL + 12_345));
        return edges.mix(Generate.range(0, 3 * CHUNK)).mix(Generate.range(PARALLEL, PARALLEL + 9 * CHUNK));
    }

    static long crc32c(MemorySegment bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes.asByteBuffer());
        return crc.getValue();
    }

    static MemorySegment random(Arena arena, long size, long seed) {
        byte[] bytes = new byte[Math.toIntExact(size)];
        new SplittableRandom(seed).nextBytes(bytes);
        return arena.allocate(Math.max(1, size)).asSlice(0, size).copyFrom(MemorySegment.ofArray(bytes));
    }

    @Test
    void theCheckValueOfCrc32cIsKept() {
        assertThat(Digests.of(MemorySegment.ofArray("123456789".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo(0xE3069283L);
        assertThat(Digests.of()).isZero();
    }

    @Test
    void combiningTheDigestsOfTwoPartsGivesTheDigestOfTheWhole() {
        Theories.check(500, qt -> qt.forAll(Theories.bytes(0, 3000), SourceDSL.integers().between(0, 3000))
                .checkAssert((bytes, at) -> {
                    int split = Math.min(at, bytes.length);
                    MemorySegment whole = MemorySegment.ofArray(bytes);
                    long a = crc32c(whole.asSlice(0, split));
                    long b = crc32c(whole.asSlice(split));
                    assertThat(Digests.combine(a, b, bytes.length - split)).isEqualTo(crc32c(whole));
                }));
    }

    @Test
    void combiningIsAssociativeForLengthsFarBeyondOneSegment() {
        // (a·x^|b| + b)·x^|c| + c == a·x^(|b|+|c|) + (b·x^|c| + c): exercises every power of x up to 2^62 bytes
        Theories.check(500, qt -> qt.forAll(SourceDSL.longs().between(0, 0xFFFF_FFFFL), SourceDSL.longs()
                .between(0, 0xFFFF_FFFFL), SourceDSL.longs().between(0, 1L << 61), SourceDSL.longs().between(0, 1L << 61))
                .checkAssert((a, b, lb, lc) -> {
                    long c = 0x9E37_79B9L;
                    assertThat(Digests.combine(Digests.combine(a, b, lb), c, lc))
                            .isEqualTo(Digests.combine(a, Digests.combine(b, c, lc), lb + lc));
                }));
    }

    @Test
    void aNegativeLengthIsRefused() {
        assertThatThrownBy(() -> Digests.combine(1, 2, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be >= 0, not -1");
    }

    @Test
    void digestsInSlicesEqualOneSequentialPass() {
        Theories.check(60, qt -> qt.forAll(sizes(), SourceDSL.longs().all(), SourceDSL.integers().between(0, 100))
                .checkAssert((size, seed, percent) -> {
                    try (Arena arena = Arena.ofShared()) {
                        MemorySegment bytes = random(arena, size, seed);
                        long split = size * percent / 100;
                        assertThat(Digests.of(bytes)).isEqualTo(crc32c(bytes));
                        assertThat(Digests.of(bytes.asSlice(0, split), bytes.asSlice(split), MemorySegment.NULL))
                                .as("in two parts split at " + split).isEqualTo(crc32c(bytes));
                    }
                }));
    }

    @Test
    void aConfinedSegmentIsDigestedOnTheCallersThread() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = random(arena, PARALLEL + CHUNK + 3, 42); // the pool could not read it
            assertThat(Digests.of(bytes)).isEqualTo(crc32c(bytes));
            MemorySegment target = arena.allocate(bytes.byteSize());
            assertThat(Digests.copy(bytes, target)).isEqualTo(crc32c(bytes));
            assertThat(target.mismatch(bytes)).isEqualTo(-1);
        }
    }

    @Test
    void aFusedCopyCopiesEveryByteAndReturnsTheirDigest() {
        Theories.check(60, qt -> qt.forAll(sizes(), SourceDSL.longs().all()).checkAssert((size, seed) -> {
            try (Arena arena = Arena.ofShared()) {
                MemorySegment source = random(arena, size, seed);
                MemorySegment target = random(arena, size, ~seed);
                assertThat(Digests.copy(source, target)).isEqualTo(crc32c(source));
                assertThat(target.mismatch(source)).isEqualTo(-1);
            }
        }));
    }

    @Test
    void aFailingChunkFailsTheWholeCopyAndTheCallerReturns() {
        MemorySegment target;
        try (Arena arena = Arena.ofShared()) {
            target = arena.allocate(PARALLEL + CHUNK);
        }
        MemorySegment source = MemorySegment.ofArray(new byte[PARALLEL + CHUNK]);
        // every chunk fails, on the pool's threads too: the caller must not wait for them forever
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(() -> Digests.copy(source, target))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed"));
    }
}
