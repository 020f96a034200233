package dev.quiver.client;

import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;

/**
 * A sealed object, read in place: {@link #data()} and {@link #metadata()} are read-only views of the store's
 * memory, mapped in this process. Nothing was copied.
 *
 * <p>Holds one reference to the object, which keeps it from being evicted or freed. {@link #close()} releases it,
 * exactly once; the views are unusable afterwards (access throws {@link IllegalStateException}).
 */
public final class ObjectBuffer implements AutoCloseable {
    private final Lease lease;
    private final MemorySegment data;
    private final MemorySegment metadata;

    ObjectBuffer(Lease lease, MemorySegment data, MemorySegment metadata) {
        this.lease = lease;
        this.data = data;
        this.metadata = metadata;
    }

    /** The object's id. */
    public ObjectId id() {
        return lease.id;
    }

    /** The data bytes, read-only. */
    public MemorySegment data() {
        return data;
    }

    /** The metadata bytes, read-only (empty if the object has none). */
    public MemorySegment metadata() {
        return metadata;
    }

    /** True until closed. */
    public boolean isOpen() {
        return !lease.isReleased();
    }

    /** Releases the reference; later calls do nothing. */
    @Override
    public void close() {
        lease.release();
    }

    @Override
    public String toString() {
        return "ObjectBuffer[" + id() + ", " + data.byteSize() + " + " + metadata.byteSize() + " bytes]";
    }
}
