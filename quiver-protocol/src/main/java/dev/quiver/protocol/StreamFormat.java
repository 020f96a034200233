package dev.quiver.protocol;

import java.nio.charset.StandardCharsets;

/**
 * The stream log's byte layout (docs/stream-log.md), shared by the clients that write and read streams (quiver-arrow)
 * and the store, which reads segments' and readers' cursors' words to report streams. Offsets are from the start of
 * an object's data; words are little-endian.
 */
public final class StreamFormat {
    /** A segment's metadata starts with this, then {@code ; stream="NAME"}. */
    public static final String SEGMENT_MEDIA_TYPE = "application/vnd.quiver.stream-log";
    /** A reader's cursor's metadata starts with this, then {@code ; stream="NAME"}. */
    public static final String CURSOR_MEDIA_TYPE = "application/vnd.quiver.stream-cursor";

    // A segment's header.
    public static final String SEGMENT_MAGIC = "QVRLOG01";
    public static final long SEGMENT_NUMBER = 8;
    public static final long FIRST_SEQ = 16;
    public static final long CAPACITY = 24;
    public static final long WRITER_PID = 32;
    public static final long FLAGS = 40;
    /** Flag: the writer keeps {@link #NEXT_SEQ} (writers before it left the word zero). */
    public static final long NEXT_SEQ_KEPT = 1;
    public static final long PUBLISHED = 64;
    public static final long NEXT_SEQ = 72;
    public static final long WAKE = 128;
    /** Where the first frame starts, and the smallest segment. */
    public static final long FRAMES = 256;

    // A reader's cursor.
    public static final String CURSOR_MAGIC = "QVRCUR01";
    public static final long CURSOR_PID = 8;
    public static final long CURSOR_STARTED = 16;
    public static final long CURSOR_NEXT = 64;
    public static final long CURSOR_SEGMENT = 72;
    public static final long CURSOR_OFFSET = 80;
    public static final long CURSOR_LOST_BATCHES = 88;
    public static final long CURSOR_LOSSES = 96;
    public static final long CURSOR_SIZE = 128;

    private StreamFormat() {}

    /** A magic word as the bytes it is stored as. */
    public static byte[] bytes(String magic) {
        return magic.getBytes(StandardCharsets.US_ASCII);
    }
}
