package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The change page's layout and its bucket function, as docs/protocol.md states them for clients in any language. */
class ChangePageTest {
    @Test
    void theBucketIsTheDocumentedFunctionOfTheIdsBytes() {
        for (int i = 0; i < 1000; i++) {
            ObjectId id = i % 2 == 0 ? ObjectId.random() : ObjectId.forName("quiver.shelf/prices/" + i);
            ByteBuffer b = ByteBuffer.wrap(id.toBytes()).order(ByteOrder.LITTLE_ENDIAN);
            long x = b.getLong(0) ^ b.getLong(8) ^ Integer.toUnsignedLong(b.getInt(16));
            int expected = (int) ((x * 0x9E3779B97F4A7C15L) >>> 53); // the top 11 bits: 2048 buckets
            assertThat(ChangePage.bucket(id)).isEqualTo(expected).isBetween(0, ChangePage.COUNTERS - 1);
        }
    }

    @Test
    void theSixtyFourSlotsOfAShelfKeyFallInManyBuckets() {
        // a key's versions live under 64 ids: spread out, a change elsewhere rarely touches their buckets
        Set<Integer> buckets = new HashSet<>();
        for (int slot = 0; slot < 64; slot++) {
            buckets.add(ChangePage.bucket(ObjectId.forName("quiver.shelf/prices/" + slot)));
        }
        assertThat(buckets.size()).isGreaterThan(56);
    }

    @Test
    void aFormattedPageCountsPerBucketAndOnlyUpwards() {
        MemorySegment page = Arena.ofAuto().allocate(ChangePage.BYTES, 8);
        assertThat(ChangePage.isFormatted(page)).isFalse();
        ChangePage.format(page);
        assertThat(ChangePage.isFormatted(page)).isTrue();
        assertThat(page.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getLong(0))
                .as("the magic reads QVCHNGS1").isEqualTo(ByteBuffer.wrap("QVCHNGS1".getBytes())
                        .order(ByteOrder.LITTLE_ENDIAN).getLong());
        ChangePage.bump(page, 7);
        ChangePage.bump(page, 7);
        ChangePage.bump(page, ChangePage.COUNTERS - 1);
        assertThat(ChangePage.read(page, 7)).isEqualTo(2);
        assertThat(ChangePage.read(page, ChangePage.COUNTERS - 1)).isEqualTo(1);
        assertThat(ChangePage.read(page, 0)).isZero();
        assertThat(ChangePage.isFormatted(page.asSlice(0, ChangePage.BYTES - 8))).as("a page cut short").isFalse();
    }
}
