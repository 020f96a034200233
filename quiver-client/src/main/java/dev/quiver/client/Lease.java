package dev.quiver.client;

import dev.quiver.protocol.ObjectId;
import java.lang.foreign.Arena;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reference to an object held by this client, and the arena that scopes its views. Releasing closes the views
 * (any later access throws instead of reading memory the store may reuse) and gives the reference back, exactly
 * once. It is also the cleaner action of its buffer: it must not refer to the buffer.
 */
final class Lease implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Lease.class);

    final QuiverClient client;
    final ObjectId id;
    final Arena views;
    private volatile boolean released;
    private volatile boolean pinned;

    Lease(QuiverClient client, ObjectId id) {
        this.client = client;
        this.id = id;
        this.views = Arena.ofShared();
    }

    /**
     * Closes the views and returns the reference to the store; true the first time only.
     *
     * @throws IllegalStateException if another thread is inside an I/O call on one of the views (a channel read or
     *                               write holds their memory): nothing changed, release again once it has returned
     */
    synchronized boolean release() {
        if (released) {
            return false;
        }
        closeViews();
        released = true;
        client.returnLease(this, true);
        return true;
    }

    /**
     * Closes the views without telling the store (the connection is gone or the object was aborted).
     *
     * @throws IllegalStateException as {@link #release()}; nothing changed
     */
    synchronized boolean invalidate() {
        if (released) {
            return false;
        }
        closeViews();
        released = true;
        client.returnLease(this, false);
        return true;
    }

    boolean isReleased() {
        return released;
    }

    boolean isPinned() {
        return pinned;
    }

    /** Marks the lease as reachable by raw address; returns false if it was released already. */
    synchronized boolean pin() {
        if (released) {
            return false;
        }
        if (!pinned) {
            pinned = true;
            client.pinned(this);
        }
        return true;
    }

    private void closeViews() {
        try {
            views.close();
        } catch (IllegalStateException e) {
            // The only way a close of an open shared arena fails: an I/O call in another thread holds a view.
            throw new IllegalStateException("a view of object " + id + " is in use by an I/O call in another thread;"
                    + " close the buffer once that call has returned", e);
        }
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
