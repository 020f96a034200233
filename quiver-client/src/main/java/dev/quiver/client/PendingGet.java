package dev.quiver.client;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A get sent ahead of need ({@link QuiverClient#getLater}). {@link #await()} takes its answer once; {@link #close()}
 * instead gives back whatever the answer brings. Use it from one thread.
 */
public final class PendingGet implements AutoCloseable {
    private final QuiverClient client;
    final List<ObjectId> ids;
    final Request.Get request;
    final CompletableFuture<Reply> reply;
    final Connection.Deadline deadline;
    private boolean done;

    PendingGet(QuiverClient client, List<ObjectId> ids, Request.Get request, CompletableFuture<Reply> reply,
               Connection.Deadline deadline) {
        this.client = client;
        this.ids = ids;
        this.request = request;
        this.reply = reply;
        this.deadline = deadline;
    }

    /** The object asked for. */
    public ObjectId id() {
        return ids.getFirst();
    }

    /**
     * Waits for the answer (no longer if it came already) and returns what {@link QuiverClient#get(ObjectId, long)}
     * would have: the object, or empty if it was not there before the timeout.
     *
     * @throws IllegalStateException if the answer was taken or the pending get closed
     */
    public Optional<ObjectBuffer> await() {
        return Optional.ofNullable(awaitAll().getFirst());
    }

    /**
     * Waits at most {@code wait} for the answer to come, without taking it; true if it came, and {@link #await()}
     * then returns at once. Missing this wait, unlike missing the get's own deadline, does not close the connection.
     */
    public boolean isAnsweredWithin(Duration wait) {
        return !done && client.answered(this, wait.toNanos());
    }

    List<ObjectBuffer> awaitAll() {
        if (done) {
            throw new IllegalStateException("the answer to the get of " + id() + " was taken or dropped already");
        }
        done = true;
        return client.awaitGet(this);
    }

    /** Drops the answer if it was not taken: the references it brings go back to the store when it comes. */
    @Override
    public void close() {
        if (!done) {
            done = true;
            client.dropGet(this);
        }
    }
}
