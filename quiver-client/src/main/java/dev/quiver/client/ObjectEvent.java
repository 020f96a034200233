package dev.quiver.client;

import dev.quiver.protocol.ObjectId;

/**
 * A notification from a {@link Subscription}: an object was sealed, or deleted (by a delete or an eviction).
 *
 * @param digest the content digest recorded at seal, or {@link QuiverClient#NO_DIGEST} for an object sealed without
 *               one
 */
public record ObjectEvent(Kind kind, ObjectId id, long dataSize, long metadataSize, long digest) {
    /** What happened to the object. */
    public enum Kind { SEALED, DELETED }
}
