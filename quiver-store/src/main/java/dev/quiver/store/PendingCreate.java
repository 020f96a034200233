package dev.quiver.store;

import dev.quiver.protocol.Request;
import java.util.List;

/** A create (or create batch) waiting for memory to be freed, or for its deadline. */
final class PendingCreate {
    final Session session;
    final int requestId;
    final List<Request.CreateSpec> objects;
    final boolean batch;
    final long deadline;
    /** What it holds of the store's heap, roughly: about 100 bytes a decoded spec. */
    final long heapBytes;
    boolean done;

    PendingCreate(Session session, int requestId, List<Request.CreateSpec> objects, boolean batch, long deadline) {
        this.session = session;
        this.requestId = requestId;
        this.objects = objects;
        this.batch = batch;
        this.deadline = deadline;
        this.heapBytes = 256 + 100L * objects.size();
    }
}
