package dev.quiver.client;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An object just created: write {@link #data()} (and {@link #metadata()}) in place, or copy bytes in with
 * {@link #write(long, MemorySegment)}, then {@link #seal()} it to make it visible, or {@link #abort()} it.
 *
 * <pre>{@code
 * try (WritableObject o = client.create(id, 1024)) {
 *     o.data().fill((byte) 7);
 *     o.seal();
 * }
 * }</pre>
 *
 * <p>The writable views live only between create and seal or abort, and end with the client (closed, or its
 * connection lost, which discards the unsealed object); afterwards any access throws {@link IllegalStateException}.
 * Ending views costs a JVM-wide handshake (closing a shared {@link java.lang.foreign.Arena}, tens of microseconds),
 * so a writer makes them only when {@link #data()} or {@link #metadata()} is first called: one that copies its bytes
 * in with {@link #write(long, MemorySegment)} alone seals without that cost.
 * The creator's reference outlives the seal (other clients may already read the
 * object): {@link #close()} releases it, or aborts the object if it was never sealed. A writer that is
 * garbage-collected without being closed is aborted or released then, with a warning in the log.
 */
public final class WritableObject implements AutoCloseable {
    final Writer writer; // package-private for tests that reach behind the views

    WritableObject(Writer writer) {
        this.writer = writer;
    }

    /** The object's id. */
    public ObjectId id() {
        return writer.lease.id;
    }

    /**
     * The data bytes, writable until seal or abort. Writes through this view cannot be seen by the writer, so once
     * it is handed out, {@link #seal()} digests every byte of the object again, including what
     * {@link #write(long, MemorySegment)} wrote; copy bulk data with {@code write} alone to seal without that pass.
     */
    public MemorySegment data() {
        writer.written.turnOff();
        return writer.views().asSlice(0, writer.dataSize);
    }

    /**
     * Copies all of {@code source} into the data at {@code offset}, computing the content digest of those bytes
     * while they are still in the CPU's cache, so that {@link #seal()} need not read them again: seal then digests
     * only the bytes not written this way (and the metadata) and combines. Sources of 4 MiB and more are copied and
     * digested in chunks by the calling thread and a small shared pool of daemon threads together.
     *
     * <p>Calls from several threads at once are safe and run in parallel; they should write disjoint ranges, and all
     * must return before {@link #seal()}. The digest stays exact whatever is written: if two writes overlap, or
     * {@link #data()} has been called (before or after), seal digests the whole object from memory instead, as
     * without this method.
     *
     * @param offset where in the data the first byte goes
     * @param source the bytes to copy (any segment: heap, native, mapped); it must not overlap this object
     * @throws IndexOutOfBoundsException if {@code offset} is negative or the source would end past the data; nothing
     *                                   is written then
     * @throws IllegalStateException     if the object is no longer writable (sealed, aborted, closed); nothing is
     *                                   written then
     */
    public void write(long offset, MemorySegment source) {
        Objects.requireNonNull(source, "source");
        long size = source.byteSize();
        long dataSize = writer.dataSize;
        if (offset < 0 || offset > dataSize - size) {
            throw new IndexOutOfBoundsException("cannot write " + size + " bytes at offset " + offset + " of object "
                    + id() + ": its data holds " + dataSize + " bytes; write within [0, " + dataSize
                    + ") or create the object larger");
        }
        writer.write(offset, source);
    }

    /** The metadata bytes, writable until seal or abort. */
    public MemorySegment metadata() {
        return writer.views().asSlice(writer.dataSize);
    }

    /**
     * Records the content digest and makes the object visible and immutable; wakes every get waiting for it.
     * The writable views are closed. Call {@link #close()} afterwards to release the creator's reference.
     */
    public void seal() {
        writer.seal();
    }

    /**
     * From now on this object computes no content digest: {@link #write(long, MemorySegment)} only copies, and
     * {@link #seal()} records {@link QuiverClient#NO_DIGEST}. For bulk data whose digest nobody checks, where copying
     * on every core leaves no CPU for the digest (a put with several copy threads then runs at the copy's speed).
     * {@link QuiverClient#hash} computes such an object's digest from its bytes when asked. By default objects have
     * a digest.
     *
     * @return this object
     * @throws IllegalStateException if it is no longer writable
     */
    public WritableObject withoutDigest() {
        writer.skipDigest();
        return this;
    }

    /**
     * Drops the object as if it had never been created; its memory is free again.
     *
     * @throws IllegalStateException if the object was {@linkplain #publish() published} (seal it instead)
     */
    public void abort() {
        writer.abort();
    }

    /**
     * Makes the object gettable now, while this writer goes on writing it: for a log that readers follow as it
     * grows (a stream's segment), not for ordinary objects. Readers get it as usual and read its bytes in place;
     * what they may read, and when, is for the writer to publish inside the bytes (with release stores, read with
     * acquire loads). From now on the object cannot be aborted: {@link #close()} seals it as it is, and if this
     * client goes away first, the store seals it as it is. The content digest is that of the bytes at seal.
     */
    public void publish() {
        writer.publish();
    }

    /** True once {@link #publish() published}. */
    public boolean isPublished() {
        return writer.published;
    }

    /** True between create and seal or abort. */
    public boolean isWritable() {
        return writer.state == State.WRITING;
    }

    /** True once sealed. */
    public boolean isSealed() {
        return writer.sealed;
    }

    /** Releases the creator's reference if sealed; aborts the object if not. Later calls do nothing. */
    @Override
    public void close() {
        writer.close();
    }

    /** DISCONNECTED: the client was closed or lost its connection while the object was being written. */
    enum State { WRITING, SEALED, ABORTED, CLOSED, DISCONNECTED }

    /**
     * The state of a writer, apart from the {@link WritableObject} the user holds, so that it can also serve as that
     * object's cleaner action (it must not refer to it). The client tracks these, not the user's objects.
     */
    static final class Writer implements Runnable {
        private static final Logger LOG = LoggerFactory.getLogger(WritableObject.class);

        final QuiverClient client;
        final Lease lease;
        /**
         * The object's bytes (data then metadata), scoped by the client's mapping, never handed out: the writer's own
         * copies go through it while {@link #copying} is held for reading and the state is {@code WRITING}, so once
         * seal, abort or the client's end has taken the lock for writing and changed the state, nothing writes here
         * again, and the store may reuse the memory as soon as it hears of the end.
         */
        final MemorySegment region;
        final long dataSize;
        /** Held for reading by each copy in; for writing by whatever ends the writing (seal, abort, invalidate). */
        private final ReentrantReadWriteLock copying = new ReentrantReadWriteLock();
        /** What {@link WritableObject#write} has already digested. */
        final WrittenRanges written = new WrittenRanges();
        volatile State state = State.WRITING;
        volatile boolean sealed;
        volatile boolean published;
        /** False once {@link WritableObject#withoutDigest()} was called: seal records no digest. */
        private boolean digested = true;
        /** The views handed out ({@link #views()}), scoped by the lease's generation; null until asked for. */
        private MemorySegment views;

        /**
         * The lease's generation must be one of its own ({@link ViewScopes#enterAlone()}), which seal and abort end.
         */
        Writer(QuiverClient client, Lease lease, MemorySegment region, long dataSize) {
            this.client = client;
            this.lease = lease;
            this.region = region;
            this.dataSize = dataSize;
        }

        /** The object's bytes as a view the user may keep: it ends at seal or abort (made on the first call). */
        synchronized MemorySegment views() {
            if (views == null) {
                views = region.reinterpret(lease.generation.arena(), null);
            }
            return views;
        }

        /** Copies {@code source} into the data at {@code offset} (in bounds), digesting it unless views are out. */
        void write(long offset, MemorySegment source) {
            copying.readLock().lock();
            try {
                requireWriting("write to");
                long size = source.byteSize();
                if (written.isOff()) {
                    MemorySegment.copy(source, 0, region, offset, size); // seal digests everything anyway
                } else {
                    written.record(offset, size, Digests.copy(source, region.asSlice(offset, size)));
                }
            } finally {
                copying.readLock().unlock();
            }
        }

        /** Copies the metadata in (seal digests it with the rest). */
        void writeMetadata(MemorySegment metadata) {
            copying.readLock().lock();
            try {
                requireWriting("write the metadata of");
                MemorySegment.copy(metadata, 0, region, dataSize, metadata.byteSize());
            } finally {
                copying.readLock().unlock();
            }
        }

        /** {@link WritableObject#withoutDigest()}. */
        synchronized void skipDigest() {
            requireWriting("skip the digest of");
            digested = false;
            written.turnOff(); // copies in from now on only copy
        }

        synchronized void seal() {
            requireWriting("seal");
            long digest;
            copying.writeLock().lock(); // waits for copies in progress; later ones see the state and throw
            try {
                digest = digested ? written.digest(region) : QuiverClient.NO_DIGEST;
                lease.generation.endViews(lease.id); // first: if an I/O call still holds a view, this throws and nothing has changed
                state = State.SEALED;
            } finally {
                copying.writeLock().unlock();
            }
            Reply.Statuses r = (Reply.Statuses) client.connection().call(
                    new Request.Seal(List.of(new Request.SealSpec(lease.id, digest))));
            QuiverClient.checkStatus(r.statuses().getFirst(), lease.id, "seal");
            sealed = true;
            client.sealed(this);
        }

        synchronized void publish() {
            requireWriting("publish");
            if (!published) {
                client.connection().call(new Request.Publish(lease.id));
                published = true;
            }
        }

        synchronized void abort() {
            requireWriting("abort");
            if (published) {
                throw new IllegalStateException("cannot abort object " + lease.id + ": it is published, and readers "
                        + "may hold it; seal it instead (close() does)");
            }
            StoreUnavailableException lost = client.lostException("cannot abort object " + lease.id);
            if (lost != null) {
                throw lost;
            }
            endWriting(State.ABORTED);
            lease.abort();
            client.writerClosed(this);
            client.flushViews(); // the abort goes now, not in a batch: a waiting create may need the memory
        }

        synchronized void close() {
            switch (state) {
                case WRITING -> {
                    try {
                        if (published) {
                            seal(); // readers may hold it: it ends as it is
                            lease.release();
                        } else {
                            abort();
                        }
                    } catch (StoreUnavailableException e) {
                        // the connection is gone: the store discards (or, if published, seals) what it was writing
                    }
                }
                case SEALED -> lease.release();
                case ABORTED, CLOSED, DISCONNECTED -> { }
            }
            state = State.CLOSED;
            client.writerClosed(this);
        }

        /**
         * Ends the writer without telling the store: the client is closing or lost its connection. The views end with
         * the client's generations.
         */
        synchronized void invalidate() {
            if (state == State.WRITING) {
                copying.writeLock().lock();
                try {
                    state = State.DISCONNECTED;
                } finally {
                    copying.writeLock().unlock();
                }
                lease.invalidate();
            }
        }

        /**
         * Ends the views and, once the copies in progress are done, the writing.
         *
         * @throws IllegalStateException if an I/O call in another thread holds a view: nothing changed
         */
        private void endWriting(State end) {
            copying.writeLock().lock();
            try {
                lease.generation.endViews(lease.id);
                state = end;
            } finally {
                copying.writeLock().unlock();
            }
        }

        /** The user's {@link WritableObject} was garbage-collected without being closed. */
        @Override
        public synchronized void run() {
            switch (state) {
                case WRITING -> {
                    if (published) {
                        LOG.warn("published object {} was never sealed or closed; sealing it as it is now that its "
                                + "WritableObject was garbage-collected", lease.id);
                        try {
                            seal();
                            lease.release();
                        } catch (RuntimeException e) {
                            LOG.warn("cannot seal object {}: {}", lease.id, e.getMessage());
                        }
                        client.writerClosed(this);
                        return;
                    }
                    LOG.warn("object {} was created but never sealed, aborted or closed; aborting it now that its "
                            + "WritableObject was garbage-collected", lease.id);
                    try {
                        endWriting(State.ABORTED);
                        lease.abort();
                    } catch (IllegalStateException e) {
                        LOG.warn("cannot abort object {}: {}", lease.id, e.getMessage());
                    }
                }
                case SEALED -> {
                    if (lease.release()) {
                        LOG.warn("the writer of object {} was never closed; released its reference when it was "
                                + "garbage-collected. Close every WritableObject (try-with-resources).", lease.id);
                    }
                }
                case ABORTED, CLOSED, DISCONNECTED -> { }
            }
            client.writerClosed(this);
        }

        private void requireWriting(String op) {
            StoreUnavailableException lost = client.lostException("cannot " + op + " object " + lease.id);
            if (state == State.DISCONNECTED && lost != null) {
                throw lost;
            }
            if (state != State.WRITING) {
                throw new IllegalStateException("cannot " + op + " object " + lease.id + ": it is "
                        + state.name().toLowerCase());
            }
        }
    }
}
