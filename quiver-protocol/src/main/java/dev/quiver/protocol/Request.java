package dev.quiver.protocol;

import java.util.List;

/**
 * A message from a client to the store. Every request is answered by exactly one {@link Reply} carrying the same
 * request id (a {@link ListObjects} listing may span several frames, the last one flagged).
 *
 * <p>Timeouts are in milliseconds: {@code -1} waits forever, {@code 0} answers at once.
 */
public sealed interface Request {

    /**
     * The first message on every connection. With {@code rings}, the client asks for shared-memory command rings
     * (docs/protocol.md, section 12); a store that cannot make them answers without, and the socket path stays.
     */
    record Connect(int protocolVersion, String clientName, long pid, boolean rings) implements Request {
        /** A handshake that keeps the socket path (no rings). */
        public Connect(int protocolVersion, String clientName, long pid) {
            this(protocolVersion, clientName, pid, false);
        }
    }

    /**
     * Allocates an object of {@code dataSize + metadataSize} bytes (data first, then metadata) for the caller to
     * write. If memory is short and nothing more can be evicted, waits up to {@code timeoutMillis} for space.
     */
    record Create(ObjectId id, long dataSize, long metadataSize, long timeoutMillis) implements Request {}

    /** Creates several objects at once: all of them, or none (a failed batch leaves no trace). */
    record CreateBatch(List<CreateSpec> objects, long timeoutMillis) implements Request {}

    /** One object of a {@link CreateBatch}. */
    record CreateSpec(ObjectId id, long dataSize, long metadataSize) {}

    /** Seals objects this client created, recording each one's content digest. */
    record Seal(List<SealSpec> objects) implements Request {}

    /** One object of a {@link Seal}: its id and the digest the writer computed over data and metadata. */
    record SealSpec(ObjectId id, long digest) {}

    /** Drops an unsealed object this client created, as if it had never been created. */
    record Abort(ObjectId id) implements Request {}

    /**
     * Makes an unsealed object this client created visible to gets while its creator goes on writing it (a stream's
     * log segment, which readers follow as it grows). Readers take references as usual; the creator can no longer
     * abort it; if the creator goes away without sealing it, the store seals it as it is.
     */
    record Publish(ObjectId id) implements Request {}

    /**
     * Gets sealed objects, taking one reference per entry (a repeated id takes one per occurrence). Answers when
     * all are sealed or the timeout passes; missing ones are then reported absent.
     */
    record Get(List<ObjectId> ids, long timeoutMillis) implements Request {}

    /** Drops one reference per entry. */
    record Release(List<ObjectId> ids) implements Request {}

    /**
     * Drops one reference per entry, exactly as {@link Release} does (counts, deferred deletes, eviction order and
     * notifications see it at once), but the client keeps a hold on each object's memory: until it ends the hold
     * ({@link EndHolds}, by the object's offset) or disconnects, the store neither frees nor evicts that block, even if
     * the object is deleted meanwhile. A client that ends the views of many buffers in one step uses it: the
     * reference goes when the buffer closes, the memory once no view can read it.
     */
    record ReleaseHeld(List<ObjectId> ids) implements Request {}

    /** Ends one hold per entry ({@link ReleaseHeld}), named by the object's offset in the arena. */
    record EndHolds(List<Long> offsets) implements Request {}

    /** Whether each object exists and is sealed. */
    record Contains(List<ObjectId> ids) implements Request {}

    /** Deletes sealed objects; deferred while an object has references. */
    record Delete(List<ObjectId> ids) implements Request {}

    /** Describes every object in the store. */
    record ListObjects() implements Request {}

    /**
     * Describes the objects whose ids lie in {@code [from, to)} (ids ordered as unsigned bytes), at most
     * {@code limit} of them, in ascending id order or, with {@code descending}, from the top. Deleted objects are
     * left out. With ids that end in a big-endian counter (as streams use), this finds the first or last one.
     */
    record Range(ObjectId from, ObjectId to, int limit, boolean descending) implements Request {}

    /** Evicts unreferenced sealed objects, least recently released first, until at least {@code bytes} are freed. */
    record Evict(long bytes) implements Request {}

    /** The content digest recorded when the object was sealed. */
    record Hash(ObjectId id) implements Request {}

    /**
     * Adds notifications to this connection: every sealed object is notified at once, then every seal and deletion
     * as it happens. Other requests remain allowed on the connection.
     */
    record Subscribe() implements Request {}

    /** Memory and object counts. */
    record Stats() implements Request {}

    /** The connected clients, each with what it holds: the {@code ray memory} question, "who holds what". */
    record Clients() implements Request {}
}
