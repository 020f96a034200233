package dev.quiver.arrow;

import dev.quiver.client.DeleteOutcome;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.ObjectEvent;
import dev.quiver.client.ObjectExistsException;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.Subscription;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;

/**
 * Appends Arrow batches to a named stream: each batch is one sealed object, numbered 0, 1, 2, ... Readers
 * ({@link StreamReader}) see a batch only once it is sealed, so never half-written.
 *
 * <p><b>One writer per stream.</b> A writer holds the stream's lock object for as long as it is open; a second writer
 * is refused with {@link StreamWriterConflictException}, or waits for the first to let go
 * ({@link #open(ArrowStore, String, Retention, Duration)}). The lock is sealed and deleted at once while its writer
 * still holds it, so the store keeps its id reserved (invisible to gets) until the writer releases it: when the writer
 * closes, or its process dies and the store drops its references, the lock is freed and subscribers are notified
 * ({@code DELETED}). When a writer's process dies, the store also aborts any batch it was writing, and a new writer
 * continues after the last sealed batch.
 *
 * <p>{@link #end()} writes an explicit end-of-stream marker in the next sequence number: readers see
 * {@link StreamEvent.End}, which a timeout can never be mistaken for. The writer never waits for readers; old
 * batches go according to the {@link Retention}, and readers that fall behind are told what they lost.
 */
public final class StreamWriter implements AutoCloseable {
    /** The metadata of a stream's end-of-stream marker object (whose data is the batch count, 8 bytes LE). */
    public static final String END_MEDIA_TYPE = "application/vnd.quiver.stream-end";

    private record Kept(long seq, long bytes) {}

    private final ArrowStore arrow;
    private final StreamIds ids;
    private final Retention retention;
    private final WritableObject lock;
    private final ArrayDeque<Kept> kept = new ArrayDeque<>();
    private long keptBytes;
    private long next;
    private boolean ended;

    private StreamWriter(ArrowStore arrow, StreamIds ids, Retention retention, WritableObject lock, long next) {
        this.arrow = arrow;
        this.ids = ids;
        this.retention = retention;
        this.lock = lock;
        this.next = next;
    }

