package dev.quiver.protocol;

import java.util.List;

/** A message from the store to a client: the answer to one request, or (request id 0) a notification. */
public sealed interface Reply {

    /** Answers {@link Request.Connect}: who the client is and where the arena is. */
    record Connected(int protocolVersion, long clientId, long capacity, String arenaPath, Rings rings)
            implements Reply {
        /** An answer without rings: the connection stays on the socket path. */
        public Connected(int protocolVersion, long clientId, long capacity, String arenaPath) {
            this(protocolVersion, clientId, capacity, arenaPath, null);
        }
    }

    /**
     * The command rings the store made for a client that asked for them ({@link Request.Connect#rings()}): the file
     * to map (laid out as {@link RingLayout} says) and the capacity of each ring, in bytes.
     */
    record Rings(String path, int requestRingBytes, int replyRingBytes) {}

    /** Answers {@link Request.Create}: where the object lies in the arena. */
    record Created(long offset) implements Reply {}

    /** Answers {@link Request.CreateBatch}: the offset of each object, in request order. */
    record CreatedBatch(List<Long> offsets) implements Reply {}

    /** Answers {@link Request.Seal}, {@link Request.Release}, {@link Request.Delete} and {@link Request.Contains}. */
    record Statuses(List<Status> statuses) implements Reply {}

    /** Answers {@link Request.Get}: one location per requested entry, in request order. */
    record Objects(List<Location> objects) implements Reply {}

    /** Where a gotten object lies, or that it is absent. */
    record Location(boolean present, long offset, long dataSize, long metadataSize) {
        public static final Location ABSENT = new Location(false, 0, 0, 0);
    }

    /** One frame of the answer to {@link Request.ListObjects}. */
    record Listing(List<ObjectInfo> objects, boolean last) implements Reply {}

    /** Answers {@link Request.Evict}: the exact number of bytes freed. */
    record Evicted(long bytes, int objects) implements Reply {}

    /** Answers {@link Request.Hash}. */
    record Digest(long digest) implements Reply {}

    /** Answers {@link Request.Abort}, {@link Request.Publish} and {@link Request.Subscribe}. */
    record Ok() implements Reply {}

    /** Answers {@link Request.Stats}. Bytes are allocated bytes, 64-byte aligned. */
    record StoreStats(long capacity, long used, long pinned, long evictable, long objects, int clients,
                      long evictedObjects, long evictedBytes) implements Reply {}

    /** Answers {@link Request.Clients}: every connected client, by id. */
    record ClientList(List<Client> clients) implements Reply {}

    /**
     * One connected client and what it holds.
     *
     * @param clientId   the id the store gave it at connect
     * @param name       the name it sent in {@code CONNECT} (cut to {@link FrameCodec#MAX_CLIENT_NAME} bytes)
     * @param pid        the process id it sent in {@code CONNECT}
     * @param subscriber whether the connection is subscribed to notifications
     * @param objects    objects it holds references to (those it is writing included)
     * @param references references it holds, over all those objects (a get of an object held already adds one)
     * @param bytes      allocated bytes of those objects (whole 64-byte blocks; an object several clients hold
     *                   counts for each)
     * @param writing    objects it created and has not sealed or aborted yet
     */
    record Client(long clientId, String name, long pid, boolean subscriber, int objects, long references,
                  long bytes, int writing) {}

    /** The request failed; nothing changed. */
    record Error(Status status, String message) implements Reply {}

    /** Sent on a subscribed connection (request id 0) when an object is sealed or deleted. */
    record Notification(Kind kind, ObjectId id, long dataSize, long metadataSize, long digest) implements Reply {
        public enum Kind { SEALED, DELETED }
    }
}
