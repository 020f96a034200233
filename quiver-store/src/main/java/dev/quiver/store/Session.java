package dev.quiver.store;

import dev.quiver.protocol.ObjectId;
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
    /** References held, per object. */
    final Map<ObjectId, Integer> refs = new HashMap<>();
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
