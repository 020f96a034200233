package dev.quiver.store;

import java.util.List;

/**
 * The store's state at one instant, made on the engine thread ({@link Engine#snapshot}) and then only read: by the
 * metrics collector and the status page's JSON, on the HTTP server's threads.
 *
 * @param pinned      bytes of objects that are referenced or being written (used minus evictable)
 * @param arenaMap    the arena in {@link #ARENA_CELLS} equal cells, one character each for what holds most of the
 *                    cell's bytes: {@code .} free, {@code w} being written, {@code p} pinned (sealed, referenced),
 *                    {@code e} evictable, {@code d} deleted but still referenced
 * @param engineBusySeconds time the engine thread spent not blocked waiting for work, since the store started
 * @param busyRatio   the share of the time since the previous snapshot that the engine thread was busy
 */
record StoreSnapshot(long takenAtMillis, long capacity, long used, long pinned, long evictable, long free,
                     long largestFree, long createdObjects, long sealedObjects, long deletePendingObjects,
                     int clients, long waitingGets, long waitingCreates, int subscribers, long evictedObjects,
                     long evictedBytes, double engineBusySeconds, double busyRatio, String arenaMap,
                     List<ClientHolding> clientList, List<ObjectSummary> biggestObjects, List<ShelfKey> shelf) {

    /** Cells of {@link #arenaMap}. */
    static final int ARENA_CELLS = 512;
    /** Entries of {@link #biggestObjects}. */
    static final int BIGGEST = 20;

    /** All objects, whatever their state (what {@code quiver stats} calls objects). */
    long objects() {
        return createdObjects + sealedObjects + deletePendingObjects;
    }

    /**
     * What one client holds.
     *
     * @param references  references held (a client may hold several on one object)
     * @param objects     distinct objects it references
     * @param bytesHeld   arena bytes of those objects
     * @param writing     objects it created and has not sealed
     */
    record ClientHolding(long id, String name, long pid, long references, long objects, long bytesHeld,
                         long writing, int waitingGets, int waitingCreates, boolean subscriber) {}

    /** One object, for the list of the biggest. */
    record ObjectSummary(String id, long bytes, String state, int references, String shelfKey) {}

    /** A shelf key: its newest version in memory. */
    record ShelfKey(String key, long version, long rows, long bytes) {}
}
