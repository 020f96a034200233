package dev.quiver.client;

import dev.quiver.protocol.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reference to an object held by this client, and the generation whose arena scopes its views
 * ({@link ViewScopes}). Ending it, exactly once, hands the reference to the generation, which gives it back to the
 * store once the views have ended. It is also the cleaner action of its buffer: it must not refer to the buffer.
 */
final class Lease implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Lease.class);

    final QuiverClient client;
    final ObjectId id;
    final ViewScopes.Generation generation;
    private volatile boolean released;
    private volatile boolean pinned;

    Lease(QuiverClient client, ObjectId id, ViewScopes.Generation generation) {
        this.client = client;
        this.id = id;
        this.generation = generation;
    }

    /** Returns the reference to the store (once the generation's views end); true the first time only. */
    boolean release() {
        return end(ViewScopes.End.RELEASE);
    }

    /** Aborts the unsealed object (once the generation's views end); true the first time only. */
    boolean abort() {
        return end(ViewScopes.End.ABORT);
    }

    /** Ends the lease without telling the store (the connection is gone); true the first time only. */
    boolean invalidate() {
        return end(ViewScopes.End.NOTHING);
    }

    /**
     * @throws IllegalStateException if the lease ends its views itself (a generation of its own) and an I/O call in
     *                               another thread holds one: nothing changed, end it again once that call returned
     */
    private boolean end(ViewScopes.End end) {
        boolean wasPinned;
        synchronized (this) {
            if (released) {
                return false;
            }
            if (generation.alone) {
                generation.endViews(id);
            }
            released = true;
            wasPinned = pinned;
        }
        client.returnLease(this, end, wasPinned);
        return true;
    }

    boolean isReleased() {
        return released;
    }

    boolean isPinned() {
        return pinned;
    }

    /** Marks the lease as reachable by raw address; returns false if it was released already. */
    boolean pin() {
        synchronized (this) {
            if (released) {
                return false;
            }
            if (pinned) {
                return true;
            }
            pinned = true;
            client.pinned(this); // inside: a release racing with the pin must see both or neither
        }
        return true;
    }

    /** Runs when the buffer became unreachable without being closed. */
    @Override
    public void run() {
        try {
            if (release()) {
                LOG.warn("a buffer of object {} was never closed; released it when it was garbage-collected. "
                        + "Close every ObjectBuffer and WritableObject (try-with-resources).", id);
            }
        } catch (IllegalStateException e) {
            LOG.warn("a buffer of object {} was never closed, and cannot be released: {}", id, e.getMessage());
        }
    }
}
