package dev.quiver.store;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import java.util.List;

/** A get waiting for objects to be sealed, or for its deadline. */
final class PendingGet {
    final Session session;
    final int requestId;
    final List<ObjectId> ids;
    final Reply.Location[] found;
    final long deadline;
    /** What it holds of the store's heap, roughly: the ids, the answers and the waiter lists (see {@link #heapBytes}). */
    final long heapBytes;
    int missing;
    boolean done;

    PendingGet(Session session, int requestId, List<ObjectId> ids, long deadline) {
        this.session = session;
        this.requestId = requestId;
        this.ids = ids;
        this.found = new Reply.Location[ids.size()];
        this.deadline = deadline;
        this.heapBytes = heapBytes(ids.size());
    }

    /** An estimate, on the high side: an id, its answer slot and its waiter-list entry come to about 160 bytes. */
    static long heapBytes(int ids) {
        return 256 + 160L * ids;
    }
}
