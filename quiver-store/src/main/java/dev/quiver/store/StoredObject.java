package dev.quiver.store;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;

/** The engine's record of one object: where it lies, who holds it, where it is in its life. */
final class StoredObject {
    final ObjectId id;
    final long offset;
    final long blockSize;
    final long dataSize;
    final long metadataSize;
    final long creator;
    final long createTimeMillis;
    final long createNanos;

    ObjectState state = ObjectState.CREATED;
    /** References from all clients; the creator holds one from create until it releases. */
    int refCount = 1;
    /** Deleted while referenced: invisible to gets, id reserved, freed when the last reference goes. */
    boolean deletePending;
    /**
     * Holds on its memory (Request.ReleaseHeld): released references whose client may still read the bytes. While
     * any is left the block is neither evicted nor freed.
     */
    int holds;
    /** Gone from the store (deleted or its delete completed) while held: the block is freed with the last hold. */
    boolean removedWhileHeld;
    long sealNanos = -1;
    long digest;
    /** Its place in the engine's creation order, and (once sealed) in its seal order. */
    AppendLog.Node<StoredObject> created;
    AppendLog.Node<StoredObject> sealed;

    StoredObject(ObjectId id, long offset, long blockSize, long dataSize, long metadataSize, long creator,
                 long createTimeMillis, long createNanos) {
        this.id = id;
        this.offset = offset;
        this.blockSize = blockSize;
        this.dataSize = dataSize;
        this.metadataSize = metadataSize;
        this.creator = creator;
        this.createTimeMillis = createTimeMillis;
        this.createNanos = createNanos;
    }

    boolean isSealed() {
        return state == ObjectState.SEALED;
    }

    /** Sealed and not deleted: what gets, contains and hash can see. */
    boolean isVisible() {
        return isSealed() && !deletePending;
    }

    ObjectInfo info() {
        return new ObjectInfo(id, dataSize, metadataSize, refCount, state, createTimeMillis,
                isSealed() ? sealNanos - createNanos : -1, digest);
    }
}
