package dev.quiver.arrow;

import dev.quiver.protocol.ObjectId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * How a stream names its objects: the first 12 bytes of SHA-1("quiver.stream/" + name), then the sequence number
 * as 8 big-endian bytes. Ids of one stream are contiguous and sorted by sequence number, so the store's
 * {@code range} finds a stream's first and last batch in one round trip. Sequence number 2⁶⁴−1 (all ones) is not a
 * batch: it names the writer's lock.
 */
final class StreamIds {
    private static final int PREFIX = 12;
    /** The highest sequence number a batch can have, plus one: the lock's. */
    static final long LOCK = -1L;

    private final String name;
    private final byte[] prefix;

    StreamIds(String name) {
        if (name.isEmpty() || name.length() > 200 || !name.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
            throw new IllegalArgumentException("a stream name is 1 to 200 printable ASCII characters without "
                    + "spaces, got '" + name + "'");
        }
        this.name = name;
        try {
            byte[] sha = MessageDigest.getInstance("SHA-1").digest(("quiver.stream/" + name)
                    .getBytes(StandardCharsets.UTF_8));
            this.prefix = Arrays.copyOf(sha, PREFIX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    String name() {
        return name;
    }

    /** The id of batch {@code seq} (an unsigned number). */
    ObjectId batch(long seq) {
        return ObjectId.of(ByteBuffer.allocate(ObjectId.SIZE).put(prefix).putLong(seq).array());
    }

    ObjectId first() {
        return batch(0);
    }

    /** Exclusive upper bound of batch ids, and the writer lock's id. */
    ObjectId lock() {
        return batch(LOCK);
    }

    /** The sequence number in a batch id of this stream. */
    long seqOf(ObjectId id) {
        byte[] b = id.toBytes();
        if (!Arrays.equals(b, 0, PREFIX, prefix, 0, PREFIX)) {
            throw new IllegalArgumentException(id + " is not an object of stream " + name);
        }
        return ByteBuffer.wrap(b).getLong(PREFIX);
    }
}
