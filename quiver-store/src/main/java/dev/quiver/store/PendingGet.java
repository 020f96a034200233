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
    int missing;
    boolean done;

    PendingGet(Session session, int requestId, List<ObjectId> ids, long deadline) {
        this.session = session;
        this.requestId = requestId;
        this.ids = ids;
        this.found = new Reply.Location[ids.size()];
        this.deadline = deadline;
    }
}
