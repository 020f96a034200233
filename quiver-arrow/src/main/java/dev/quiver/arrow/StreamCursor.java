package dev.quiver.arrow;

import static dev.quiver.protocol.StreamFormat.CURSOR_LOSSES;
import static dev.quiver.protocol.StreamFormat.CURSOR_LOST_BATCHES;
import static dev.quiver.protocol.StreamFormat.CURSOR_NEXT;
import static dev.quiver.protocol.StreamFormat.CURSOR_OFFSET;
import static dev.quiver.protocol.StreamFormat.CURSOR_PID;
import static dev.quiver.protocol.StreamFormat.CURSOR_SEGMENT;
import static dev.quiver.protocol.StreamFormat.CURSOR_SIZE;
import static dev.quiver.protocol.StreamFormat.CURSOR_STARTED;

import dev.quiver.client.ObjectExistsException;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.QuiverException;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.StreamFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A reader's position, where others can see it: a small published object of the store ({@link StreamIds#cursor})
 * that the reader updates in place after every event it hands out, so that {@link Streams}, {@code quiver streams}
 * and the store's metrics can tell who reads a stream and how far behind they are. docs/stream-log.md section 6 is
 * the layout:
 *
 * <pre>
 *   0 magic "QVRCUR01" | 8 reader pid | 16 start time (ns since the epoch) | 24..63 reserved
 *  64 NEXT: seq of the batch the reader waits for (release store, last of the three)
 *  72 SEGMENT: the segment it reads or waits for | 80 OFFSET: where its next frame starts in it (256: at the start)
 *  88 LOST_BATCHES: batches reported lost in total | 96 LOSSES: Lost events | 104..127 reserved
 * </pre>
 *
 * <p>Updating costs a few plain stores and no request. The reader seals and deletes its cursor when closed; the store
 * seals the cursor of a reader whose process died, so a sealed cursor means a reader that is gone.
 */
final class StreamCursor implements AutoCloseable {
    static final byte[] MAGIC = StreamFormat.bytes(StreamFormat.CURSOR_MAGIC);

    private static final VarHandle NEXT_WORD = StreamLog.LONG.varHandle();

    private final QuiverClient client;
    private final WritableObject object;
    private final MemorySegment data;
    private long lostBatches;
    private long losses;

    private StreamCursor(QuiverClient client, WritableObject object) {
        this.client = client;
        this.object = object;
        this.data = object.data();
    }

    /** Creates and publishes a cursor for a reader of {@code ids} at the given position. */
    static StreamCursor open(QuiverClient client, StreamIds ids, long next, long segment, long offset) {
        MemorySegment metadata = MemorySegment.ofArray(ids.cursorMetadata().getBytes(StandardCharsets.US_ASCII));
        for (int attempt = 0; ; attempt++) {
            long n = ThreadLocalRandom.current().nextLong();
            if (n == -1L) {
                continue; // the bound of the cursors' range, not a cursor
            }
            WritableObject o;
            try {
                o = client.create(ids.cursor(n), CURSOR_SIZE, metadata);
            } catch (ObjectExistsException e) {
                if (attempt < 3) {
                    continue; // 64 random bits taken: a rare collision, draw again
                }
                throw e;
            }
            try {
                MemorySegment d = o.data();
                MemorySegment.copy(MAGIC, 0, d, ValueLayout.JAVA_BYTE, 0, MAGIC.length);
                d.set(StreamLog.LONG, CURSOR_PID, ProcessHandle.current().pid());
                d.set(StreamLog.LONG, CURSOR_STARTED, StreamLog.epochNanos());
                StreamCursor c = new StreamCursor(client, o);
                c.moved(next, segment, offset);
                o.publish();
                return c;
            } catch (RuntimeException e) {
                o.close();
                throw e;
            }
        }
    }

    /** The reader's position after an event: plain stores, NEXT last with release semantics. */
    void moved(long next, long segment, long offset) {
        data.set(StreamLog.LONG, CURSOR_SEGMENT, segment);
        data.set(StreamLog.LONG, CURSOR_OFFSET, offset);
        NEXT_WORD.setRelease(data, CURSOR_NEXT, next);
    }

    /** The reader reported {@code batches} lost. */
    void lost(long batches) {
        lostBatches += batches;
        losses++;
        data.set(StreamLog.LONG, CURSOR_LOST_BATCHES, lostBatches);
        data.set(StreamLog.LONG, CURSOR_LOSSES, losses);
    }

    /** Seals and deletes the cursor: the reader is gone. Quietly does what it can if the client is closed. */
    @Override
    public void close() {
        try {
            object.seal();
            client.delete(List.of(object.id()));
        } catch (QuiverException | IllegalStateException e) {
            // the client is closed or lost: the store seals the cursor itself, and listings delete it
        } finally {
            object.close();
        }
    }
}
