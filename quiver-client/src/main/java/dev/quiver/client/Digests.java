package dev.quiver.client;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

/**
 * The content digest recorded at seal: CRC-32C of the object's data and metadata bytes, zero-extended to 64 bits.
 * CRC-32C is computed by the JDK with the CPU's CRC instructions.
 *
 * <p>Large inputs are cut into {@value #CHUNK}-byte chunks that the caller and a small shared pool of daemon threads
 * ({@code quiver-digest-N}, one fewer than the CPUs) digest side by side; the chunks' CRCs are then
 * {@linkplain #combine combined} into exactly the value one sequential pass gives. Inputs under
 * {@value #PARALLEL_FROM} bytes stay on the caller's thread: handing them off would cost more than it saves.
 */
public final class Digests {
    /** The unit of work: small enough that a copied chunk is still in the core's cache when it is digested. */
    static final int CHUNK = 256 * 1024;
    /** From this many bytes the chunks are shared with the pool. */
    static final long PARALLEL_FROM = 4L * 1024 * 1024;

    /** The Castagnoli polynomial, bit-reflected (bit 31 is the coefficient of x^0). */
    private static final int POLY = 0x82F63B78;
    /** X2N[k] = x^(2^k) mod POLY; 67 entries cover x^(8·n) for any n below 2^63 without assuming a period. */
    private static final int[] X2N = new int[67];
    /** x^(8·CHUNK) mod POLY: appends a whole chunk's CRC to the running one with one multiplication. */
    private static final int CHUNK_SHIFT;

    static {
        X2N[0] = 1 << 30; // x^1
        for (int k = 1; k < X2N.length; k++) {
            X2N[k] = multiply(X2N[k - 1], X2N[k - 1]);
        }
        CHUNK_SHIFT = xPow8n(CHUNK);
    }

    private Digests() {}

    /** The digest of the concatenated bytes of the given segments (an object's data, then its metadata). */
    public static long of(MemorySegment... parts) {
        long total = 0;
        for (MemorySegment bytes : parts) {
            total += bytes.byteSize();
        }
        if (total < PARALLEL_FROM || Pool.HELPERS == 0 || !shareable(parts)) {
            CRC32C crc = new CRC32C();
            for (MemorySegment bytes : parts) {
                update(crc, bytes);
            }
            return crc.getValue();
        }
        long digest = 0; // the CRC-32C of no bytes
        for (MemorySegment bytes : parts) {
            digest = combine(digest, digest(bytes), bytes.byteSize());
        }
        return digest;
    }

    /**
     * The digest of {@code a} followed by {@code b}, from the digests of each and the length of {@code b}: the
     * CRC-32C of a concatenation, without reading the bytes again. {@code combine(of(a), of(b), b.byteSize()) ==
     * of(a, b)}.
     *
     * @throws IllegalArgumentException if {@code lengthB} is negative
     */
    public static long combine(long digestA, long digestB, long lengthB) {
        if (lengthB < 0) {
            throw new IllegalArgumentException("the length of the second part must be >= 0, not " + lengthB);
        }
        return Integer.toUnsignedLong(multiply(xPow8n(lengthB), (int) digestA) ^ (int) digestB);
    }

    /** The digest of one segment, in parallel chunks if it is large. */
    static long digest(MemorySegment bytes) {
        if (bytes.byteSize() < PARALLEL_FROM || Pool.HELPERS == 0 || !shareable(bytes)) {
            CRC32C crc = new CRC32C();
            update(crc, bytes);
            return crc.getValue();
        }
        return chunked(bytes.byteSize(), (off, len) -> crc(bytes.asSlice(off, len)));
    }

    /**
     * Copies {@code source} into {@code target} (the same size) chunk by chunk, digesting each chunk of the target
     * while it is still in cache; large sources are shared with the pool.
     *
     * @return the digest of the bytes now in {@code target}
     */
    static long copy(MemorySegment source, MemorySegment target) {
        long size = source.byteSize();
        if (size < PARALLEL_FROM || Pool.HELPERS == 0 || !shareable(source, target)) {
            CRC32C crc = new CRC32C();
            for (long off = 0; off < size; off += CHUNK) {
                long len = Math.min(CHUNK, size - off);
                MemorySegment.copy(source, off, target, off, len);
                crc.update(target.asSlice(off, len).asByteBuffer());
            }
            return crc.getValue();
        }
        return chunked(size, (off, len) -> {
            MemorySegment.copy(source, off, target, off, len);
            return crc(target.asSlice(off, len));
        });
    }

