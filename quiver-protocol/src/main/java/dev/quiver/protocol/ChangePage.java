package dev.quiver.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The layout of the change page (docs/protocol.md, "The change page"): {@value #BYTES} bytes that follow the objects
 * in the arena file, at file offset {@code capacity}. The store's engine counts there every change of an object's
 * visibility, one counter per bucket of ids, so that a client can tell without asking the store that nothing it
 * looked up has changed since: an object of a given id became visible (sealed, or published), or stopped being
 * visible (deleted, delete-pending, evicted). The removal of an unsealed object counts too.
 *
 * <pre>
 *  capacity +    0  u64 magic "QVCHNGS1" (ASCII, little-endian long)
 *                8  u32 layout version (1)
 *               12  u32 counters ({@value #COUNTERS})
 *               64  i64 counters[{@value #COUNTERS}], counter b for the ids of {@link #bucket(ObjectId) bucket} b
 * </pre>
 *
 * <p>Only the engine writes a counter: it adds one, with release semantics, before it answers the request that made
 * the change (or, for an eviction, before it answers the create that needed the room). A reader reads counters with
 * acquire semantics. Counters only grow; many ids share a bucket, so a changed counter says "maybe", an unchanged
 * one "certainly not".
 */
public final class ChangePage {
    /** "QVCHNGS1" read as a little-endian long. */
    public static final long MAGIC = 0x3153474E48435651L;
    /** The version of this layout. */
    public static final int VERSION = 1;
    /** Counters on the page: a power of two. */
    public static final int COUNTERS = 2048;
    /** Where the counters start. */
    public static final int COUNTERS_OFFSET = 64;
    /** Bytes of the page: the header and the counters. */
    public static final int BYTES = COUNTERS_OFFSET + 8 * COUNTERS;

    /** log2 of {@link #COUNTERS}: a bucket is the top bits of the hash. */
    private static final int BUCKET_BITS = Integer.numberOfTrailingZeros(COUNTERS);
    /** Little-endian views of an id's bytes, for {@link #bucket}. */
    private static final VarHandle LE_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LE_INT =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = 8;
    private static final int COUNT_OFFSET = 12;
    /** Counters are aligned longs in the byte order of the machine (little-endian on x86_64 and aarch64). */
    private static final VarHandle COUNTER = ValueLayout.JAVA_LONG.varHandle();
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ChangePage() {}

    /**
     * The bucket of an id: the id's bytes 0–7, 8–15 (little-endian u64s) and 16–19 (a little-endian u32) XORed,
     * multiplied by {@code 0x9E3779B97F4A7C15} (mod 2^64), the top 11 bits of the product.
     */
    public static int bucket(ObjectId id) {
        byte[] b = id.bytes();
        long x = (long) LE_LONG.get(b, 0) ^ (long) LE_LONG.get(b, 8) ^ Integer.toUnsignedLong((int) LE_INT.get(b, 16));
        return (int) ((x * 0x9E3779B97F4A7C15L) >>> (64 - BUCKET_BITS));
    }

    /** The offset of bucket {@code b}'s counter from the page's start. */
    public static long counterOffset(int bucket) {
        return COUNTERS_OFFSET + 8L * bucket;
    }

    /** Adds one to bucket {@code b}'s counter, with release semantics: the engine's only write to the page. */
    public static void bump(MemorySegment page, int bucket) {
        long at = counterOffset(bucket);
        COUNTER.setRelease(page, at, (long) COUNTER.get(page, at) + 1);
    }

    /** Bucket {@code b}'s counter, read with acquire semantics. */
    public static long read(MemorySegment page, int bucket) {
        return (long) COUNTER.getAcquire(page, counterOffset(bucket));
    }

    /** Writes the header of a fresh (zeroed) page. */
    public static void format(MemorySegment page) {
        page.set(INT, VERSION_OFFSET, VERSION);
        page.set(INT, COUNT_OFFSET, COUNTERS);
        page.set(LONG, MAGIC_OFFSET, MAGIC);
    }

    /** Whether {@code page} (at least {@value #BYTES} bytes) has this layout's header. */
    public static boolean isFormatted(MemorySegment page) {
        return page.byteSize() >= BYTES && page.get(LONG, MAGIC_OFFSET) == MAGIC
                && page.get(INT, VERSION_OFFSET) == VERSION && page.get(INT, COUNT_OFFSET) == COUNTERS;
    }
}
