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
    /** Unsealed and yet gettable (Request.Publish): its creator is still appending to it. */
    boolean published;
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
    /** The shelf's label of a sealed object, read from its metadata at the first snapshot that looked. */
    ShelfLabel shelfLabel;
    boolean labelRead;
    /** What stream the object is a segment or reader's cursor of, read from its metadata by a snapshot. */
    StreamLayout.Label streamLabel;
    boolean streamLabelRead;

    /** What the shelf writes in its objects' metadata: key, version, rows. */
    record ShelfLabel(String key, long version, long rows) {
        private static final String PREFIX = "application/vnd.apache.arrow.stream;";
        /** Longer metadata is not the shelf's. */
        static final int MAX_METADATA = 512;

        /** The label in {@code metadata}, or null if it is not a shelf object's. */
        static ShelfLabel parse(String metadata) {
            if (!metadata.startsWith(PREFIX)) {
                return null;
            }
            String key = null;
            long version = -1;
            long rows = -1;
            for (String part : metadata.substring(PREFIX.length()).split(";")) {
                String p = part.strip();
                try {
                    if (p.startsWith("shelf-key=")) {
                        key = p.substring("shelf-key=".length());
                    } else if (p.startsWith("shelf-version=")) {
                        version = Long.parseLong(p.substring("shelf-version=".length()));
                    } else if (p.startsWith("rows=")) {
                        rows = Long.parseLong(p.substring("rows=".length()));
                    }
                } catch (NumberFormatException e) {
                    return null;
                }
            }
            return key == null || key.isEmpty() || version < 0 ? null : new ShelfLabel(key, version, rows);
        }
    }

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

    /** Whether a get finds it: visible, or published while still being written. */
    boolean isGettable() {
        return (isSealed() || published) && !deletePending;
    }

    ObjectInfo info() {
        return new ObjectInfo(id, dataSize, metadataSize, refCount, state, createTimeMillis,
                isSealed() ? sealNanos - createNanos : -1, digest);
    }
}
