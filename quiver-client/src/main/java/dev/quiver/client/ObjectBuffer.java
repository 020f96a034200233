package dev.quiver.client;

import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;

/**
 * A sealed object, read in place: {@link #data()} and {@link #metadata()} are read-only views of the store's
 * memory, mapped in this process. Nothing was copied.
 *
 * <p>Holds one reference to the object, which keeps it from being evicted or freed. {@link #close()} releases it,
 * exactly once; the views are unusable afterwards (access throws {@link IllegalStateException}). They become unusable
 * in the same way when the client is closed or loses its connection, unless the buffer is {@link #pin() pinned}.
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

    /**
     * Declares that this buffer's memory will be used by raw address, outside the {@link MemorySegment} views (Arrow
     * buffers over store memory, native code): such use cannot be fenced off on close, so the client keeps it valid
     * instead. Until this buffer is closed, its reference is held and the arena stays mapped, even after
     * {@link QuiverClient#close()} or the loss of the connection: the client then keeps its socket open, so that the
     * store keeps the memory, and disconnects when the last pinned buffer is closed.
     *
     * @return the address of the first data byte in this process
     * @throws IllegalStateException if the buffer is closed
     */
    public long pin() {
        if (!lease.pin()) {
            throw new IllegalStateException("buffer of object " + id() + " is closed");
        }
        return data.address();
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
