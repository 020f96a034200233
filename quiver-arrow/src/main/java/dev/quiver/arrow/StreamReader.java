package dev.quiver.arrow;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Reads a stream's batches in order, each zero-copy, with a position of its own: readers are independent of each
 * other and of the writer. {@link #next(Duration)} blocks in the store until the next batch is sealed (the seal wakes
 * it: no polling) or the timeout passes, and tells apart a batch, lost batches, the end of the stream and a timeout.
 *
 * <p>Holds nothing in the store between calls (each batch is released by closing it). Not thread-safe: one
 * reader per thread.
 */
public final class StreamReader {

    /** Where a new reader starts. */
    public sealed interface Start {
        /** At the oldest batch still kept (or at 0 if none was written yet). */
        Start EARLIEST = new Earliest();
        /** At the newest batch sealed so far (or at 0 if none was written yet). */
        Start LATEST = new Latest();

        /**
         * At a given sequence number (batches before it are not read; if it is gone, a Lost comes first; beyond the
         * end of an ended stream, the End comes after the first timeout).
         */
        static Start at(long seq) {
            if (seq < 0) {
                throw new IllegalArgumentException("sequence numbers start at 0, got " + seq);
            }
            return new At(seq);
        }

        record Earliest() implements Start {}

        record Latest() implements Start {}

        record At(long seq) implements Start {}
    }

    private final ArrowStore arrow;
    private final StreamIds ids;
    private long next;
    private StreamEvent.End end;

    private StreamReader(ArrowStore arrow, StreamIds ids, long next) {
        this.arrow = arrow;
        this.ids = ids;
        this.next = next;
    }

    /** Opens a reader of stream {@code name}; the stream need not exist yet. */
    public static StreamReader open(ArrowStore arrow, String name, Start start) {
        StreamIds ids = new StreamIds(name);
        long next = switch (start) {
            case Start.At at -> at.seq();
            case Start.Earliest e -> firstSealed(arrow.client(), ids, false).orElse(0L);
            case Start.Latest l -> firstSealed(arrow.client(), ids, true).orElse(0L);
        };
        return new StreamReader(arrow, ids, next);
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
     * The sequence number of the newest batch sealed so far (an end marker is not a batch), or -1 if the stream
     * keeps none. For monitoring how far behind a reader is; one or two round trips.
     */
    public long newestSeq() {
        QuiverClient client = arrow.client();
        for (ObjectInfo o : client.range(ids.first(), ids.lock(), 8, true)) {
            if (o.state() == ObjectState.SEALED) {
                long seq = ids.seqOf(o.id());
                return isEndMarker(client, o) ? seq - 1 : seq;
            }
        }
        return -1;
    }

    /**
     * What the store records of batch {@code seq} (its size, when it was created and how long it took to seal),
     * while it is kept and sealed. One round trip.
     */
    public Optional<ObjectInfo> info(long seq) {
        if (seq < 0) {
            throw new IllegalArgumentException("sequence numbers start at 0, got " + seq);
        }
        return arrow.client().range(ids.batch(seq), ids.batch(seq + 1), 1, false).stream()
                .filter(o -> o.state() == ObjectState.SEALED).findFirst();
    }

    /**
     * The next event: the next batch (close it when done), the batches lost since the last event, the end of the
     * stream, or a timeout.
     *
     * @param timeout how long to wait for the next batch to be sealed
     */
    public StreamEvent next(Duration timeout) {
        if (end != null) {
            return end;
        }
        QuiverClient client = arrow.client();
        Optional<ObjectBuffer> got = client.get(ids.batch(next), QuiverClient.NO_WAIT);
        if (got.isEmpty()) {
            // Not sealed: not written yet, being written, or already gone. If a later batch exists, the writer has
            // moved past this one, so it is gone: say exactly which ones.
            List<ObjectInfo> later = client.range(ids.batch(next), ids.lock(), 1, false);
            if (!later.isEmpty() && ids.seqOf(later.getFirst().id()) > next) {
                StreamEvent.Lost lost = new StreamEvent.Lost(next, ids.seqOf(later.getFirst().id()));
                next = lost.toSeq();
                return lost;
            }
            got = client.get(ids.batch(next), Math.max(1, timeout.toMillis()));
            if (got.isEmpty()) {
                return afterTimeout(client);
            }
        }
        ObjectBuffer b = got.get();
        if (StreamWriter.isEnd(b)) {
            try (b) {
                end = new StreamEvent.End(b.data().get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(
                        ByteOrder.LITTLE_ENDIAN), 0));
            }
            return end;
        }
        long seq = next++;
        return new StreamEvent.Batch(seq, StoredTable.load(ids.batch(seq), StoreArrowReader.open(b, arrow.allocator()),
                arrow.allocator()));
    }

    /**
     * Nothing was sealed at {@code next} in time. Usually the writer has simply not got there yet: a timeout. But
     * the batch may have been sealed and removed between the check above and the wait (a reader descheduled for a
     * moment, a short retention): then a later batch exists and it is a loss. And a reader placed beyond the end
     * of an ended stream would wait forever: it sees the end.
     */
    private StreamEvent afterTimeout(QuiverClient client) {
        List<ObjectInfo> later = client.range(ids.batch(next), ids.lock(), 1, false);
        if (!later.isEmpty()) {
            long seq = ids.seqOf(later.getFirst().id());
            if (seq > next) {
                StreamEvent.Lost lost = new StreamEvent.Lost(next, seq);
                next = seq;
                return lost;
            }
            return new StreamEvent.Timeout(next);
        }
        List<ObjectInfo> before = client.range(ids.first(), ids.batch(next), 1, true);
        if (!before.isEmpty() && isEndMarker(client, before.getFirst())) {
            end = new StreamEvent.End(ids.seqOf(before.getFirst().id()));
            return end;
        }
        return new StreamEvent.Timeout(next);
    }

    /** Whether a listed object is the stream's end marker (8 bytes of data; an Arrow IPC stream is longer). */
    static boolean isEndMarker(QuiverClient client, ObjectInfo o) {
        return o.state() == ObjectState.SEALED && o.dataSize() == Long.BYTES
                && o.metadataSize() == StreamWriter.END_MEDIA_TYPE.length() && StreamWriter.isEnd(client, o.id());
    }

    /** The sequence number of the first (or last) sealed batch, if any. */
    private static Optional<Long> firstSealed(QuiverClient client, StreamIds ids, boolean last) {
        // Only a batch being written (at most one) or gone can be unsealed: a few entries are plenty.
        for (ObjectInfo o : client.range(ids.first(), ids.lock(), 8, last)) {
            if (o.state() == ObjectState.SEALED) {
                return Optional.of(ids.seqOf(o.id()));
            }
        }
        return Optional.empty();
    }
}
