package dev.quiver.examples.realtime;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.client.QuiverClient;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The producer process of {@code quiver demo realtime}: breaks a data frame of y = 4 + 3x + noise (x uniform on
 * [0, 10), noise standard normal) into batches of 1..maxBatch rows and appends each to the stream at a steady rate
 * ({@link Pacer}), then ends the stream. Arguments: {@code socket stream rows maxBatch seed [batchesPerSecond
 * [primingBatches]]} (defaults {@value #DEFAULT_RATE} and 0): first, unpaced, that many batches of the same kind go
 * to the stream {@link #primingStream}, which consumers given the same number read before the real one. Prints {@code PROGRESS rows batches} lines, one {@code PRODUCED rows batches
 * checksum nanos} line and one {@code PACE batchesPerSecond firstAppendNanos lastAppendNanos restarts} line (restarts:
 * how often the producer was more than a period late). Columns: row (int64), x, y (float64), produced_ns (int64,
 * System.nanoTime() just before the append, comparable across processes on one machine).
 */
public final class RealtimeProducer {
    /** Batches per second when none is given; {@code quiver demo realtime --rate} says why this one. */
    public static final int DEFAULT_RATE = 100;
    /** Batches of the priming stream of {@code quiver demo realtime}; its {@code --priming} says why. */
    public static final long DEFAULT_PRIMING = 20_000;

    /** The stream the producer primes the processes with, before {@code stream}. */
    public static String primingStream(String stream) {
        return stream + "-priming";
    }

    private RealtimeProducer() {}

    public static void main(String[] args) {
        Path socket = Path.of(args[0]);
        String stream = args[1];
        long rows = Long.parseLong(args[2]);
        int maxBatch = Integer.parseInt(args[3]);
        long seed = Long.parseLong(args[4]);
        int rate = args.length > 5 ? Integer.parseInt(args[5]) : DEFAULT_RATE;
        long priming = args.length > 6 ? Long.parseLong(args[6]) : 0;

        SplittableRandom random = new SplittableRandom(seed);
        RowChecksum checksum = new RowChecksum();
        long batches = 0;
        long firstAppend = 0;
        long lastAppend = 0;
        long start;
        Pacer pacer;
        try (QuiverClient client = QuiverClient.connect(socket);
             BufferAllocator allocator = new RootAllocator();
             BigIntVector row = new BigIntVector("row", allocator);
             Float8Vector x = new Float8Vector("x", allocator);
             Float8Vector y = new Float8Vector("y", allocator);
             BigIntVector producedNs = new BigIntVector("produced_ns", allocator);
             VectorSchemaRoot root = VectorSchemaRoot.of(row, x, y, producedNs)) {
            ArrowStore arrow = new ArrowStore(client, allocator);
            if (priming > 0) { // the same code as below, unpaced, into a stream of its own
                SplittableRandom other = new SplittableRandom(seed + 1);
                RowChecksum ignored = new RowChecksum();
                try (StreamWriter w = StreamWriter.open(arrow, primingStream(stream), Retention.ALL)) {
                    for (long b = 0, next = 0; b < priming; b++) {
                        next += fill(root, other, next, maxBatch, Long.MAX_VALUE, ignored);
                        stamp(root, System.nanoTime());
                        w.append(root);
                    }
                    w.end();
                }
            }
            start = System.nanoTime();
            pacer = new Pacer(rate);
            try (StreamWriter writer = StreamWriter.open(arrow, stream, Retention.ALL)) {
                long next = 0;
                long reportEvery = Math.max(1, rows / 10);
                while (next < rows) {
                    int n = fill(root, random, next, maxBatch, rows, checksum);
                    long now = pacer.awaitNext(); // the batch is ready; append it when it is due
                    firstAppend = batches == 0 ? now : firstAppend;
                    lastAppend = now;
                    stamp(root, now);
                    writer.append(root);
                    batches++;
                    if ((next + n) / reportEvery != next / reportEvery) {
                        System.out.printf("PROGRESS %d %d%n", next + n, batches);
                    }
                    next += n;
                }
                writer.end();
            }
        }
        System.out.printf("PRODUCED %d %d %s %d%n", rows, batches, checksum, System.nanoTime() - start);
        System.out.printf("PACE %d %d %d %d%n", rate, firstAppend, lastAppend, pacer.restarts());
    }

    /**
     * Fills {@code root} with the next batch, rows {@code next..} (1..maxBatch of them, no more than up to
     * {@code rows}); returns the row count.
     */
    private static int fill(VectorSchemaRoot root, SplittableRandom random, long next, int maxBatch, long rows,
                            RowChecksum checksum) {
        int n = (int) Math.min(rows - next, 1 + random.nextInt(maxBatch));
        root.allocateNew();
        BigIntVector row = (BigIntVector) root.getVector("row");
        Float8Vector x = (Float8Vector) root.getVector("x");
        Float8Vector y = (Float8Vector) root.getVector("y");
        for (int i = 0; i < n; i++) {
            double xi = random.nextDouble() * 10;
            double yi = 4 + 3 * xi + random.nextGaussian();
            row.set(i, next + i);
            x.set(i, xi);
            y.set(i, yi);
            checksum.add(next + i, xi, yi);
        }
        root.setRowCount(n);
        return n;
    }

    /** Sets every row's produced_ns to the batch's append time. */
    private static void stamp(VectorSchemaRoot root, long appendNanos) {
        BigIntVector producedNs = (BigIntVector) root.getVector("produced_ns");
        for (int i = 0; i < root.getRowCount(); i++) {
            producedNs.set(i, appendNanos);
        }
        producedNs.setValueCount(root.getRowCount());
    }
}
