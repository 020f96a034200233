package dev.quiver.bench;

import dev.quiver.store.IdleMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What {@link Bench} measures and how long. {@link #full()} is the benchmark behind BENCHMARKS.md; {@link #quick()}
 * shrinks sizes and repetitions so that a whole run takes seconds (a smoke test: its figures mean little).
 *
 * @param quickRun           true for the smoke-test settings (printed in the report)
 * @param getSizes           object sizes of the get section
 * @param getBytesPerSize    bytes read per size: repetitions = this / size, within [minRepetitions, maxRepetitions]
 * @param putSizes           object sizes of the put section
 * @param putBytesPerSize    bytes written per size, as above
 * @param parallelPutFrom    smallest size also put with parallel copy
 * @param copyThreads        threads of the parallel copy
 * @param minRepetitions     fewest timed repetitions of any figure
 * @param maxRepetitions     most timed repetitions of any figure
 * @param coldRepetitions    most repetitions of the first-touch get (each maps the arena anew)
 * @param jitWarmup          untimed iterations that compile the read and write paths first
 * @param smallObjectSize    data bytes of a small object
 * @param batchSize          objects per call of the batched operations
 * @param clientProcesses    numbers of client processes of the small-object section
 * @param smallWarmup        untimed window before each timed one
 * @param smallDuration      timed window of each repetition
 * @param smallRepetitions   repetitions of each small-object operation
 * @param smallObjectBudget  store bytes the small-object windows may fill (all workers together)
 * @param tableRows          rows of the table handed to workers (section 4)
 * @param tableBatchRows     rows per record batch of that table
 * @param tableWorkers       numbers of worker processes it is handed to
 * @param tableRepetitions   repetitions of each handover
 * @param streamLoads        the batch sizes of the streams (section 5), each with its batches per run and paced rate
 * @param streamReaders      numbers of reader processes of the streams (each reader receives every batch)
 * @param streamKafkaReaders those of the reader counts that Kafka runs with too (the slowest transport to set up)
 * @param streamRepetitions  repetitions of each stream run
 * @param arenaDirectory     where the store's arena and the baseline's mapping live
 * @param storeIdle          how the harness's store idles between requests ({@code quiver store --idle})
 * @param stepTimeout        how long to wait for one answer of a worker process before giving up
 * @param command            the command line, as the report prints it
 * @param chartsDirectory    where to render PNG charts of the size sweeps, or null for none
 * @param reportFile         where the report will be written, or null; chart links are made relative to it
 * @param progress           receives one line per step (for a terminal); never part of the report
 */
public record Options(boolean quickRun,
                      List<Long> getSizes, long getBytesPerSize,
                      List<Long> putSizes, long putBytesPerSize, long parallelPutFrom, int copyThreads,
                      int minRepetitions, int maxRepetitions, int coldRepetitions, int jitWarmup,
                      long smallObjectSize, int batchSize, List<Integer> clientProcesses,
                      Duration smallWarmup, Duration smallDuration, int smallRepetitions, long smallObjectBudget,
                      long tableRows, int tableBatchRows, List<Integer> tableWorkers, int tableRepetitions,
                      List<StreamLoad> streamLoads, List<Integer> streamReaders, List<Integer> streamKafkaReaders,
                      int streamRepetitions,
                      Path arenaDirectory, IdleMode storeIdle, Duration stepTimeout,
                      String command, Path chartsDirectory, Path reportFile, Consumer<String> progress) {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;
    /** Upper bound of the table's IPC bytes per row: 28 bytes of values, validity bits, batch metadata. */
    static final long TABLE_BYTES_PER_ROW = 32;
    private static final Path SHM = Path.of("/dev/shm");

    public Options {
        java.util.Objects.requireNonNull(storeIdle, "storeIdle");
        getSizes = List.copyOf(getSizes);
        putSizes = List.copyOf(putSizes);
        clientProcesses = List.copyOf(clientProcesses);
        tableWorkers = List.copyOf(tableWorkers);
        streamLoads = List.copyOf(streamLoads);
        streamReaders = List.copyOf(streamReaders);
        streamKafkaReaders = List.copyOf(streamKafkaReaders);
        if (getSizes.isEmpty() || putSizes.isEmpty() || clientProcesses.isEmpty() || tableWorkers.isEmpty()
                || streamLoads.isEmpty() || streamReaders.isEmpty()) {
            throw new IllegalArgumentException("need at least one get size, one put size, one stream load and one"
                    + " client, worker and reader count");
        }
        if (tableRows < 1 || tableBatchRows < 1) {
            throw new IllegalArgumentException("the table needs at least one row and one row per batch");
        }
        // the stream readers are the small-object section's client processes
        int processes = clientProcesses.stream().mapToInt(Integer::intValue).max().orElseThrow();
        if (streamReaders.stream().anyMatch(n -> n < 1 || n > processes)) {
            throw new IllegalArgumentException("stream readers " + streamReaders + ": each count must be between 1"
                    + " and the most client processes (" + processes + "), which are the readers");
        }
        if (streamKafkaReaders.isEmpty() || !streamReaders.containsAll(streamKafkaReaders)) {
            throw new IllegalArgumentException("Kafka's stream readers " + streamKafkaReaders + " must be some of the"
                    + " stream reader counts " + streamReaders);
        }
        if (minRepetitions < 1 || maxRepetitions < minRepetitions || smallRepetitions < 1 || coldRepetitions < 1
                || tableRepetitions < 1 || streamRepetitions < 1) {
            throw new IllegalArgumentException("repetitions must be at least 1 and min <= max");
        }
    }

    /**
     * The full benchmark: gets of 1 KiB to 1 GiB, puts of 1 MiB to 1 GiB, 1 and 4 client processes, a table of
     * 10 M rows to 1, 2 and 4 workers.
     */
    public static Options full() {
        return new Options(false,
                powersOf4(KIB, GIB), 2 * GIB,
                powersOf4(MIB, GIB), 4 * GIB, 64 * MIB, Runtime.getRuntime().availableProcessors(),
                5, 200, 10, 10_000,
                256, 100, List.of(1, 4),
                Duration.ofSeconds(1), Duration.ofSeconds(2), 5, 256 * MIB,
                10_000_000, 1_000_000, List.of(1, 2, 4), 5,
                List.of(new StreamLoad(StreamLoad.ROWS_1_KIB, 20_000, 10_000), new StreamLoad(1_000, 2_000, 200)),
                List.of(1, 3), List.of(1, 3), 3,
                SHM, IdleMode.BACKOFF, Duration.ofMinutes(15),
                "dev.quiver.bench.Bench", null, null, line -> { });
    }

    /** The smoke test: small sizes, few and short repetitions; the same sections and processes. */
    public static Options quick() {
        return new Options(true,
                List.of(KIB, 16 * KIB, 256 * KIB, 4 * MIB), 16 * MIB,
                List.of(MIB, 4 * MIB, 16 * MIB), 64 * MIB, 4 * MIB, Math.max(2, Runtime.getRuntime().availableProcessors()),
                3, 30, 3, 200,
                256, 100, List.of(1, 4),
                Duration.ofMillis(100), Duration.ofMillis(200), 3, 64 * MIB,
                1_000_000, 1_000_000, List.of(1, 2, 4), 2,
                List.of(new StreamLoad(StreamLoad.ROWS_1_KIB, 1_000, 10_000), new StreamLoad(1_000, 100, 200)),
                List.of(1, 3), List.of(1), 2,
                SHM, IdleMode.BACKOFF, Duration.ofMinutes(2),
                "dev.quiver.bench.Bench --quick", null, null, line -> { });
    }

    /**
     * One batch size of the streams: batches of {@code batchRows} rows (int64 t, float64 x, float64 y), {@code batches}
     * of them per run, sent as fast as possible (throughput) and paced at {@code rate} per second (latency).
     */
    public record StreamLoad(int batchRows, int batches, int rate) {
        /** Rows whose record batch body is about 1 KiB: 3 columns × (42 × 8 bytes of values + 8 of validity). */
        public static final int ROWS_1_KIB = 42;

        public StreamLoad {
            // two rows at least: column t carries each batch's send time and sequence number
            if (batchRows < 2 || batches < 1 || rate < 1) {
                throw new IllegalArgumentException("a stream load needs at least two rows per batch, one batch and a"
                        + " rate of 1/s; got " + batchRows + " rows, " + batches + " batches, " + rate + "/s");
            }
        }
    }

    /** Timed repetitions for one size: {@code bytesPerSize / size}, within the bounds. */
    public int repetitions(long size, long bytesPerSize) {
        return (int) Math.clamp(bytesPerSize / size, minRepetitions, maxRepetitions);
    }

    /** The largest object either sweep makes. */
    public long largestObject() {
        return Math.max(getSizes.stream().mapToLong(Long::longValue).max().orElseThrow(),
                putSizes.stream().mapToLong(Long::longValue).max().orElseThrow());
    }

    /**
     * The store's size: the largest object or two copies of the table (one may still be held while the next is
     * written), the small objects' budget, and room for the warm-up objects.
     */
    public long storeBytes() {
        return Math.max(largestObject(), 2 * tableRows * TABLE_BYTES_PER_ROW) + smallObjectBudget + 16 * MIB;
    }

    public Options withCommand(String command) {
        return new Options(quickRun, getSizes, getBytesPerSize, putSizes, putBytesPerSize, parallelPutFrom, copyThreads,
                minRepetitions, maxRepetitions, coldRepetitions, jitWarmup, smallObjectSize, batchSize,
                clientProcesses, smallWarmup, smallDuration, smallRepetitions, smallObjectBudget, tableRows,
                tableBatchRows, tableWorkers, tableRepetitions, streamLoads, streamReaders, streamKafkaReaders,
                streamRepetitions, arenaDirectory, storeIdle, stepTimeout, command, chartsDirectory, reportFile, progress);
    }

    /** Render charts into {@code directory}; links in the report are relative to {@code reportFile} if given. */
    public Options withCharts(Path directory, Path reportFile) {
        return new Options(quickRun, getSizes, getBytesPerSize, putSizes, putBytesPerSize, parallelPutFrom, copyThreads,
                minRepetitions, maxRepetitions, coldRepetitions, jitWarmup, smallObjectSize, batchSize,
                clientProcesses, smallWarmup, smallDuration, smallRepetitions, smallObjectBudget, tableRows,
                tableBatchRows, tableWorkers, tableRepetitions, streamLoads, streamReaders, streamKafkaReaders,
                streamRepetitions, arenaDirectory, storeIdle, stepTimeout, command, directory, reportFile, progress);
    }

    /** The harness's store idles as {@code idle} says (quiver store --idle). */
    public Options withStoreIdle(IdleMode idle) {
        return new Options(quickRun, getSizes, getBytesPerSize, putSizes, putBytesPerSize, parallelPutFrom, copyThreads,
                minRepetitions, maxRepetitions, coldRepetitions, jitWarmup, smallObjectSize, batchSize,
                clientProcesses, smallWarmup, smallDuration, smallRepetitions, smallObjectBudget, tableRows,
                tableBatchRows, tableWorkers, tableRepetitions, streamLoads, streamReaders, streamKafkaReaders,
                streamRepetitions, arenaDirectory, idle, stepTimeout, command, chartsDirectory, reportFile, progress);
    }

    public Options withProgress(Consumer<String> progress) {
        return new Options(quickRun, getSizes, getBytesPerSize, putSizes, putBytesPerSize, parallelPutFrom, copyThreads,
                minRepetitions, maxRepetitions, coldRepetitions, jitWarmup, smallObjectSize, batchSize,
                clientProcesses, smallWarmup, smallDuration, smallRepetitions, smallObjectBudget, tableRows,
                tableBatchRows, tableWorkers, tableRepetitions, streamLoads, streamReaders, streamKafkaReaders,
                streamRepetitions, arenaDirectory, storeIdle, stepTimeout, command, chartsDirectory, reportFile, progress);
    }

    private static List<Long> powersOf4(long from, long to) {
        List<Long> sizes = new ArrayList<>();
        for (long s = from; s <= to; s *= 4) {
            sizes.add(s);
        }
        return sizes;
    }
}