    /** False if a segment is confined to its owner thread (an {@code Arena.ofConfined()} one): the pool cannot read it. */
    private static boolean shareable(MemorySegment... segments) {
        for (MemorySegment s : segments) {
            if (!s.isAccessibleBy(Pool.NOT_AN_OWNER)) {
                return false;
            }
        }
        return true;
    }

    /** Work on one chunk: returns the chunk's CRC-32C. */
    private interface ChunkWork {
        int apply(long offset, int length);
    }

    /**
     * Runs {@code work} over every chunk of {@code size} bytes, on the caller and the pool's threads, which claim
     * chunks in turn (a pool thread that starts late, busy with another caller, finds nothing left and returns).
     * Returns the chunks' CRCs combined in order.
     */
    private static long chunked(long size, ChunkWork work) {
        int chunks = Math.toIntExact((size + CHUNK - 1) / CHUNK);
        int[] crcs = new int[chunks];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable worker = () -> {
            for (int i; (i = next.getAndIncrement()) < chunks; ) {
                try {
                    long off = (long) i * CHUNK;
                    crcs[i] = work.apply(off, (int) Math.min(CHUNK, size - off));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.incrementAndGet(); // publishes crcs[i] to the caller
                }
            }
        };
        for (int h = Math.min(Pool.HELPERS, chunks - 1); h > 0; h--) {
            Pool.EXECUTOR.execute(worker);
        }
        worker.run();
        // Every chunk is claimed: at most one in flight per helper, each a few microseconds of work.
        for (int spins = 0; done.get() < chunks; spins++) {
            if (spins < 1000) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        Throwable t = failure.get();
        if (t != null) {
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
        int crc = 0;
        for (int i = 0; i < chunks - 1; i++) {
            crc = multiply(CHUNK_SHIFT, crc) ^ crcs[i];
        }
        long last = size - (long) (chunks - 1) * CHUNK;
        return combine(Integer.toUnsignedLong(crc), Integer.toUnsignedLong(crcs[chunks - 1]), last);
    }

    private static int crc(MemorySegment bytes) {
        CRC32C crc = new CRC32C();
        update(crc, bytes);
        return (int) crc.getValue();
    }

    /** ByteBuffer views are limited to 2 GiB: feed larger segments in 1 GiB pieces. */
    private static void update(CRC32C crc, MemorySegment bytes) {
        long piece = 1L << 30;
        for (long off = 0; off < bytes.byteSize(); off += piece) {
            crc.update(bytes.asSlice(off, Math.min(piece, bytes.byteSize() - off)).asByteBuffer());
        }
    }

    /**
     * a·b modulo POLY over GF(2), in the reflected bit order CRC-32C uses. Appending n zero bytes to a message
     * multiplies its (pre/post-inverted) CRC by x^(8n), so combining is one such multiplication and an xor.
     */
    private static int multiply(int a, int b) {
        int product = 0;
        for (int m = 1 << 31; m != 0; m >>>= 1) {
            if ((a & m) != 0) {
                product ^= b;
                if ((a & (m - 1)) == 0) {
                    break; // no higher powers of x left in a
                }
            }
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1; // b·x, reduced
        }
        return product;
    }

    /** x^(8·n) mod POLY, by squaring: the product of x^(2^k) over the bits k of 8·n. */
    private static int xPow8n(long n) {
        int p = 1 << 31; // x^0
        for (int k = 3; n != 0; n >>>= 1, k++) {
            if ((n & 1) != 0) {
                p = multiply(X2N[k], p);
            }
        }
        return p;
    }

    /** The shared daemon pool, started on first use of a large digest. */
    private static final class Pool {
        static final int HELPERS = Math.min(7, Runtime.getRuntime().availableProcessors() - 1);
        static final ExecutorService EXECUTOR = start();
        /** A thread that owns nothing, never started: asks whether a segment is readable outside its owner. */
        static final Thread NOT_AN_OWNER = Thread.ofPlatform().unstarted(() -> { });

        private static ExecutorService start() {
            AtomicInteger n = new AtomicInteger();
            ThreadPoolExecutor pool = new ThreadPoolExecutor(Math.max(1, HELPERS), Math.max(1, HELPERS),
                    30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "quiver-digest-" + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            pool.allowCoreThreadTimeOut(true); // an idle client keeps no threads
            return pool;
        }
    }
}
