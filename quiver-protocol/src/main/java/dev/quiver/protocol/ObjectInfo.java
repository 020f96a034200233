package dev.quiver.protocol;

/**
 * One object as {@link Request.ListObjects} reports it.
 *
 * @param createTimeMillis wall-clock time of the create, in milliseconds since the epoch
 * @param constructNanos   time from create to seal, or -1 while unsealed
 * @param digest           content digest recorded at seal, 0 while unsealed
 */
public record ObjectInfo(ObjectId id, long dataSize, long metadataSize, int refCount, ObjectState state,
                         long createTimeMillis, long constructNanos, long digest) {}
