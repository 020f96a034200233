package dev.quiver.client;

import static dev.quiver.client.DigestsTest.crc32c;
import static dev.quiver.client.DigestsTest.random;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.testing.Theories;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.SourceDSL;

/** Seal's bookkeeping of what {@link WritableObject#write} already digested. */
class WrittenRangesTest {

    /** Writes random bytes into {@code region} at [start, start + length) and records them, as write() does. */
    private static void write(WrittenRanges ranges, MemorySegment region, long start, long length, long seed) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = random(arena, length, seed);
            region.asSlice(start, length).copyFrom(bytes);
            ranges.record(start, length, crc32c(bytes));
        }
    }

    @Test
    void recordedRangesCombinedWithTheRestEqualTheDigestOfTheWholeRegion() {
        Theories.check(200, qt -> qt.forAll(SourceDSL.integers().between(0, 200_000), SourceDSL.longs().all())
                .checkAssert((size, seed) -> {
                    Random rnd = new Random(seed);
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment region = random(arena, size, seed);
                        // cut the region into pieces, write some of them (the rest keep their bytes), in any order
                        List<long[]> pieces = new ArrayList<>();
                        for (long at = 0; at < size; ) {
                            long len = Math.min(size - at, 1 + rnd.nextInt(rnd.nextBoolean() ? 64 : 40_000));
                            pieces.add(new long[] {at, len});
                            at += len;
                        }
                        Collections.shuffle(pieces, rnd);
                        WrittenRanges ranges = new WrittenRanges();
                        for (long[] p : pieces) {
                            if (rnd.nextInt(4) != 0) {
                                write(ranges, region, p[0], p[1], rnd.nextLong());
                            }
                        }
                        assertThat(ranges.isOff()).isFalse();
                        assertThat(ranges.digest(region)).isEqualTo(crc32c(region));
                    }
                }));
    }

    @Test
    void sealDoesNotReadWrittenRangesAgain() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = random(arena, 10_000, 1);
            WrittenRanges ranges = new WrittenRanges();
            write(ranges, region, 100, 5_000, 2);
            long recorded = crc32c(region);
            // a change nobody reports (here behind the bookkeeping's back) shows that the range is not read again
            region.set(ValueLayout.JAVA_BYTE, 200, (byte) (region.get(ValueLayout.JAVA_BYTE, 200) + 1));
            assertThat(ranges.digest(region)).isEqualTo(recorded).isNotEqualTo(crc32c(region));
            // outside the written range, the bytes are read at seal
            region.set(ValueLayout.JAVA_BYTE, 9_000, (byte) (region.get(ValueLayout.JAVA_BYTE, 9_000) + 1));
            assertThat(ranges.digest(region)).isNotEqualTo(recorded);
        }
    }

    @Test
    void anOverlappingWriteMakesSealReadEverything() {
        Theories.check(200, qt -> qt.forAll(SourceDSL.integers().between(1, 5_000), SourceDSL.integers()
                .between(1, 5_000), SourceDSL.integers().between(0, 9_999)).checkAssert((first, second, at) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment region = random(arena, 20_000, at);
                        WrittenRanges ranges = new WrittenRanges();
                        write(ranges, region, 5_000, first, 3);
                        write(ranges, region, at, second, 4);
                        boolean overlaps = at < 5_000 + first && 5_000 < at + second;
                        assertThat(ranges.isOff()).isEqualTo(overlaps);
                        assertThat(ranges.digest(region)).isEqualTo(crc32c(region));
                    }
                }));
    }

    @Test
    void turnedOffItForgetsWhatWasWrittenAndRecordsNothingMore() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = random(arena, 10_000, 5);
            WrittenRanges ranges = new WrittenRanges();
            write(ranges, region, 0, 4_000, 6);
            ranges.turnOff();
            write(ranges, region, 4_000, 4_000, 7);
            region.fill((byte) 9); // as through the raw view
            assertThat(ranges.digest(region)).isEqualTo(crc32c(region));
        }
    }
}
