package dev.quiver.examples.realtime;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.cli.DurationConverter;
import dev.quiver.client.QuiverClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A consumer process of {@code quiver demo realtime}: reads the stream from its first batch to its end, each batch
 * zero-copy, training an online linear regression ({@link SgdRegressor}) on every row. Arguments: {@code socket stream
 * expectedRows [warmup [primingBatches]]} (a duration such as {@code 1s}, default {@value #DEFAULT_WARMUP}; with
 * priming, default 0, it first reads the producer's priming stream to its end, the same way, and forgets what it
 * learned). Prints {@code PROGRESS
 * rows} lines, one {@code RESULT rows batches lost checksum intercept slope} line and two {@code PHASE} lines
 * ({@link Latencies.Phase}: warm-up, then steady state), whose latencies run from the moment the producer appended a
 * batch to the moment this consumer got it.
 */
public final class RealtimeConsumer {
    /** The batches appended in this first stretch of the stream are warm-up; {@code quiver demo realtime} says why. */
    public static final String DEFAULT_WARMUP = "2s";

    private RealtimeConsumer() {}

    public static void main(String[] args) {
        Path socket = Path.of(args[0]);
        String stream = args[1];
        long expectedRows = Long.parseLong(args[2]);
        long warmupNanos = new DurationConverter().convert(args.length > 3 ? args[3] : DEFAULT_WARMUP).toNanos();
        long priming = args.length > 4 ? Long.parseLong(args[4]) : 0; // only a producer told to primes

        SgdRegressor model = new SgdRegressor();
        RowChecksum checksum = new RowChecksum();
        long rows = 0;
        long batches = 0;
        long lost = 0;
        long[] appended = new long[1024];  // per batch: the producer's append time, and when this consumer had it
        long[] received = new long[1024];
        long reportEvery = Math.max(1, expectedRows / 10);
        try (QuiverClient client = QuiverClient.connect(socket); BufferAllocator allocator = new RootAllocator()) {
            ArrowStore arrow = new ArrowStore(client, allocator);
            StreamReader reader = StreamReader.open(arrow, stream, StreamReader.Start.EARLIEST);
            System.out.println("READY");
            if (priming > 0) {
                try (StreamReader primer = StreamReader.open(arrow, RealtimeProducer.primingStream(stream),
                        StreamReader.Start.EARLIEST)) {
                    prime(primer);
                }
            }
            while (true) {
                StreamEvent e = reader.next(Duration.ofSeconds(60));
                if (e instanceof StreamEvent.End) {
                    break;
                }
                switch (e) {
                    case StreamEvent.Batch b -> {
                        long got = System.nanoTime();
                        try (b) {
                            VectorSchemaRoot root = b.table().batches().getFirst();
                            learn(root, model, checksum);
                            BigIntVector producedNs = (BigIntVector) root.getVector("produced_ns");
                            if (batches == appended.length) {
                                appended = Arrays.copyOf(appended, appended.length * 2);
                                received = Arrays.copyOf(received, received.length * 2);
                            }
                            appended[(int) batches] = producedNs.get(0);
                            received[(int) batches] = got;
                            if ((rows + root.getRowCount()) / reportEvery != rows / reportEvery) {
                                System.out.printf("PROGRESS %d%n", rows + root.getRowCount());
                            }
                            rows += root.getRowCount();
                            batches++;
                        }
                    }
                    case StreamEvent.Lost l -> lost += l.count();
                    case StreamEvent.Timeout t -> System.err.println("consumer: no batch for 60 s, still waiting for "
                            + t.waitingFor());
                    case StreamEvent.End end -> throw new AssertionError("handled above");
                }
            }
        }
        System.out.printf("RESULT %d %d %d %s %.6f %.6f%n", rows, batches, lost, checksum, model.intercept(),
                model.weight());
        Latencies.analyse(appended, received, (int) batches, warmupNanos).forEach(p -> System.out.println(p.toLine()));
    }

    /** Reads the priming stream to its end, doing with each batch what the real loop does, into a model thrown away. */
    private static void prime(StreamReader primer) {
        SgdRegressor model = new SgdRegressor();
        RowChecksum checksum = new RowChecksum();
        while (true) {
            StreamEvent e = primer.next(Duration.ofSeconds(60));
            switch (e) {
                case StreamEvent.End end -> {
                    return;
                }
                case StreamEvent.Batch b -> {
                    try (b) {
                        VectorSchemaRoot root = b.table().batches().getFirst();
                        learn(root, model, checksum);
                    }
                }
                case StreamEvent.Lost l -> { } // retention keeps every priming batch; nothing to do either way
                case StreamEvent.Timeout t -> System.err.println("consumer: no priming batch for 60 s, still waiting "
                        + "for " + t.waitingFor());
            }
        }
    }

    private static void learn(VectorSchemaRoot root, SgdRegressor model, RowChecksum checksum) {
        BigIntVector row = (BigIntVector) root.getVector("row");
        Float8Vector x = (Float8Vector) root.getVector("x");
        Float8Vector y = (Float8Vector) root.getVector("y");
        for (int i = 0; i < root.getRowCount(); i++) {
            model.learn(x.get(i), y.get(i));
            checksum.add(row.get(i), x.get(i), y.get(i));
        }
    }
}
