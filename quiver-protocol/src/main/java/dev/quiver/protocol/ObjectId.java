package dev.quiver.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The 20-byte identity of an object in the store, as in Plasma.
 *
 * <p>Ids are values: two ids with the same bytes are equal. Make them at random ({@link #random()}), from a
 * human-readable name ({@link #forName(String)}, the SHA-1 of its UTF-8 bytes), or from given bytes.
 */
public final class ObjectId implements Comparable<ObjectId> {
    /** Bytes in every id. */
    public static final int SIZE = 20;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;
    private final int hash;

    private ObjectId(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** An id of exactly {@value #SIZE} bytes; the array is copied. */
    public static ObjectId of(byte[] bytes) {
        if (bytes.length != SIZE) {
            throw new IllegalArgumentException("an object id has " + SIZE + " bytes, got " + bytes.length);
        }
        return new ObjectId(bytes.clone());
    }

    /** A random id. */
    public static ObjectId random() {
        byte[] b = new byte[SIZE];
        RANDOM.nextBytes(b);
        return new ObjectId(b);
    }

    /** The id of a name: the SHA-1 digest of its UTF-8 bytes, so every process derives the same id. */
    public static ObjectId forName(String name) {
        try {
            return new ObjectId(MessageDigest.getInstance("SHA-1").digest(name.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    /** The bytes themselves, not a copy: for this package's layouts only. */
    byte[] bytes() {
        return bytes;
    }

    /** Parses the 40 hex digits that {@link #toString()} prints. */
    public static ObjectId fromHex(String hex) {
        if (hex.length() != 2 * SIZE) {
            throw new IllegalArgumentException("an object id is " + 2 * SIZE + " hex digits, got '" + hex + "'");
        }
        try {
            return new ObjectId(HEX.parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a hex object id: '" + hex + "'", e);
        }
    }

    /** Reads {@value #SIZE} bytes at the buffer's position and advances it. */
    public static ObjectId read(ByteBuffer in) {
        byte[] b = new byte[SIZE];
        in.get(b);
        return new ObjectId(b);
    }

    /** Writes the id's bytes at the buffer's position and advances it. */
    public void write(ByteBuffer out) {
        out.put(bytes);
    }

    /** A copy of the id's bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ObjectId other && hash == other.hash && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(ObjectId o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    /** 40 lower-case hex digits. */
    @Override
    public String toString() {
        return HEX.formatHex(bytes);
    }
}
