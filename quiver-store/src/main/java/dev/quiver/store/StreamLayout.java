package dev.quiver.store;

import dev.quiver.protocol.StreamFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * What the store reads of the stream log format to report streams: the offsets are {@link StreamFormat}'s, shared with
 * quiver-arrow (docs/stream-log.md is the contract, which python/quiver/streams.py follows too).
 * The store takes part in no stream: it only reads segments' and readers' cursors' words for the metrics and the status
 * page. Objects are recognised by their metadata, {@code application/vnd.quiver.stream-log; stream="NAME"} for a
 * segment and {@code application/vnd.quiver.stream-cursor; stream="NAME"} for a reader's cursor.
 */
final class StreamLayout {
    private static final String SEGMENT_TYPE = StreamFormat.SEGMENT_MEDIA_TYPE;
    private static final String CURSOR_TYPE = StreamFormat.CURSOR_MEDIA_TYPE;
    /** Longer metadata is neither: a stream name has at most 200 characters, each escaped at most once. */
    static final int MAX_METADATA = CURSOR_TYPE.length() + 11 + 2 * 200 + 1;
    static final byte[] SEGMENT_MAGIC = StreamFormat.bytes(StreamFormat.SEGMENT_MAGIC);
    static final byte[] CURSOR_MAGIC = StreamFormat.bytes(StreamFormat.CURSOR_MAGIC);

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private StreamLayout() {}

    /** What an object of a stream is, by its metadata. */
    record Label(boolean cursor, String stream) {
        /** The label in {@code metadata}, or null if the object is not a stream's segment or cursor. */
        static Label parse(String metadata) {
            boolean cursor = metadata.startsWith(CURSOR_TYPE + "; stream=\"");
            if (!cursor && !metadata.startsWith(SEGMENT_TYPE + "; stream=\"")) {
                return null;
            }
            int from = metadata.indexOf('"') + 1;
            if (!metadata.endsWith("\"") || from >= metadata.length() - 1) {
                return null;
            }
            StringBuilder name = new StringBuilder();
            for (int i = from; i < metadata.length() - 1; i++) {
                char c = metadata.charAt(i);
                if (c == '\\' && i + 1 < metadata.length() - 1) {
                    c = metadata.charAt(++i);
                } else if (c == '"' || c == '\\' || c <= 0x20 || c >= 0x7F) {
                    return null; // not the quoting the format uses, or not a stream name's character
                }
                name.append(c);
            }
            return name.length() > 200 ? null : new Label(cursor, name.toString());
        }
    }

    /** Whether {@code data} (an object's data) starts with {@code magic} and holds at least {@code size} bytes. */
    static boolean has(MemorySegment data, byte[] magic, long size) {
        return data.byteSize() >= size && MemorySegment.mismatch(data, 0, magic.length, MemorySegment.ofArray(magic), 0,
                magic.length) < 0;
    }

    /** A plain little-endian word. */
    static long word(MemorySegment data, long offset) {
        return data.get(LONG, offset);
    }

    /** A word a client publishes with a release store (PUBLISHED, a cursor's NEXT), read with acquire semantics. */
    static long acquire(MemorySegment data, long offset) {
        return (long) WORD.getAcquire(data, offset);
    }
}