    /**
     * Opens stream {@code name} for writing: a new stream starts at 0, an existing one continues after its last
     * sealed batch (a writer that died mid-batch left nothing behind).
     *
     * @throws StreamWriterConflictException if another writer has the stream open
     * @throws IllegalStateException         if the stream was ended
     */
    public static StreamWriter open(ArrowStore arrow, String name, Retention retention) {
        StreamIds ids = new StreamIds(name);
        QuiverClient client = arrow.client();
        WritableObject lock = takeLock(client, ids);
        try {
            // Sealed, then deleted while referenced: the id stays reserved until this writer's reference goes, and its
            // end is announced to subscribers (an unsealed object's abort is not), which is what waiting writers watch.
            lock.seal();
            client.delete(ids.lock());
            List<ObjectInfo> existing = client.range(ids.first(), ids.lock(), Integer.MAX_VALUE, false);
            long next = 0;
            List<Kept> previous = new ArrayList<>();
            for (ObjectInfo o : existing) {
                if (o.state() != ObjectState.SEALED) {
                    continue;
                }
                long seq = ids.seqOf(o.id());
                previous.add(new Kept(seq, o.dataSize())); // as append counts: the Arrow IPC bytes
                next = seq + 1;
            }
            // Nothing follows an end marker, so only the newest object can be one: one get, not one per batch.
            if (!previous.isEmpty() && isEnd(client, ids.batch(next - 1))) {
                throw new IllegalStateException("stream '" + name + "' was ended after " + (next - 1)
                        + " batches; it cannot be appended to (delete it with quiver streams rm " + name
                        + ", or use another name)");
            }
            StreamWriter w = new StreamWriter(arrow, ids, retention, lock, next);
            previous.forEach(w::keep);
            w.applyRetention();
            return w;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    static WritableObject takeLock(QuiverClient client, StreamIds ids) {
        try {
            return client.create(ids.lock(), 0);
        } catch (ObjectExistsException e) {
            // A lock still visible and unreferenced was left by a writer that died between its seal and its delete:
            // nobody holds it, so it goes. A held one (a live writer) is only marked, as its writer does itself.
            if (client.delete(List.of(ids.lock())).getFirst() == DeleteOutcome.DELETED) {
                try {
                    return client.create(ids.lock(), 0);
                } catch (ObjectExistsException again) {
                    e = again; // another writer took it meanwhile
                }
            }
            throw new StreamWriterConflictException("stream '" + ids.name() + "' has a writer already: a stream "
                    + "takes one writer at a time (the other closes, or its process ends, first)", e);
        }
    }

    /**
     * Opens stream {@code name} for writing, waiting up to {@code writerWait} for its current writer to let go (close,
     * end, or its process ends). The wait is woken by the store's notification that the writer's lock was freed
     * (a {@link dev.quiver.client.Subscription} on a connection of its own, opened only if the stream is taken).
     *
     * @throws StreamWriterConflictException if the stream still has another writer after {@code writerWait}
     * @throws IllegalStateException         if the stream was ended
     */
    public static StreamWriter open(ArrowStore arrow, String name, Retention retention, Duration writerWait) {
        if (writerWait.isNegative()) {
            throw new IllegalArgumentException("writerWait must not be negative, got " + writerWait);
        }
        try {
            return open(arrow, name, retention);
        } catch (StreamWriterConflictException first) {
            if (writerWait.isZero()) {
                throw first;
            }
        }
        long deadline = System.nanoTime() + writerWait.toNanos();
        ObjectId lock = new StreamIds(name).lock();
        try (Subscription events = arrow.client().subscribe()) {
            boolean last = false;
            while (true) {
                try {
                    return open(arrow, name, retention); // tried after subscribing: no release goes unnoticed
                } catch (StreamWriterConflictException e) {
                    if (last) {
                        throw new StreamWriterConflictException("stream '" + name + "' kept its writer for "
                                + writerWait.toMillis() + " ms (the wait allowed): is another writer still running? "
                                + "Stop it, or wait longer", e);
                    }
                    // One more try at the deadline: a lock that was never sealed (a writer of an older protocol)
                    // goes without a notice.
                    last = !awaitFreed(events, lock, deadline);
                }
            }
        }
    }

    /** Waits until the store announces that {@code lock} was freed; false if the deadline passes first. */
    private static boolean awaitFreed(Subscription events, ObjectId lock, long deadline) {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            Optional<ObjectEvent> e = events.next(Duration.ofNanos(left));
            if (e.isPresent() && e.get().kind() == ObjectEvent.Kind.DELETED && e.get().id().equals(lock)) {
                return true;
            }
        }
    }

    /** The stream's name. */
    public String name() {
        return ids.name();
    }

    /** The sequence number the next batch will get. */
    public long nextSeq() {
        return next;
    }

    /** Appends the root's current batch; returns its sequence number. */
    public long append(VectorSchemaRoot batch) {
        return append(batch, null);
    }

    /** Appends the root's current batch, with the dictionaries of its dictionary-encoded columns. */
    public synchronized long append(VectorSchemaRoot batch, DictionaryProvider dictionaries) {
        requireOpen();
        long seq = next;
        long bytes = arrow.write(ids.batch(seq), batch.getSchema(), List.of(batch), dictionaries, ids.batchMetadata());
        next++;
        keep(new Kept(seq, bytes));
        applyRetention();
        return seq;
    }

    /**
     * Ends the stream: readers that reach sequence number {@link #nextSeq()} see {@link StreamEvent.End}. The
     * writer is closed. Returns the number of batches written.
     */
    public synchronized long end() {
        requireOpen();
        MemorySegment count = MemorySegment.ofArray(new byte[8]);
        count.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, next);
        arrow.client().createAndSeal(ids.batch(next), count,
                MemorySegment.ofArray(END_MEDIA_TYPE.getBytes(StandardCharsets.US_ASCII)));
        ended = true;
        lock.close();
        return next;
    }

    /** Gives up the writer's role without ending the stream: another writer may continue it. */
    @Override
    public synchronized void close() {
        lock.close();
        ended = true;
    }

    private void keep(Kept k) {
        kept.addLast(k);
        keptBytes += k.bytes;
    }

    /** Deletes the oldest batches beyond the retention (deferred by the store while a reader holds one). */
    private void applyRetention() {
        List<ObjectId> drop = new ArrayList<>();
        while (kept.size() > retention.maxBatches() || (keptBytes > retention.maxBytes() && kept.size() > 1)) {
            Kept k = kept.removeFirst();
            keptBytes -= k.bytes;
            drop.add(ids.batch(k.seq));
        }
        if (!drop.isEmpty()) {
            arrow.client().delete(drop); // an evicted batch is "not found": gone either way
        }
    }

    private void requireOpen() {
        if (ended) {
            throw new IllegalStateException("the writer of stream '" + ids.name() + "' is closed");
        }
    }

    /** Whether the object is a stream's end marker. */
    static boolean isEnd(QuiverClient client, ObjectId id) {
        Optional<ObjectBuffer> b = client.get(id, QuiverClient.NO_WAIT);
        if (b.isEmpty()) {
            return false;
        }
        try (ObjectBuffer o = b.get()) {
            return isEnd(o);
        }
    }

    static boolean isEnd(ObjectBuffer o) {
        return new String(o.metadata().toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).equals(END_MEDIA_TYPE);
    }
}
