package dev.quiver.arrow;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.StreamFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * How a stream names its objects: the first 12 bytes of SHA-1("quiver.stream/" + name), then a segment number as 8
 * big-endian bytes. Ids of one stream are contiguous and sorted by segment number, so the store's {@code range}
 * finds a stream's first and last segment in one round trip. Number 2⁶⁴−1 (all ones) is not a segment: it names the
 * writer's lock. docs/stream-log.md has the whole format.
 *
 * <p>The name cannot be read back from an id (it is hashed), so each segment also carries it in its metadata, quoted
 * as RFC 2045 quotes (names may hold {@code ;} and {@code "}):
 * <pre>
 * application/vnd.quiver.stream-log; stream="NAME"
 * </pre>
 * which is how {@link Streams#list} finds streams by name.
 *
 * <p>Readers' cursors ({@link StreamCursor}) have ids of their own: the first 12 bytes of
 * SHA-1("quiver.stream-cursor/" + name), then 8 random bytes. A prefix apart from the segments' keeps them out of the
 * segment ranges that writers and readers (of any version) look at, and one {@code range} over it finds a stream's
 * readers. Their metadata is {@code application/vnd.quiver.stream-cursor; stream="NAME"}.
 */
final class StreamIds {
    private static final int PREFIX = 12;
    /** What a segment's metadata starts with. */
    private static final String METADATA_PREFIX = StreamLog.MEDIA_TYPE + "; stream=\"";
    /** What a reader's cursor's metadata starts with. */
    private static final String CURSOR_METADATA_PREFIX = StreamFormat.CURSOR_MEDIA_TYPE + "; stream=\"";
    /** Longest metadata of a segment: a 200-character name, every character escaped. */
    static final int MAX_METADATA = METADATA_PREFIX.length() + 2 * 200 + 1;
    /** Shortest: a one-character name. */
    static final int MIN_METADATA = METADATA_PREFIX.length() + 2;

    /** The highest segment number, plus one: the lock's. */
    static final long LOCK = -1L;

    private final String name;
    private final byte[] prefix;
    private final byte[] cursorPrefix;

    StreamIds(String name) {
        if (name.isEmpty() || name.length() > 200 || !name.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
            throw new IllegalArgumentException("a stream name is 1 to 200 printable ASCII characters without "
                    + "spaces, got '" + name + "'");
        }
        this.name = name;
        this.prefix = prefixOf("quiver.stream/" + name);
        this.cursorPrefix = prefixOf("quiver.stream-cursor/" + name);
    }

    private static byte[] prefixOf(String text) {
        try {
            return Arrays.copyOf(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)),
                    PREFIX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    String name() {
        return name;
    }

    /** The first 12 bytes of every id of this stream. */
    byte[] prefix() {
        return prefix.clone();
    }

    /** The metadata of this stream's segments. */
    String segmentMetadata() {
        return METADATA_PREFIX + quoted();
    }

    /** The metadata of this stream's readers' cursors. */
    String cursorMetadata() {
        return CURSOR_METADATA_PREFIX + quoted();
    }

    private String quoted() {
        return name.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** The stream name in a segment's metadata, or null if the metadata is not a named segment's. */
    static String nameIn(String metadata) {
        if (!metadata.startsWith(METADATA_PREFIX) || !metadata.endsWith("\"")) {
            return null;
        }
        StringBuilder name = new StringBuilder();
        for (int i = METADATA_PREFIX.length(); i < metadata.length() - 1; i++) {
            char c = metadata.charAt(i);
            if (c == '\\' && i + 1 < metadata.length() - 1) {
                c = metadata.charAt(++i);
            } else if (c == '"' || c == '\\') {
                return null; // an unescaped quote inside, or a lone backslash at the end: not ours
            }
            name.append(c);
        }
        return name.toString();
    }

    /** The id of segment {@code n} (an unsigned number). */
    ObjectId segment(long seq) {
        return ObjectId.of(ByteBuffer.allocate(ObjectId.SIZE).put(prefix).putLong(seq).array());
    }

    ObjectId first() {
        return segment(0);
    }

    /** Exclusive upper bound of segment ids, and the writer lock's id. */
    ObjectId lock() {
        return segment(LOCK);
    }

    /** The id of the reader's cursor {@code n} (any number but 2⁶⁴−1, which bounds the range of cursors). */
    ObjectId cursor(long n) {
        return ObjectId.of(ByteBuffer.allocate(ObjectId.SIZE).put(cursorPrefix).putLong(n).array());
    }

    /** The lowest cursor id of this stream. */
    ObjectId firstCursor() {
        return cursor(0);
    }

    /** Exclusive upper bound of cursor ids. */
    ObjectId cursorEnd() {
        return cursor(-1L);
    }

    /** The segment number in an id of this stream. */
    long numberOf(ObjectId id) {
        byte[] b = id.toBytes();
        if (!Arrays.equals(b, 0, PREFIX, prefix, 0, PREFIX)) {
            throw new IllegalArgumentException(id + " is not an object of stream " + name);
        }
        return ByteBuffer.wrap(b).getLong(PREFIX);
    }
}
