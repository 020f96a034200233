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
 * @param streams     the streams with a segment or a reader in the store, by name (at most
 *                    {@link StreamCensus#MAX_STREAMS}, with at most {@link StreamCensus#MAX_READERS} readers in all)
 */
record StoreSnapshot(long takenAtMillis, long capacity, long used, long pinned, long evictable, long free,
                     long largestFree, long createdObjects, long sealedObjects, long deletePendingObjects,
                     int clients, long waitingGets, long waitingCreates, int subscribers, long evictedObjects,
                     long evictedBytes, double engineBusySeconds, double busyRatio, String arenaMap,
                     List<ClientHolding> clientList, List<ObjectSummary> biggestObjects, List<ShelfKey> shelf,
                     List<StreamStatus> streams) {

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

    /**
     * A stream, from its log segments and its readers' cursors (docs/stream-log.md).
     *
     * @param writerAlive whether a writer has it open (its newest segment is being written, or its lock is held)
     * @param nextSeq     the sequence number the writer's next batch gets, from the newest segment; -1 if unknown (no
     *                    segment, or one written by a writer that does not keep the word)
     * @param segments    log segments in the store
     * @param logBytes    bytes of the frames published in them
     * @param readers     open readers, oldest first
     */
    record StreamStatus(String name, boolean writerAlive, long nextSeq, int segments, long logBytes,
                        List<StreamReader> readers) {}

    /**
     * A reader, from its cursor: a reader updates it after each event, so its figures may be one event apart.
     *
     * @param id          the cursor's last 16 hex digits
     * @param nextSeq     the batch it waits for next
     * @param segment     the segment it reads or waits for, and {@code offset}: where its next frame starts in it
     * @param lagBatches  the writer's next sequence number minus the reader's; -1 if the writer's is unknown
     * @param lagBytes    bytes of log frames published after the reader's position
     * @param lostBatches batches it was told it lost, in total, in {@code losses} Lost events
     */
    record StreamReader(String id, long pid, long nextSeq, long segment, long offset, long lagBatches, long lagBytes,
                        long lostBatches, long losses, long startedAtMillis) {}
}
