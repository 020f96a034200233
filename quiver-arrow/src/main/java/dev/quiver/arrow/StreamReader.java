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

        /** At a given sequence number (batches before it are not read; if it is gone, a Lost comes first). */
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
                return new StreamEvent.Timeout(next);
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
