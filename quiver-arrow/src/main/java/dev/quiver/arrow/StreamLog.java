package dev.quiver.arrow;

import static dev.quiver.protocol.StreamFormat.CAPACITY;
import static dev.quiver.protocol.StreamFormat.FIRST_SEQ;
import static dev.quiver.protocol.StreamFormat.FLAGS;
import static dev.quiver.protocol.StreamFormat.FRAMES;
import static dev.quiver.protocol.StreamFormat.NEXT_SEQ;
import static dev.quiver.protocol.StreamFormat.NEXT_SEQ_KEPT;
import static dev.quiver.protocol.StreamFormat.PUBLISHED;
import static dev.quiver.protocol.StreamFormat.SEGMENT_NUMBER;
import static dev.quiver.protocol.StreamFormat.WAKE;
import static dev.quiver.protocol.StreamFormat.WRITER_PID;

import dev.quiver.client.Futex;
import dev.quiver.protocol.StreamFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The byte layout of a stream log's segments (docs/stream-log.md is the contract every client follows):
 *
 * <pre>
 *   0 magic "QVRLOG01" | 8 segment number | 16 first seq | 24 capacity | 32 writer pid | 40 flags | 48..63 reserved
 *  64 PUBLISHED (bytes of complete frames after FRAMES; release store, acquire load)
 *  72 NEXT_SEQ (the seq the next batch gets, as of PUBLISHED; if flags has NEXT_SEQ_KEPT) | 80..127 reserved
 * 128 WAKE (futex word, +1 after each publish) | 132..255 reserved
 * 256 frames: [length int | type int | seq long | append time long | body length int | reserved int | body, padding]
 * </pre>
 */
final class StreamLog {
    static final byte[] MAGIC = StreamFormat.bytes(StreamFormat.SEGMENT_MAGIC);

    static final int FRAME_HEADER = 32;
    static final int SCHEMA = 1;
    static final int BATCH = 2;
    static final int NEXT = 3;
    static final int END = 4;

    /** The media type in a segment's metadata, before {@code ; stream="NAME"}. */
    static final String MEDIA_TYPE = StreamFormat.SEGMENT_MEDIA_TYPE;

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle PUBLISHED_WORD = LONG.varHandle();
    private static final VarHandle WAKE_WORD = INT.varHandle();

    private StreamLog() {}

    /** Frames' bytes round up to 8. */
    static long align(long n) {
        return (n + 7) & ~7L;
    }

    /** The published frame bytes of a segment, read with acquire semantics. */
    static long published(MemorySegment segment) {
        return (long) PUBLISHED_WORD.getAcquire(segment, PUBLISHED);
    }

    /**
     * Publishes frames up to {@code bytes}, after which the next batch gets {@code nextSeq} (what monitors read as the
     * writer's position), then wakes every reader asleep on the segment.
     */
    static void publish(MemorySegment segment, long bytes, long nextSeq) {
        segment.set(LONG, NEXT_SEQ, nextSeq); // ordered before PUBLISHED by its release store
        PUBLISHED_WORD.setRelease(segment, PUBLISHED, bytes);
        // one writer: a plain increment published with release, no locked read-modify-write per batch
        WAKE_WORD.setRelease(segment, WAKE, (int) WAKE_WORD.get(segment, WAKE) + 1);
        Futex.wake(segment, WAKE, Integer.MAX_VALUE);
    }

    static int wakeWord(MemorySegment segment) {
        return (int) WAKE_WORD.getAcquire(segment, WAKE);
    }

    /**
     * Sleeps until the writer publishes past {@code position} (or another wake-up), at most {@code nanos}: reads the
     * wake word, re-checks, then waits on it, so a publish between the check and the wait is never slept through.
     */
    static void sleep(MemorySegment segment, long position, long nanos) {
        int word = wakeWord(segment);
        if (published(segment) == position) {
            Futex.await(segment, WAKE, word, nanos);
        }
    }

    static void writeHeader(MemorySegment segment, long number, long firstSeq) {
        MemorySegment.copy(MAGIC, 0, segment, ValueLayout.JAVA_BYTE, 0, MAGIC.length);
        segment.set(LONG, SEGMENT_NUMBER, number);
        segment.set(LONG, FIRST_SEQ, firstSeq);
        segment.set(LONG, CAPACITY, segment.byteSize());
        segment.set(LONG, WRITER_PID, ProcessHandle.current().pid());
        segment.set(LONG, FLAGS, NEXT_SEQ_KEPT);
        segment.set(LONG, NEXT_SEQ, firstSeq);
    }

    /** Writes a frame's header at {@code at} (the body, {@code bodyLength} bytes, follows it); returns its length. */
    static long writeFrameHeader(MemorySegment segment, long at, int type, long seq, long bodyLength) {
        long length = align(FRAME_HEADER + bodyLength);
        segment.set(INT, at, (int) length);
        segment.set(INT, at + 4, type);
        segment.set(LONG, at + 8, seq);
        segment.set(LONG, at + 16, epochNanos());
        segment.set(INT, at + 24, (int) bodyLength);
        segment.set(INT, at + 28, 0);
        return length;
    }

    static long epochNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /**
     * Checks a segment's header against what its id says; throws {@link ArrowFormatException} if it is not one
     * (a foreign object under a stream's id, or a log of another version).
     */
    static void checkHeader(MemorySegment segment, long number, String stream) {
        boolean ok = segment.byteSize() >= FRAMES + FRAME_HEADER
                && MemorySegment.mismatch(segment, 0, MAGIC.length, MemorySegment.ofArray(MAGIC), 0, MAGIC.length) < 0
                && segment.get(LONG, SEGMENT_NUMBER) == number && segment.get(LONG, CAPACITY) == segment.byteSize();
        if (!ok) {
            throw new ArrowFormatException("object " + number + " of stream '" + stream + "' is not a stream log "
                    + "segment of version 1 (docs/stream-log.md): was it written by another program, or an older "
                    + "Quiver? Delete the stream (quiver streams rm " + stream + ") or use another name");
        }
    }

    /** One frame's header, read from a segment (below PUBLISHED, so complete), checked against the segment. */
    record Frame(long at, int length, int type, long seq, long appendNanos, int bodyLength) {
        static Frame read(MemorySegment segment, long at, long published, String stream) {
            long end = FRAMES + published;
            if (at + FRAME_HEADER > end) {
                throw bad(stream, at, "a frame header runs past the published bytes");
            }
            int length = segment.get(INT, at);
            int type = segment.get(INT, at + 4);
            int bodyLength = segment.get(INT, at + 24);
            if (length < FRAME_HEADER || (length & 7) != 0 || at + length > end || bodyLength < 0
                    || FRAME_HEADER + (long) bodyLength > length || type < SCHEMA || type > END) {
                throw bad(stream, at, "frame of length " + length + ", type " + type + ", body " + bodyLength);
            }
            return new Frame(at, length, type, segment.get(LONG, at + 8), segment.get(LONG, at + 16), bodyLength);
        }

        long body() {
            return at + FRAME_HEADER;
        }

        long next() {
            return at + length;
        }

        private static ArrowFormatException bad(String stream, long at, String what) {
            return new ArrowFormatException("stream '" + stream + "': invalid log frame at offset " + at + ": "
                    + what);
        }
    }
}
