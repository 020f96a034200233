package dev.quiver.client;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

/**
 * The content digest recorded at seal: CRC-32C of the object's data and metadata bytes, zero-extended to 64 bits.
 * CRC-32C is computed by the JDK with the CPU's CRC instructions, so hashing runs at memory speed.
 */
public final class Digests {
    private static final long CHUNK = 1L << 30;

    private Digests() {}

    /** The digest of the concatenated bytes of the given segments (an object's data, then its metadata). */
    public static long of(MemorySegment... parts) {
        CRC32C crc = new CRC32C();
        for (MemorySegment bytes : parts) {
            for (long off = 0; off < bytes.byteSize(); off += CHUNK) {
                crc.update(bytes.asSlice(off, Math.min(CHUNK, bytes.byteSize() - off)).asByteBuffer());
            }
        }
        return crc.getValue();
    }
}
