package dev.quiver.client;

import dev.quiver.protocol.ObjectId;
import java.lang.foreign.Arena;
import java.util.concurrent.atomic.AtomicBoolean;
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
    private final AtomicBoolean released = new AtomicBoolean();

    Lease(QuiverClient client, ObjectId id) {
        this.client = client;
        this.id = id;
        this.views = Arena.ofShared();
    }

    /** Closes the views and returns the reference to the store; true the first time only. */
    boolean release() {
        if (!released.compareAndSet(false, true)) {
            return false;
        }
        views.close();
        client.returnLease(this, true);
        return true;
    }

    /** Closes the views without telling the store (the connection is gone or the object was aborted). */
    boolean invalidate() {
        if (!released.compareAndSet(false, true)) {
            return false;
        }
        views.close();
        client.returnLease(this, false);
        return true;
    }

    boolean isReleased() {
        return released.get();
    }

    /** Runs when the buffer became unreachable without being closed. */
    @Override
    public void run() {
        if (release()) {
            LOG.warn("a buffer of object {} was never closed; released it when it was garbage-collected. "
                    + "Close every ObjectBuffer and WritableObject (try-with-resources).", id);
        }
    }
}
