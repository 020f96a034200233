package dev.quiver.client;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * An object just created: write {@link #data()} (and {@link #metadata()}) in place, then {@link #seal()} it to
 * make it visible, or {@link #abort()} it.
 *
 * <pre>{@code
 * try (WritableObject o = client.create(id, 1024)) {
 *     o.data().fill((byte) 7);
 *     o.seal();
 * }
 * }</pre>
 *
 * <p>The writable views live only between create and seal or abort; afterwards any access throws
 * {@link IllegalStateException}. The creator's reference outlives the seal (other clients may already read the
 * object): {@link #close()} releases it, or aborts the object if it was never sealed.
 */
public final class WritableObject implements AutoCloseable {
    private final QuiverClient client;
    private final Lease lease;
    private final Arena writeViews;
    private final MemorySegment region;
    private final MemorySegment data;
    private final MemorySegment metadata;
    private volatile State state = State.WRITING;
    private volatile boolean sealed;

    private enum State { WRITING, SEALED, ABORTED, CLOSED }

    /** {@code region} (data then metadata) must be scoped by {@code writeViews}, which seal and abort close. */
    WritableObject(QuiverClient client, Lease lease, Arena writeViews, MemorySegment region, long dataSize) {
        this.client = client;
        this.lease = lease;
        this.writeViews = writeViews;
        this.region = region;
        this.data = region.asSlice(0, dataSize);
        this.metadata = region.asSlice(dataSize);
    }

    /** The object's id. */
    public ObjectId id() {
        return lease.id;
    }

    /** The data bytes, writable until seal or abort. */
    public MemorySegment data() {
        return data;
    }

    /** The metadata bytes, writable until seal or abort. */
    public MemorySegment metadata() {
        return metadata;
    }

    /**
     * Records the content digest and makes the object visible and immutable; wakes every get waiting for it.
     * The writable views are closed. Call {@link #close()} afterwards to release the creator's reference.
     */
    public synchronized void seal() {
        requireWriting("seal");
        long digest = Digests.of(region);
        Reply.Statuses r = (Reply.Statuses) client.connection().call(
                new Request.Seal(List.of(new Request.SealSpec(lease.id, digest))));
        QuiverClient.checkStatus(r.statuses().getFirst(), lease.id, "seal");
        state = State.SEALED;
        sealed = true;
        writeViews.close();
    }

    /** Drops the object as if it had never been created; its memory is free again. */
    public synchronized void abort() {
        requireWriting("abort");
        state = State.ABORTED;
        writeViews.close();
        lease.invalidate();
        client.connection().call(new Request.Abort(lease.id));
    }

    /** True between create and seal or abort. */
    public boolean isWritable() {
        return state == State.WRITING;
    }

    /** True once sealed. */
    public boolean isSealed() {
        return sealed;
    }

    /** Releases the creator's reference if sealed; aborts the object if not. Later calls do nothing. */
    @Override
    public synchronized void close() {
        switch (state) {
            case WRITING -> {
                if (client.isConnected()) {
                    abort();
                } else {
                    writeViews.close();
                    lease.invalidate();
                }
            }
            case SEALED -> lease.release();
            case ABORTED, CLOSED -> { }
        }
        state = State.CLOSED;
        client.writerClosed(this);
    }

    /** Closes the writable views without telling the store: the client is closing. */
    void invalidate() {
        if (state == State.WRITING) {
            state = State.CLOSED;
            writeViews.close();
        }
    }

    private void requireWriting(String op) {
        if (state != State.WRITING) {
            throw new IllegalStateException("cannot " + op + " object " + lease.id + ": it is " +
                    state.name().toLowerCase());
        }
    }
}
