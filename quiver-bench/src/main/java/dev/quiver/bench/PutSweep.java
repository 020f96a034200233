package dev.quiver.bench;

import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Section 2: one object written into the store by the harness process, against the limit: a plain
 * {@code MemorySegment.copy} of the same bytes into a mapping of /dev/shm whose pages are already touched (so neither
 * side pays page faults). A put is create (one round trip), {@link WritableObject#write} of the source (the copy,
 * with the CRC-32C digest computed chunk by chunk while the bytes are in cache), seal (combines the digests, then one
 * round trip) and close (release sent without waiting). Repetitions of the limit and of the put alternate, so that a
 * noisy moment hits both.
 */
final class PutSweep {
    /** One size, single-threaded: bandwidths in GB/s (10^9 bytes per second), seal in nanoseconds. */
    record Row(long size, Summary memcpy, Summary put, Summary seal) {}

    /**
     * One size, the copy split over {@code threads} threads (disjoint slices): bandwidths in GB/s, of puts with a
     * digest (the default) and of puts of objects without one ({@link WritableObject#withoutDigest()}).
     */
    record ParallelRow(long size, int threads, Summary memcpy, Summary put, Summary putWithoutDigest) {}

    record Result(List<Row> rows, List<ParallelRow> parallel) {}

    private static final int WARMUP = 2;

    private PutSweep() {}

    static Result run(Options o, QuiverClient client, MemorySegment source, MemorySegment touched,
                      ExecutorService pool) {
        warmUp(o, client, source, touched);
        List<Row> rows = new ArrayList<>();
        List<ParallelRow> parallel = new ArrayList<>();
        for (long size : o.putSizes()) {
            int reps = o.repetitions(size, o.putBytesPerSize());
            o.progress().accept("put: " + Fmt.size(size) + ", " + reps + " repetitions");
            double[] memcpy = new double[reps];
            double[] put = new double[reps];
            double[] seal = new double[reps];
            for (int i = -WARMUP; i < reps; i++) {
                long t0 = System.nanoTime();
                MemorySegment.copy(source, 0, touched, 0, size);
                long t1 = System.nanoTime();
                long[] phases = put(client, source, size, 1, pool, true);
                if (i >= 0) {
                    memcpy[i] = gbps(size, t1 - t0);
                    put[i] = gbps(size, phases[0]);
                    seal[i] = phases[1];
                }
            }
            rows.add(new Row(size, Summary.of(memcpy), Summary.of(put), Summary.of(seal)));
            if (size >= o.parallelPutFrom() && o.copyThreads() > 1) {
                int n = o.copyThreads();
                o.progress().accept("put: " + Fmt.size(size) + " with " + n + " copy threads");
                double[] pMemcpy = new double[reps];
                double[] pPut = new double[reps];
                double[] pBare = new double[reps];
                for (int i = -WARMUP; i < reps; i++) {
                    long t0 = System.nanoTime();
                    copy(source, touched, size, n, pool);
                    long t1 = System.nanoTime();
                    long[] phases = put(client, source, size, n, pool, true);
                    long[] bare = put(client, source, size, n, pool, false);
                    if (i >= 0) {
                        pMemcpy[i] = gbps(size, t1 - t0);
                        pPut[i] = gbps(size, phases[0]);
                        pBare[i] = gbps(size, bare[0]);
                    }
                }
                parallel.add(new ParallelRow(size, n, Summary.of(pMemcpy), Summary.of(pPut), Summary.of(pBare)));
            }
        }
        return new Result(rows, parallel);
    }

    /** Compiles the put path at a small size before anything is timed. */
    private static void warmUp(Options o, QuiverClient client, MemorySegment source, MemorySegment touched) {
        int n = Math.max(10, o.jitWarmup() / 10);
        o.progress().accept("put: warming up (" + n + " puts of 64 KiB)");
        for (int i = 0; i < n; i++) {
            MemorySegment.copy(source, 0, touched, 0, 64 * 1024);
            put(client, source, 64 * 1024, 1, null, true);
            put(client, source, 64 * 1024, 1, null, false);
        }
    }

    /**
     * One put of the first {@code size} bytes of the source, deleted afterwards (untimed).
     *
     * With {@code digest} false the object has none ({@link WritableObject#withoutDigest()}): the copy only copies.
     *
     * @return nanoseconds of the whole put (create, copy, seal, close) and of the seal alone
     */
    private static long[] put(QuiverClient client, MemorySegment source, long size, int threads,
                              ExecutorService pool, boolean digest) {
        ObjectId id = ObjectId.random();
        long t0 = System.nanoTime();
        long sealStart;
        long sealEnd;
        try (WritableObject w = client.create(id, size, 0, GetSweep.CREATE_WAIT_MILLIS)) {
            if (!digest) {
                w.withoutDigest();
            }
            write(source, w, size, threads, pool);
            sealStart = System.nanoTime();
            w.seal();
            sealEnd = System.nanoTime();
        }
        long total = System.nanoTime() - t0;
        client.delete(id);
        return new long[] {total, sealEnd - sealStart};
    }

    /** Copies the first {@code size} bytes; with several threads, each copies one disjoint 64-byte aligned slice. */
    static void copy(MemorySegment from, MemorySegment to, long size, int threads, ExecutorService pool) {
        split(size, threads, pool, (at, len) -> MemorySegment.copy(from, at, to, at, len));
    }

    /** Like {@link #copy}, into an object through {@link WritableObject#write}, which digests as it copies. */
    static void write(MemorySegment from, WritableObject to, long size, int threads, ExecutorService pool) {
        split(size, threads, pool, (at, len) -> to.write(at, from.asSlice(at, len)));
    }

    private interface Part {
        void copy(long at, long len);
    }

    private static void split(long size, int threads, ExecutorService pool, Part part) {
        if (threads <= 1) {
            part.copy(0, size);
            return;
        }
        long slice = (size / threads + 63) & ~63L;
        List<Future<?>> parts = new ArrayList<>();
        for (long off = 0; off < size; off += slice) {
            long at = off;
            long len = Math.min(slice, size - off);
            parts.add(pool.submit(() -> part.copy(at, len)));
        }
        for (Future<?> f : parts) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new BenchException("a copy thread failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BenchException("interrupted while copying", e);
            }
        }
    }

    static double gbps(long bytes, long nanos) {
        return bytes / (double) Math.max(1, nanos); // bytes per ns = GB/s
    }
}
