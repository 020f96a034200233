package dev.quiver.client;

import dev.quiver.protocol.ChangePage;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * The store's change counters for some objects at one instant ({@link QuiverClient#changeStamp(List)}): a way to
 * know, without a round trip to the store, that nothing looked up since has changed. Immutable and thread-safe.
 *
 * <pre>{@code
 * ChangeStamp stamp = client.changeStamp(ids);   // first the stamp,
 * List<ObjectBuffer> found = client.get(ids, 0);  // then the look-up
 * ...
 * if (stamp.unchanged()) { ... what the get found is still what a get would find ... }
 * }</pre>
 */
public final class ChangeStamp {
    private static final ChangeStamp NEVER = new ChangeStamp(null, new int[0], new long[0]);

    private final MemorySegment page;
    private final int[] buckets;
    private final long[] counts;

    private ChangeStamp(MemorySegment page, int[] buckets, long[] counts) {
        this.page = page;
        this.buckets = buckets;
        this.counts = counts;
    }

    static ChangeStamp of(MemorySegment page, List<ObjectId> ids) {
        if (page == null) {
            return NEVER;
        }
        int[] buckets = ids.stream().mapToInt(ChangePage::bucket).distinct().sorted().toArray();
        long[] counts = new long[buckets.length];
        try {
            for (int i = 0; i < buckets.length; i++) {
                counts[i] = ChangePage.read(page, buckets[i]);
            }
        } catch (IllegalStateException closed) {
            return NEVER; // the client closed and unmapped the arena
        }
        return new ChangeStamp(page, buckets, counts);
    }

    /**
     * True if none of the stamped objects can have changed its visibility since the stamp; false if one may have
     * (or the store has no change page, or the client has closed).
     */
    public boolean unchanged() {
        if (page == null) {
            return false;
        }
        try {
            for (int i = 0; i < buckets.length; i++) {
                if (ChangePage.read(page, buckets[i]) != counts[i]) {
                    return false;
                }
            }
            return true;
        } catch (IllegalStateException closed) {
            return false;
        }
    }

    @Override
    public String toString() {
        return page == null ? "ChangeStamp[none]" : "ChangeStamp" + Arrays.toString(buckets);
    }
}
