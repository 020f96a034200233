package dev.quiver.store;

import dev.quiver.protocol.ObjectId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What the engine knows of one connected client: everything that must be undone when it goes away. */
final class Session {
    final long id;
    boolean connected;
    String name = "?";
    long pid;
    boolean subscriber;
    /**
     * Dropped by the store while its socket is still open: nothing more is read from it or sent to it, but what it
     * holds (references, unsealed objects) stays reserved until the socket closes, because the client may still be
     * reading that memory.
     */
    boolean suspended;
    /** Replies still to be produced a chunk at a time (listings, a subscriber's first notifications). */
    final ArrayDeque<Engine.Cursor> cursors = new java.util.ArrayDeque<>();
    /** While a new subscriber's first notifications are being sent: how far they have come. */
    Engine.Burst burst;
    /** Estimated heap held by this client's waiting gets and creates. */
    long pendingBytes;
    /** References held, per object. */
    final Map<ObjectId, Integer> refs = new HashMap<>();
    /** Holds on object memory (Request.ReleaseHeld), per block offset. */
    final Map<Long, Integer> holds = new HashMap<>();
    /** Objects created and not yet sealed or aborted. */
    final Set<ObjectId> unsealed = new HashSet<>();
    final List<PendingGet> gets = new ArrayList<>();
    final List<PendingCreate> creates = new ArrayList<>();

    Session(long id) {
        this.id = id;
    }

    @Override
    public String toString() {
        return "client " + id + " (" + name + ", pid " + pid + ")";
    }
}
