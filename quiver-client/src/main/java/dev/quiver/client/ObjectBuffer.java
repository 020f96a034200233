package dev.quiver.client;

import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;

/**
 * A sealed object, read in place: {@link #data()} and {@link #metadata()} are read-only views of the store's
 * memory, mapped in this process. Nothing was copied.
 *
 * <p>Holds one reference to the object, which keeps it from being evicted or freed. {@link #close()} releases it,
 * exactly once. After close, {@link #data()} and {@link #metadata()} throw {@link IllegalStateException} at once;
 * views taken from them before stay readable, with the same bytes (the reference is still held), until the client
 * ends them with the other buffers of their generation, about a millisecond later or at once on
 * {@link QuiverClient#flush()}, and then throw {@link IllegalStateException} too: never do they read memory the store
 * has reused. Views become unusable in the same way when the client is closed or loses its connection, unless the
 * buffer is {@link #pin() pinned}.
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

    /**
     * The data bytes, read-only.
     *
     * @throws IllegalStateException if the buffer is closed
     */
    public MemorySegment data() {
        requireOpen();
        return data;
    }

    /**
     * The metadata bytes, read-only (empty if the object has none).
     *
     * @throws IllegalStateException if the buffer is closed
     */
    public MemorySegment metadata() {
        requireOpen();
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
            throw closed();
        }
        return data.address();
    }

    private void requireOpen() {
        if (lease.isReleased()) {
            throw closed();
        }
    }

    private IllegalStateException closed() {
        return new IllegalStateException("buffer of object " + id() + " is closed");
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
