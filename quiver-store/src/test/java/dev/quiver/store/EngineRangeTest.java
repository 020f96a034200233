package dev.quiver.store;

import static dev.quiver.store.EngineDriver.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Range queries over ids: the ordered view streams use to find their first and last batch. */
class EngineRangeTest {
    final EngineDriver d = new EngineDriver(1 << 20);
    final long a = d.connect("a");

    /** A 12-byte prefix and a big-endian counter, as stream batches are named. */
    static ObjectId seq(int prefix, long n) {
        return ObjectId.of(ByteBuffer.allocate(ObjectId.SIZE).putInt(prefix).putLong(0).putLong(n).array());
    }

    private static List<Long> seqs(List<ObjectInfo> infos) {
        return infos.stream().map(i -> ByteBuffer.wrap(i.id().toBytes()).getLong(12)).toList();
    }

    @Test
    void findsFirstAndLastOfASequenceAmongOthers() {
        for (long n : new long[] {5, 7, 300, 256, 6}) {
            d.put(a, seq(1, n), 10);
        }
        d.put(a, seq(0, 1000), 10); // neighbours with other prefixes stay out
        d.put(a, seq(2, 0), 10);

        assertThat(seqs(d.range(a, seq(1, 0), seq(1, Long.MAX_VALUE), 1, false))).containsExactly(5L);
        assertThat(seqs(d.range(a, seq(1, 0), seq(1, Long.MAX_VALUE), 1, true))).containsExactly(300L);
        assertThat(seqs(d.range(a, seq(1, 0), seq(1, Long.MAX_VALUE), 10, false)))
                .containsExactly(5L, 6L, 7L, 256L, 300L);
        assertThat(seqs(d.range(a, seq(1, 6), seq(1, 256), 10, true))).as("to is exclusive").containsExactly(7L, 6L);
        assertThat(d.range(a, seq(1, 301), seq(1, Long.MAX_VALUE), 10, false)).isEmpty();
        assertThat(d.range(a, seq(1, 0), seq(1, Long.MAX_VALUE), 0, false)).isEmpty();
    }

    @Test
    void includesUnsealedObjectsWithTheirStateAndLeavesDeletedOnesOut() {
        d.put(a, seq(1, 1), 10);
        d.created(a, seq(1, 2), 10);
        d.putHeld(a, seq(1, 3), 10);
        d.delete(a, seq(1, 3)); // deferred: still referenced, but deleted

        List<ObjectInfo> r = d.range(a, seq(1, 0), seq(1, 10), 10, false);

        assertThat(seqs(r)).containsExactly(1L, 2L);
        assertThat(r.get(1).state()).isEqualTo(ObjectState.CREATED);
        d.abort(a, seq(1, 2));
        assertThat(seqs(d.range(a, seq(1, 0), seq(1, 10), 10, false))).containsExactly(1L);
    }

    @Test
    void largeRangesAreSplitOverSeveralFrames() {
        for (long n = 0; n < 5000; n++) {
            d.put(a, seq(1, n), 1);
        }
        assertThat(seqs(d.range(a, seq(1, 0), seq(1, Long.MAX_VALUE), 100_000, false))).hasSize(5000)
                .isSorted();
    }

    @Test
    void nonsenseRangesAreRefused() {
        assertThat(error(d.call(a, new Request.Range(seq(1, 5), seq(1, 4), 1, false)), Status.INVALID_REQUEST))
                .contains("from <= to");
        assertThat(error(d.call(a, new Request.Range(seq(1, 0), seq(1, 4), -1, false)), Status.INVALID_REQUEST))
                .contains("limit >= 0");
    }
}
