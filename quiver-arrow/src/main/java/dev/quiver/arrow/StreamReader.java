package dev.quiver.arrow;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.PendingGet;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.StreamFormat;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Reads a stream's batches in order, each zero-copy, with a position of its own: readers are independent of each
 * other and of the writer. The reader follows the writer's published position in the stream's log (docs/stream-log.md)
 * in shared memory: a batch costs no request to the store. {@link #next(Duration)} tells apart a batch, lost batches,
 * the end of the stream and a timeout (which says whether a writer is alive).
 *
 * <p><b>Waiting.</b> A reader that has caught up spins for {@value #SPIN_NANOS} ns, then, if the writer has been
 * appending at least every {@value #AWAKE_GAP_NANOS} ns (judged from the append times of the last batches) and the
 * stream's readers leave the writer a CPU (fewer live readers than the machine has processors, counted from their
 * cursors about once a second), stays awake for twice that interval, yielding its CPU between checks, so that a
 * batch of a busy stream is picked up in microseconds; otherwise, and after that, it sleeps until the writer wakes it
 * (a futex on the log segment, tens of microseconds) or the timeout passes. A reader of a fast stream thus keeps a CPU
 * busy while the stream is, unless that would leave the writer and the other readers short of CPUs; a reader of a
 * slow one sleeps. {@link Waiting#SLEEP} skips the awake stretch: every batch then costs a wake-up (a higher median),
 * but the reader never keeps a CPU busy while it waits.
 *
 * <p>The reader holds the segment it reads (one store reference) until it moves past it or is closed; each batch
 * holds its segment until the batch is closed. Its position and losses are visible to others through a cursor object
 * in the store, updated in place after each event ({@link Streams#info}, {@code quiver streams}, the store's metrics).
 * Close the reader when done. Not thread-safe: one reader per thread.
 */
public final class StreamReader implements AutoCloseable {
    /** How long a reader that caught up spins on the published position before it yields or sleeps. */
    static final long SPIN_NANOS = 20_000;
    /** A writer appending at least this often keeps its readers awake (yielding) between batches. */
    static final long AWAKE_GAP_NANOS = 1_000_000;
    /** How often a reader counts the stream's readers (at a segment it enters, at most this often). */
    static final long READER_COUNT_NANOS = 1_000_000_000;
    private static final int PROCESSORS = Runtime.getRuntime().availableProcessors();
    /** The longest sleep between checks that the writer is still there. */
    static final long SLICE_NANOS = 100_000_000;
    /** How long the store holds the get of the next segment that a reader at the head of the log sends. */
    static final long AHEAD_MILLIS = 60_000;
    /**
     * How long a reader at NEXT waits for the answer to that get before it asks again. The answer was sent when the
     * writer published the segment, before NEXT, so it is normally there; it never comes if retention deleted the
     * segment before the get reached the store.
     */
    static final Duration AHEAD_ANSWER_WAIT = Duration.ofMillis(10);

    /** How a reader that has caught up with the writer waits for the next batch. */
    public enum Waiting {
        /**
         * The default: spin briefly, then stay awake (yielding) while the writer appends at least every millisecond and
         * the stream's readers leave the writer a CPU, then sleep. The lowest median hand-off (a few microseconds
         * between processes), for a CPU kept busy while the stream is.
         */
        ADAPTIVE,
        /**
         * Spin briefly, then sleep until the writer wakes the reader: every batch costs a wake-up (tens of
         * microseconds), but the reader's CPU is free for other threads while it waits: for machines whose CPUs have
         * other work to do.
         */
        SLEEP
    }

    /** Where a new reader starts. */
    public sealed interface Start {
        /** At the oldest batch still kept (or at 0 if none was written yet). */
        Start EARLIEST = new Earliest();
        /** At the newest batch published so far (or at the next one if none was written yet). */
        Start LATEST = new Latest();

        /**
         * At a given sequence number (batches before it are not read; if it is gone, a Lost comes first; beyond the
         * end of an ended stream, the End comes).
         */
        static Start at(long seq) {
            if (seq < 0) {
                throw new IllegalArgumentException("sequence numbers start at 0, got " + seq);
            }
            return new At(seq);
        }

        /**
         * {@code earliest}, {@code latest} (any case) or a sequence number, as command lines and remote tickets say it.
         *
         * @throws IllegalArgumentException if it is none of them
         */
        static Start parse(String start) {
            switch (start.toLowerCase(Locale.ROOT)) {
                case "earliest":
                    return EARLIEST;
                case "latest":
                    return LATEST;
                default:
                    try {
                        return at(Long.parseLong(start));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("a stream's start is earliest, latest or a sequence number"
                                + " (0 or more), got '" + start + "'", e);
                    }
            }
        }

        record Earliest() implements Start {}

        record Latest() implements Start {}

        record At(long seq) implements Start {}
    }

    /**
     * A segment this reader holds: the store reference goes when the reader has left it and every batch of it is
     * closed. The batches share one Arrow allocation over the segment, made when the first of them is loaded and
     * gone with the last; the reader itself holds none, so a reader never closed holds no allocator memory.
     */
    private static final class Segment {
        final long number;
        final MemorySegment data;
        private final ObjectBuffer buffer;
        private final long address;
        private ArrowBuf batches;
        private boolean left;
        Schema schema;

        Segment(long number, ObjectBuffer buffer) {
            this.number = number;
            this.buffer = buffer;
            this.data = buffer.data();
            this.address = buffer.pin();
        }

        /** The allocation for one more batch (a reference the batch's reader owns). */
        synchronized ArrowBuf forBatch(BufferAllocator allocator) {
            if (batches == null) {
                batches = allocator.wrapForeignAllocation(new ForeignAllocation(data.byteSize(), address) {
                    @Override
                    protected void release0() {
                        released();
                    }
                });
            } else {
                batches.getReferenceManager().retain();
            }
            return batches;
        }

        /** The last batch over the segment was closed. */
        private synchronized void released() {
            batches = null;
            if (left) {
                buffer.close();
            }
        }

        /**
         * The reader moved past the segment, or was closed. With {@code inBackground}, the store reference goes on
         * another thread: giving a buffer back ends its views (a handshake with every thread of the JVM, closing a
         * shared arena), which takes milliseconds on a busy machine, and a reader moving on to the next segment must
         * not wait for it between two batches.
         */
        synchronized void leave(boolean inBackground) {
            left = true;
            if (batches == null) {
                if (inBackground) {
                    BACKGROUND.execute(() -> {
                        try {
                            buffer.close();
                        } catch (RuntimeException e) {
                            // the connection is gone, and with it the store's count of this reference
                        }
                    });
                } else {
                    buffer.close();
                }
            }
        }

        long firstSeq() {
            return data.get(StreamLog.LONG, StreamFormat.FIRST_SEQ);
        }
    }

    /**
     * Gives back segments that readers moved past (see {@link Segment#leave(boolean)}) and counts readers (see
     * {@link #countReaders()}), off the readers' threads.
     */
    private static final Executor BACKGROUND = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "quiver-stream-reader-background");
        t.setDaemon(true);
        return t;
    });

    private final ArrowStore arrow;
    private final StreamIds ids;
    private final Waiting waiting;
    /** The segment read now, or null while waiting for segment {@link #number} to appear. */
    private Segment segment;
    private long number;
    /** Where the next frame starts in {@link #segment}. */
    private long offset;
    private long next;
    /** The append time of the last batch handed out, and the writer's recent interval between appends (averaged). */
    private long lastAppendNanos;
    private long appendGapNanos = Long.MAX_VALUE;
    /** Whether the stream's live readers leave the writer a CPU (counted in the background), and when counted. */
    private volatile boolean cpuToSpare;
    private long readersCountedAt;
    private StreamEvent.End end;
    private boolean closed;
    /** Where others see this reader's position; null only while opening. */
    private StreamCursor cursor;
    /**
     * The get of the segment after {@link #segment}, sent when this reader caught up with the writer: the store
     * answers when the writer publishes that segment, so that the move to it at NEXT costs no round trip. A round trip
     * between two batches waits for the store's and this process's threads to be scheduled: milliseconds on a
     * machine whose CPUs are busy. Only a reader at the head sends it: the answer holds that segment, as the reader
     * holds the one it reads, and a reader far behind should hold no more than that.
     */
    private PendingGet ahead;

    private StreamReader(ArrowStore arrow, StreamIds ids, Waiting waiting) {
        this.arrow = arrow;
        this.ids = ids;
        this.waiting = waiting;
    }

    /** Opens a reader of stream {@code name} that waits {@link Waiting#ADAPTIVE}ly; the stream need not exist yet. */
    public static StreamReader open(ArrowStore arrow, String name, Start start) {
        return open(arrow, name, start, Waiting.ADAPTIVE);
    }

    /** Opens a reader of stream {@code name} that waits as {@code waiting} says; the stream need not exist yet. */
    public static StreamReader open(ArrowStore arrow, String name, Start start, Waiting waiting) {
        Objects.requireNonNull(waiting, "waiting");
        StreamReader r = new StreamReader(arrow, new StreamIds(name), waiting);
        try {
            switch (start) {
                case Start.Earliest e -> r.startAtFirst();
                case Start.Latest l -> r.startAtLatest();
                case Start.At at -> r.startAt(at.seq());
            }
            r.cursor = StreamCursor.open(arrow.client(), r.ids, r.next, r.number, r.startOffset());
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    private void startAtFirst() {
        for (ObjectInfo o : arrow.client().range(ids.first(), ids.lock(), 8, false)) {
            if (enter(ids.numberOf(o.id()))) {
                next = segment.firstSeq();
                return;
            }
        }
        number = 0; // nothing yet: wait for the first segment
    }

    private void startAtLatest() {
        for (ObjectInfo o : arrow.client().range(ids.first(), ids.lock(), 8, true)) {
            if (enter(ids.numberOf(o.id()))) {
                next = segment.firstSeq();
                // the last published batch, or after the end of what is published
                long published = StreamLog.published(segment.data);
                long lastBatch = -1;
                for (long at = StreamFormat.FRAMES; at < StreamFormat.FRAMES + published; ) {
                    StreamLog.Frame f = frame(at, published);
                    if (f.type() == StreamLog.BATCH) {
                        lastBatch = f.seq();
                    } else if (f.type() == StreamLog.END) {
                        lastBatch = -1; // ended: the latest place is the end
                        next = f.seq();
                    }
                    at = f.next();
                }
                if (lastBatch >= 0) {
                    next = lastBatch;
                }
                return;
            }
        }
        number = 0;
    }

    /** Positions at {@code seq}: the newest segment starting at or before it. */
    private void startAt(long seq) {
        List<ObjectInfo> segments = arrow.client().range(ids.first(), ids.lock(), Integer.MAX_VALUE, true);
        for (ObjectInfo o : segments) {
            if (!enter(ids.numberOf(o.id()))) {
                continue;
            }
            if (segment.firstSeq() <= seq || o == segments.getLast()) {
                next = seq; // batches before it are skipped; one before the oldest kept is a Lost
                return;
            }
            leave();
        }
        number = 0;
        next = seq;
    }

    /** The stream's name. */
    public String name() {
        return ids.name();
    }

    /** The sequence number of the batch this reader waits for next. */
    public long position() {
        return next;
    }

    /**
     * The sequence number of the newest batch published so far, or -1 if the stream keeps none. For monitoring how
     * far behind a reader is; one or two round trips.
     */
    public long newestSeq() {
        return Streams.newestSeq(arrow.client(), ids);
    }

    /**
     * The next event: the next batch (close it when done), the batches lost since the last event, the end of the
     * stream, or a timeout.
     *
     * @param timeout how long to wait for the next batch
     */
    public StreamEvent next(Duration timeout) {
        if (closed) {
            throw new IllegalStateException("the reader of stream '" + ids.name() + "' is closed");
        }
        StreamEvent e = end != null ? end : follow(timeout);
        cursor.moved(next, number, cursorOffset());
        if (e instanceof StreamEvent.Lost lost) {
            cursor.lost(lost.count());
        }
        return e;
    }

    /**
     * Where the reader starts, for its cursor: past the frames before {@link #next} that its first call skips (one look
     * at the published frames when it opens), so that its lag in bytes is right before it reads anything.
     */
    private long startOffset() {
        if (segment == null) {
            return StreamFormat.FRAMES;
        }
        long published = StreamLog.published(segment.data);
        long at = offset;
        while (at < StreamFormat.FRAMES + published) {
            StreamLog.Frame f = frame(at, published);
            if (f.type() != StreamLog.SCHEMA && (f.type() != StreamLog.BATCH || f.seq() >= next)) {
                break;
            }
            at = f.next();
        }
        return at;
    }

    /**
     * Where the next frame starts, as the cursor says it: the start of segment {@link #number} while waiting for it;
     * after the end, past the END frame.
     */
    private long cursorOffset() {
        return segment == null && end == null ? StreamFormat.FRAMES : offset;
    }

    private StreamEvent follow(Duration timeout) {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            if (segment == null) {
                StreamEvent e = findSegment(deadline);
                if (e != null) {
                    return e;
                }
                continue;
            }
            long published = StreamLog.published(segment.data);
            if (offset < StreamFormat.FRAMES + published) {
                StreamEvent e = frameEvent(frame(offset, published));
                if (e != null) {
                    return e;
                }
                continue;
            }
            StreamEvent e = await(published, deadline);
            if (e != null) {
                return e;
            }
        }
    }

    /** Acts on one frame; returns the event it makes, or null to go on reading. */
    private StreamEvent frameEvent(StreamLog.Frame f) {
        offset = f.next();
        switch (f.type()) {
            case StreamLog.SCHEMA -> {
                readSchema(f);
                if (f.seq() > next) { // the segment starts later than expected: what lay between is gone
                    StreamEvent.Lost lost = new StreamEvent.Lost(next, f.seq());
                    next = f.seq();
                    return lost;
                }
                return null;
            }
            case StreamLog.BATCH -> {
                if (f.seq() < next) {
                    return null; // before the start asked for
                }
                if (f.seq() > next) {
                    throw new ArrowFormatException("stream '" + ids.name() + "' skips from batch " + next + " to "
                            + f.seq() + " inside segment " + segment.number + ": not a valid log");
                }
                next = f.seq() + 1;
                noteAppend(f.appendNanos());
                return new StreamEvent.Batch(f.seq(), load(f), f.bodyLength(), f.appendNanos());
            }
            case StreamLog.NEXT -> {
                leaveForNext();
                number++;
                return null;
            }
            default -> { // END
                end = new StreamEvent.End(f.seq());
                leave();
                return end;
            }
        }
    }

    private StoredTable load(StreamLog.Frame f) {
        if (segment.schema == null) {
            throw new ArrowFormatException("stream '" + ids.name() + "': segment " + segment.number
                    + " has a batch before its schema");
        }
        String what = "batch " + f.seq() + " of stream '" + ids.name() + "'";
        StoreArrowReader r = StoreArrowReader.overFrame(segment.forBatch(arrow.allocator()), segment.data, f.body(),
                f.bodyLength(), segment.schema, arrow.allocator(), what);
        return StoredTable.loadOne(ids.segment(segment.number), r, what);
    }

    private void readSchema(StreamLog.Frame f) {
        if (segment.schema == null) {
            segment.schema = StoreArrowReader.readSchema(segment.data.asSlice(f.body(), f.bodyLength()),
                    "the schema of stream '" + ids.name() + "'");
        }
    }

    /** Follows the writer's pace: the moving average of the intervals between the append times of batches. */
    private void noteAppend(long appendNanos) {
        long gap = appendNanos - lastAppendNanos;
        if (lastAppendNanos != 0 && gap >= 0) {
            appendGapNanos = appendGapNanos == Long.MAX_VALUE ? gap : appendGapNanos + (gap - appendGapNanos) / 8;
        }
        lastAppendNanos = appendNanos;
    }

    /**
     * Caught up with the writer: spins briefly, stays awake (yielding) a while longer if the writer appends often,
     * then sleeps on the segment's wake word in slices. After a slice with nothing new, checks whether the writer is
     * gone (its segment sealed without NEXT or END), and whether a new writer continued in a later segment.
     */
    private StreamEvent await(long published, long deadline) {
        if (ahead == null) {
            ahead = arrow.client().getLater(ids.segment(number + 1), AHEAD_MILLIS);
        }
        long now = System.nanoTime();
        long start = now;
        long awake = waiting == Waiting.ADAPTIVE && appendGapNanos <= AWAKE_GAP_NANOS && cpuToSpare
                ? Math.max(SPIN_NANOS, 2 * appendGapNanos) : SPIN_NANOS;
        long awakeUntil = Math.min(deadline, now + awake);
        while (now < awakeUntil) {
            if (StreamLog.published(segment.data) != published) {
                return null;
            }
            if (now - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // lets the writer (or another reader) have this CPU
            }
            now = System.nanoTime();
        }
        if (now >= deadline) {
            return timeout();
        }
        long slice = Math.min(SLICE_NANOS, deadline - now);
        StreamLog.sleep(segment.data, published, slice);
        if (StreamLog.published(segment.data) != published) {
            return null;
        }
        if (System.nanoTime() - now >= slice) { // a whole slice with nothing new
            appendGapNanos = Long.MAX_VALUE; // the writer paused: sleep at once next time, until it is busy again
            if (moveOnIfAbandoned()) {
                return null;
            }
            if (System.nanoTime() >= deadline) {
                return timeout();
            }
        }
        return null;
    }

    /** If the writer left this segment without NEXT (it died, or closed) and a later segment exists, moves there. */
    private boolean moveOnIfAbandoned() {
        List<ObjectInfo> here = arrow.client().range(ids.segment(segment.number), ids.lock(), 2, false);
        boolean sealed = !here.isEmpty() && here.getFirst().state() == ObjectState.SEALED;
        if (sealed && StreamLog.published(segment.data) == offset - StreamFormat.FRAMES && here.size() > 1) {
            leave();
            number = ids.numberOf(here.get(1).id());
            return true;
        }
        return false;
    }

    /**
     * Waits for segment {@link #number} to be published (a get that the store wakes), or finds that it is gone and
     * a later one exists (a Lost, or a new writer's segment after a crash).
     */
    private StreamEvent findSegment(long deadline) {
        QuiverClient client = arrow.client();
        if (ahead != null && ahead.id().equals(ids.segment(number))) { // came by NEXT: answered already, normally
            PendingGet p = ahead;
            ahead = null;
            if (p.isAnsweredWithin(AHEAD_ANSWER_WAIT)) {
                Optional<ObjectBuffer> got = p.await();
                if (got.isPresent()) {
                    take(number, got.get());
                    return afterEnter();
                }
            } else {
                p.close();
            }
        }
        if (enter(number)) {
            return afterEnter();
        }
        List<ObjectInfo> later = client.range(ids.segment(number), ids.lock(), 1, false);
        if (!later.isEmpty() && ids.numberOf(later.getFirst().id()) > number) {
            if (enter(ids.numberOf(later.getFirst().id()))) {
                return afterEnter();
            }
            return null; // gone meanwhile: look again
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return timeout();
        }
        long wait = Math.max(1, Math.min(SLICE_NANOS, left) / 1_000_000);
        Optional<ObjectBuffer> got = client.get(ids.segment(number), wait);
        if (got.isPresent()) {
            take(number, got.get());
            return afterEnter();
        }
        return System.nanoTime() >= deadline ? timeout() : null;
    }

    /** Entered a segment while looking for {@link #next}: anything before its first batch is gone. */
    private StreamEvent afterEnter() {
        long first = segment.firstSeq();
        if (first > next) {
            StreamEvent.Lost lost = new StreamEvent.Lost(next, first);
            next = first;
            return lost;
        }
        return null;
    }

    /** Takes segment {@code n} if the store has it published; false if not. */
    private boolean enter(long n) {
        Optional<ObjectBuffer> got = arrow.client().get(ids.segment(n), QuiverClient.NO_WAIT);
        if (got.isEmpty()) {
            return false;
        }
        take(n, got.get());
        return true;
    }

    private void take(long n, ObjectBuffer buffer) {
        Segment s;
        try {
            StreamLog.checkHeader(buffer.data(), n, ids.name());
            s = new Segment(n, buffer);
        } catch (RuntimeException e) {
            buffer.close();
            throw e;
        }
        segment = s;
        number = n;
        offset = StreamFormat.FRAMES;
        countReaders();
        dropAhead();
    }

    /**
     * Counts the stream's live readers (their unsealed cursors, this one included), if not done in the last
     * {@link #READER_COUNT_NANOS}, at a segment this reader enters: the first time at once, later in the background,
     * so that the round trip never holds up a batch.
     */
    private void countReaders() {
        if (waiting != Waiting.ADAPTIVE) {
            return; // only an adaptive reader's waiting depends on the count
        }
        long now = System.nanoTime();
        if (readersCountedAt != 0 && now - readersCountedAt < READER_COUNT_NANOS) {
            return;
        }
        boolean first = readersCountedAt == 0;
        readersCountedAt = now;
        if (first) {
            cpuToSpare = liveReaders(cursor == null ? 1 : 0) < PROCESSORS; // opening: its own cursor comes next
        } else {
            BACKGROUND.execute(() -> {
                try {
                    cpuToSpare = liveReaders(0) < PROCESSORS;
                } catch (RuntimeException e) {
                    // the client was closed meanwhile: the last count stands
                }
            });
        }
    }

    private int liveReaders(int opening) {
        int live = opening;
        for (ObjectInfo o : arrow.client().range(ids.firstCursor(), ids.cursorEnd(), PROCESSORS + 8, false)) {
            if (o.state() != ObjectState.SEALED) { // a sealed cursor is a reader gone
                live++;
            }
        }
        return live;
    }

    private void dropAhead() {
        if (ahead != null) {
            ahead.close();
            ahead = null;
        }
    }

    /** Lets go of the current segment (its batches still open keep it). */
    private void leave() {
        dropAhead();
        if (segment != null) {
            segment.leave(false);
            segment = null;
        }
    }

    /** Moves on to the next segment: as {@link #leave()}, with the reference given back in the background. */
    private void leaveForNext() {
        segment.leave(true);
        segment = null;
    }

    private StreamLog.Frame frame(long at, long published) {
        return StreamLog.Frame.read(segment.data, at, published, ids.name());
    }

    /** A timeout, saying whether a writer is alive (one or two round trips). */
    private StreamEvent.Timeout timeout() {
        return new StreamEvent.Timeout(next, Streams.writerAlive(arrow.client(), ids));
    }

    /** Lets go of the segment this reader holds. Batches still open keep theirs. */
    @Override
    public void close() {
        if (!closed && cursor != null) {
            cursor.close();
        }
        closed = true;
        leave();
    }
}
