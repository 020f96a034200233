package dev.quiver.client.testing;

import dev.quiver.client.ObjectBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/**
 * Deterministic object contents shared by tests and their child JVMs: both sides derive the same bytes from a seed,
 * so a process can check what another one wrote without the bytes travelling anywhere.
 */
public final class Patterns {
    private Patterns() {}

    /** The data bytes of an object made with {@code seed}. */
    public static byte[] data(long size, long seed) {
        return bytes(size, seed);
    }

    /** The metadata bytes of an object made with {@code seed}. */
    public static byte[] metadata(long size, long seed) {
        return bytes(size, ~seed);
    }

    /** Writes the data pattern of {@code seed} into {@code data} and the metadata pattern into {@code metadata}. */
    public static void fill(MemorySegment data, MemorySegment metadata, long seed) {
        MemorySegment.copy(MemorySegment.ofArray(data(data.byteSize(), seed)), 0, data, 0, data.byteSize());
        MemorySegment.copy(MemorySegment.ofArray(metadata(metadata.byteSize(), seed)), 0, metadata, 0,
                metadata.byteSize());
    }

    /** True if both views hold exactly the patterns of {@code seed}. */
    public static boolean matches(MemorySegment data, MemorySegment metadata, long seed) {
        return data.mismatch(MemorySegment.ofArray(data(data.byteSize(), seed))) == -1
                && metadata.mismatch(MemorySegment.ofArray(metadata(metadata.byteSize(), seed))) == -1;
    }

    /** The digest the store should record for an object made with {@code seed} (CRC-32C of data then metadata). */
    public static long digest(long dataSize, long metadataSize, long seed) {
        CRC32C crc = new CRC32C();
        crc.update(data(dataSize, seed));
        crc.update(metadata(metadataSize, seed));
        return crc.getValue();
    }

    /** The digest of what a buffer shows now, computed by the reader over its own views. */
    public static long digest(ObjectBuffer b) {
        CRC32C crc = new CRC32C();
        crc.update(b.data().asByteBuffer());
        crc.update(b.metadata().asByteBuffer());
        return crc.getValue();
    }

    /** The bytes an object of {@code dataSize + metadataSize} occupies in the arena: whole 64-byte blocks, at least one. */
    public static long blockSize(long dataSize, long metadataSize) {
        return Math.max(64, (dataSize + metadataSize + 63) & -64L);
    }

    /** The byte at {@code index} of the data pattern of {@code seed}. */
    public static byte dataByte(long index, long seed) {
        return bytes(index + 1, seed)[(int) index];
    }

    private static byte[] bytes(long size, long seed) {
        byte[] b = new byte[Math.toIntExact(size)];
        long x = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        for (int i = 0; i < b.length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        return b;
    }

    /** Reads one byte of a view. */
    public static int unsignedByte(MemorySegment s, long index) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, index));
    }
}
