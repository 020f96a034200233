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
import dev.quiver.protocol.StreamFormat;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Appends Arrow batches to a named stream, numbered 0, 1, 2, ...: a log in the store's shared memory that readers
 * ({@link StreamReader}) follow without asking the store for each batch. The log is a sequence of segments (store
 * objects the writer creates and publishes); each batch is written in place as one framed Arrow IPC record batch,
 * then made visible by publishing the segment's position (a release store) and waking sleeping readers (a futex).
 * A batch is never seen half-written. The format is in docs/stream-log.md.
 *
 * <p><b>One writer per stream.</b> A writer holds the stream's lock object for as long as it is open; a second writer
 * is refused with {@link StreamWriterConflictException}, or waits for the first to let go
 * ({@link #open(ArrowStore, String, Retention, Duration)}). The lock is sealed and deleted at once while its writer
 * still holds it, so the store keeps its id reserved (invisible to gets) until the writer releases it: when the writer
 * closes, or its process dies and the store drops its references, the lock is freed and subscribers are notified
 * ({@code DELETED}). When a writer's process dies, the store seals the segment it was writing as it is: every batch
 * published stays readable, and a new writer continues after the last one, in a new segment.
 *
 * <p>{@link #end()} writes an explicit end of stream: readers see {@link StreamEvent.End}, which a timeout can never
 * be mistaken for. The writer never waits for readers; old segments go according to the {@link Retention}, and
 * readers that fall behind are told exactly what they lost. Not thread-safe beyond its synchronized methods: one
 * writer thread is the intended use.
 */
public final class StreamWriter implements AutoCloseable {
    /** Smallest and largest usual segment; a batch larger than that gets a segment of its own size. */
    static final long MIN_SEGMENT = 64 << 10;
    static final long MAX_SEGMENT = 1 << 20;

    /** What retention counts of one segment. */
    private static final class Kept {
        final long number;
        long batches;
        long bytes;
        long newestNanos;

        Kept(long number) {
            this.number = number;
        }
    }

    /** The segment being appended to. */
    private static final class Current {
        final WritableObject object;
        final MemorySegment data;
        final long number;
        final Schema schema;
        final Kept kept;
        /** Frame bytes published after {@link StreamLog#FRAMES}. */
        long position;

        Current(WritableObject object, long number, Schema schema, Kept kept) {
            this.object = object;
            this.data = object.data();
            this.number = number;
            this.schema = schema;
            this.kept = kept;
        }
    }

    private final ArrowStore arrow;
    private final StreamIds ids;
    private final Retention retention;
    private final WritableObject lock;
    private final long segmentBytes;
    private final long segmentBatches;
    /** A segment holding this many bytes of batches takes no more (a quarter of the byte retention). */
    private final long segmentBatchBytes;
    private final byte[] metadata;
    private final ArrayDeque<Kept> kept = new ArrayDeque<>();
    private long keptBatches;
    private long keptBytes;
    private Current current;
    private long nextNumber;
    private long next;
    private boolean ended;

    private StreamWriter(ArrowStore arrow, StreamIds ids, Retention retention, WritableObject lock) {
        this.arrow = arrow;
        this.ids = ids;
        this.retention = retention;
        this.lock = lock;
        this.segmentBytes = Math.clamp(retention.maxBytes() / 4, MIN_SEGMENT, MAX_SEGMENT);
        this.segmentBatches = Math.max(1, retention.maxBatches() / 4);
        this.segmentBatchBytes = Math.max(1, retention.maxBytes() / 4);
        this.metadata = ids.segmentMetadata().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Opens stream {@code name} for writing: a new stream starts at 0, an existing one continues after its last
     * published batch (a writer that died mid-batch left nothing of that batch behind).
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
            StreamWriter w = new StreamWriter(arrow, ids, retention, lock);
            w.resume();
            w.applyRetention();
            return w;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * Reads the segments a previous writer left (all sealed: this writer holds the lock, so any earlier writer is
     * gone) to continue after the last published batch and to count them for retention.
     */
    private void resume() {
        QuiverClient client = arrow.client();
        for (ObjectInfo o : client.range(ids.first(), ids.lock(), Integer.MAX_VALUE, false)) {
            long number = ids.numberOf(o.id());
            nextNumber = number + 1;
            Optional<ObjectBuffer> got = client.get(o.id(), QuiverClient.NO_WAIT);
            if (got.isEmpty()) {
                continue; // evicted or deleted since the range
            }
            try (ObjectBuffer b = got.get()) {
                MemorySegment data = b.data();
                StreamLog.checkHeader(data, number, ids.name());
                long published = StreamLog.published(data);
                Kept k = new Kept(number);
                for (long at = StreamFormat.FRAMES; at < StreamFormat.FRAMES + published; ) {
                    StreamLog.Frame f = StreamLog.Frame.read(data, at, published, ids.name());
                    switch (f.type()) {
                        case StreamLog.SCHEMA, StreamLog.NEXT -> next = f.seq();
                        case StreamLog.BATCH -> {
                            next = f.seq() + 1;
                            k.batches++;
                            k.bytes += f.bodyLength();
                            k.newestNanos = f.appendNanos();
                        }
                        case StreamLog.END -> throw new IllegalStateException("stream '" + ids.name()
                                + "' was ended after " + f.seq() + " batches; it cannot be appended to (delete it "
                                + "with quiver streams rm " + ids.name() + ", or use another name)");
                        default -> { }
                    }
                    at = f.next();
                }
                keep(k);
            }
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

    /**
     * Appends the root's current batch, with the dictionaries of its dictionary-encoded columns; returns its sequence
     * number. The batch is copied into the log (its Arrow IPC form) and visible to readers when this returns.
     *
     * @throws IllegalArgumentException if the batch is invalid (nothing is appended)
     * @throws dev.quiver.client.StoreFullException if a new segment does not fit in the store
     */
    public synchronized long append(VectorSchemaRoot batch, DictionaryProvider dictionaries) {
        requireOpen();
        Schema schema = batch.getSchema();
        ArrowStore.checkWritable(schema, List.of(batch), dictionaries); // nothing invalid goes into the log
        Current c = current;
        if (c == null || (c.schema != schema && !c.schema.equals(schema)) || c.kept.batches >= segmentBatches
                || c.kept.bytes >= segmentBatchBytes) {
            // measured first, so that the new segment is sized for batches like this one
            c = roll(schema, dictionaries, ArrowStore.serialize(schema, List.of(batch), dictionaries,
                    SegmentChannel.counting(), false, true));
        }
        long at = StreamFormat.FRAMES + c.position;
        long room = c.data.byteSize() - at - 2L * StreamLog.FRAME_HEADER; // keeps room for a NEXT frame
        SegmentChannel body = SegmentChannel.bounded(c.data.asSlice(at + StreamLog.FRAME_HEADER, Math.max(0, room)));
        long bodyLength = ArrowStore.serialize(schema, List.of(batch), dictionaries, body, false, true);
        if (body.overflowed()) {
            c = roll(schema, dictionaries, bodyLength);
            at = StreamFormat.FRAMES + c.position;
            body = SegmentChannel.bounded(c.data.asSlice(at + StreamLog.FRAME_HEADER, bodyLength));
            if (ArrowStore.serialize(schema, List.of(batch), dictionaries, body, false, true) != bodyLength
                    || body.overflowed()) {
                throw new IllegalStateException("the batch's serialized size changed between two passes: was it "
                        + "changed while being appended?");
            }
        }
        long seq = next;
        c.position += StreamLog.writeFrameHeader(c.data, at, StreamLog.BATCH, seq, bodyLength);
        StreamLog.publish(c.data, c.position, seq + 1);
        next++;
        c.kept.batches++;
        c.kept.bytes += bodyLength;
        c.kept.newestNanos = c.data.get(StreamLog.LONG, at + 16); // the append time the frame says
        keptBatches++;
        keptBytes += bodyLength;
        applyRetention();
        return seq;
    }

    /**
     * Starts the next segment for batches of {@code schema} like one whose body is {@code bodyLength} bytes, and moves
     * the log on to it: the new segment is published before the old one says NEXT, so readers find it. Its capacity
     * is a quarter of the byte retention (64 KiB to 1 MiB), or less if it takes only a few batches of this size, and
     * at least what this batch needs.
     */
    private Current roll(Schema schema, DictionaryProvider dictionaries, long bodyLength) {
        long schemaLength = ArrowStore.serialize(schema, List.of(), dictionaries, SegmentChannel.counting(), true,
                false);
        long fixed = StreamFormat.FRAMES + StreamLog.align(StreamLog.FRAME_HEADER + schemaLength)
                + StreamLog.FRAME_HEADER; // header, schema and the closing NEXT or END
        long frame = StreamLog.align(StreamLog.FRAME_HEADER + bodyLength);
        long forBatches = segmentBatches >= segmentBytes / frame ? segmentBytes
                : Math.clamp(fixed + segmentBatches * (frame + frame / 4), MIN_SEGMENT, segmentBytes);
        long number = nextNumber;
        WritableObject o = arrow.client().create(ids.segment(number), Math.max(forBatches, fixed + frame),
                MemorySegment.ofArray(metadata));
        Current c;
        try {
            Kept k = new Kept(number);
            c = new Current(o, number, schema, k);
            StreamLog.writeHeader(c.data, number, next);
            SegmentChannel out = SegmentChannel.bounded(c.data.asSlice(StreamFormat.FRAMES + StreamLog.FRAME_HEADER,
                    schemaLength));
            ArrowStore.serialize(schema, List.of(), dictionaries, out, true, false);
            c.position = StreamLog.writeFrameHeader(c.data, StreamFormat.FRAMES, StreamLog.SCHEMA, next, schemaLength);
            StreamLog.publish(c.data, c.position, next);
            o.publish();
            keep(k);
        } catch (RuntimeException e) {
            o.close(); // aborted if not published yet, sealed as it is if it was
            throw e;
        }
        nextNumber = number + 1;
        Current old = current;
        current = c;
        if (old != null) {
            finish(old, StreamLog.NEXT);
        }
        return c;
    }

    /** Writes NEXT or END as the segment's last frame, publishes it, seals the segment and lets it go. */
    private void finish(Current c, int type) {
        long at = StreamFormat.FRAMES + c.position;
        c.position += StreamLog.writeFrameHeader(c.data, at, type, next, 0);
        StreamLog.publish(c.data, c.position, next);
        c.object.seal();
        c.object.close();
    }

    /**
     * Ends the stream: readers that reach sequence number {@link #nextSeq()} see {@link StreamEvent.End}. The
     * writer is closed. Returns the number of batches written.
     */
    public synchronized long end() {
        requireOpen();
        if (current == null) {
            current = roll(new Schema(List.of()), null, 0); // the end needs a segment to be written in
        }
        finish(current, StreamLog.END);
        current = null;
        ended = true;
        lock.close();
        return next;
    }

    /** Gives up the writer's role without ending the stream: another writer may continue it. */
    @Override
    public synchronized void close() {
        if (current != null) {
            current.object.close(); // seals it as it is
            current = null;
        }
        lock.close();
        ended = true;
    }

    /** The data of the segment being written, for tests that tear a frame the way a crash mid-append does. */
    MemorySegment currentSegmentForTests() {
        return current == null ? null : current.data;
    }

    /** Where the next frame would start in {@link #currentSegmentForTests()}. */
    long nextFrameOffsetForTests() {
        return current == null ? -1 : StreamFormat.FRAMES + current.position;
    }

    private void keep(Kept k) {
        kept.addLast(k);
        keptBatches += k.batches;
        keptBytes += k.bytes;
    }

    /**
     * Deletes the oldest segments while the rest still exceed the retention (deferred by the store while a reader
     * holds one). The segment being written is never deleted.
     */
    private void applyRetention() {
        long ageLimit = retention.maxAge().isZero() ? Long.MIN_VALUE
                : StreamLog.epochNanos() - retention.maxAge().toNanos();
        while (kept.size() > 1) {
            Kept oldest = kept.getFirst();
            boolean over = keptBatches > retention.maxBatches() || keptBytes > retention.maxBytes()
                    || (oldest.newestNanos != 0 && oldest.newestNanos < ageLimit);
            if (!over) {
                return;
            }
            kept.removeFirst();
            keptBatches -= oldest.batches;
            keptBytes -= oldest.bytes;
            arrow.client().delete(List.of(ids.segment(oldest.number))); // evicted already: gone either way
        }
    }

    private void requireOpen() {
        if (ended) {
            throw new IllegalStateException("the writer of stream '" + ids.name() + "' is closed");
        }
    }
}
