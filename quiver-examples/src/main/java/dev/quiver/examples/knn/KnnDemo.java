package dev.quiver.examples.knn;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.StoredTable;
import dev.quiver.cli.SizeConverter;
import dev.quiver.client.DeleteOutcome;
import dev.quiver.client.ObjectEvent;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.Subscription;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.Sizes;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quiver demo knn}: many workers, one copy. A table of random points goes into an embedded store once; N
 * worker processes each build the same JVector graph index over all of it and answer the k-nearest-neighbour query of
 * every point of their slice. In {@code zero-copy} mode each worker reads the table where it lies, in the store's
 * shared memory; in {@code copy} mode each first receives its own copy as an Arrow IPC stream over a Unix socket (the
 * "pickle it to every worker" baseline). {@code both} runs the two with the same points, parameters and workers and
 * prints them side by side, then checks: the answers agree bit for bit; on a sample of queries, recall@k and the mean
 * distance against exact neighbours found by brute force over the points regenerated from the seed
 * ({@link ExactNeighbours}, a code path of its own); buffers inside the arena; resident memory (skipped, with the
 * reason, for small tables or off Linux); and no reference left in the store.
 *
 * <p>The pieces: this class holds the options and runs the demo from top to bottom; {@link KnnRun} starts and follows
 * one mode's workers ({@link KnnWorker}); {@link CopyServer} serves the copy mode's copies; {@link ExactNeighbours} is
 * the brute-force answer; {@link KnnReport} prints the tables and the checks.
 */
@Command(name = "knn", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Parallel k-nearest-neighbour search by worker processes over one table of random points: "
                + "zero-copy from the store, or each worker with its own copy received over a socket.",
                "Exits non-zero if a check fails."})
public final class KnnDemo implements Callable<Integer> {
    static final String ZERO_COPY = "zero-copy";
    static final String COPY = "copy";

    @Option(names = "--points", defaultValue = "20000", description = "Points in the table (default: ${DEFAULT-VALUE}).")
    int points;

    @Option(names = "--dims", defaultValue = "3", description = "Dimensions of each point (default: ${DEFAULT-VALUE}).")
    int dims;

    @Option(names = "--workers", defaultValue = "4", description = "Worker processes (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--k", defaultValue = "10", description = "Neighbours per query (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--mode", defaultValue = "both", completionCandidates = Modes.class,
            description = "zero-copy, copy or both (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed of the points (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--m", defaultValue = "16",
            description = "Index: maximum neighbours per graph node (default: ${DEFAULT-VALUE}).")
    int m;

    @Option(names = "--beam-width", defaultValue = "64",
            description = "Index: candidates considered while building (default: ${DEFAULT-VALUE}).")
    int beamWidth;

    @Option(names = "--ef", defaultValue = "40",
            description = "Search: candidates considered per query, at least k+1 (default: ${DEFAULT-VALUE}).")
    int ef;

    @Option(names = "--recall-sample", defaultValue = "200",
            description = "Queries checked against exact brute force (default: ${DEFAULT-VALUE}).")
    int recallSample;

    @Option(names = "--memory", converter = SizeConverter.class,
            description = "Size of the embedded store (default: the table's size plus a margin).")
    Long memory;

    @Option(names = "--timeout", defaultValue = "PT30M",
            description = "Give up on workers that have not finished after this long, ISO-8601 (default: 30 minutes).")
    Duration timeout;

    /** Test hook: worker I dies abruptly (exit status 3) right after it got the table, in every mode. */
    @Option(names = "--crash-worker", hidden = true, defaultValue = "-1")
    int crashWorker;

    @Option(names = "--attach-only", description = {"Workers stop once they have the table and have reported their "
            + "memory: no index, no queries. Measures the data tax alone, for tables too large to index here."})
    boolean attachOnly;

    @Spec
    CommandSpec spec;

    static final class Modes extends ArrayList<String> {
        Modes() {
            super(List.of(ZERO_COPY, COPY, "both"));
        }
    }

    @Override
    public Integer call() throws Exception {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> modes = mode.equals("both") ? List.of(ZERO_COPY, COPY) : List.of(mode);
        long coordinateBytes = KnnPoints.coordinateBytes(points, dims);
        int batches = (int) ((points + (long) KnnPoints.rowsPerBatch(dims) - 1) / KnnPoints.rowsPerBatch(dims));
        long storeBytes = memory != null ? memory
                : roundUpToMiB(coordinateBytes + coordinateBytes / 16 + 2L * points / 8 + batches * 4096L + (32L << 20));
        out.printf(Locale.ROOT, "k-nearest-neighbour demo: %,d points in %d dimensions (uniform in the unit cube), "
                        + "%d worker processes, k = %d, mode %s, seed %d%n", points, dims, workers, k, mode, seed);
        out.printf(Locale.ROOT, "Index: JVector graph (M %d, beam width %d), built by each worker over all points on "
                + "one thread; search considers %d candidates per query.%n", m, beamWidth, Math.max(ef, k + 1));
        Path dir = Files.createTempDirectory("quiver-knn");
        try (StoreServer store = StoreServer.start(StoreConfig.of(storeBytes, dir.resolve("store.sock")));
             QuiverClient client = QuiverClient.connect(store.socket());
             BufferAllocator allocator = new RootAllocator()) {
            out.printf("Embedded store on %s: %s%n", store.socket(), Sizes.format(store.capacity()));
            out.flush();

            // 1. The table goes into the store once.
            ArrowStore arrow = new ArrowStore(client, allocator);
            ObjectId id = ObjectId.forName("quiver-demo-knn-points");
            long t = System.nanoTime();
            List<AutoCloseable> scratch = new ArrayList<>();
            long tableBytes;
            try {
                tableBytes = arrow.write(id, KnnPoints.schema(dims),
                        KnnPoints.randomBatches(points, dims, seed, allocator, scratch), null);
            } finally {
                for (AutoCloseable c : scratch) {
                    c.close();
                }
            }
            out.printf(Locale.ROOT, "Table: one column FixedSizeList<float32>[%d], %d record batch%s, %s, put into the "
                            + "store once in %.2f s.%n", dims, batches, batches == 1 ? "" : "es",
                    Sizes.format(tableBytes), (System.nanoTime() - t) / 1e9);
            out.flush();

            // 2. Each mode's workers: zero-copy from the store, or a copy each from the copy server.
            Map<String, KnnRun> runs = new LinkedHashMap<>();
            try (StoredTable table = arrow.read(id, QuiverClient.NO_WAIT)) {
                for (String each : modes) {
                    out.println();
                    out.printf(Locale.ROOT, "%s: starting %d workers%s%n", each, workers, each.equals(COPY)
                            ? "; each receives its own copy of the table (Arrow IPC over a Unix socket) before it "
                            + "computes" : "; each reads the table in place from the store's shared memory");
                    out.flush();
                    if (each.equals(COPY)) {
                        try (CopyServer copies = CopyServer.start(dir.resolve("copies.sock"), table, allocator)) {
                            KnnRun r = KnnRun.run(this, each, dir.resolve("copies.sock"), id, out, err);
                            r.sendFailures = copies.failures();
                            runs.put(each, r);
                        }
                    } else {
                        runs.put(each, KnnRun.run(this, each, store.socket(), id, out, err));
                    }
                }
            }

            // 3. The exact answer for a sample of queries, by brute force over the points regenerated from the seed.
            ExactNeighbours exact = null;
            if (!attachOnly) {
                t = System.nanoTime();
                Set<Integer> answered = new HashSet<>();
                runs.values().forEach(r -> r.answers().values().forEach(a -> {
                    for (int n : a) {
                        answered.add(n);
                    }
                }));
                exact = ExactNeighbours.compute(points, dims, seed, KnnPoints.sample(points, recallSample, seed), k,
                        answered);
                out.println();
                out.printf(Locale.ROOT, "Exact neighbours of %d sampled queries by brute force over the regenerated "
                        + "points in %.2f s.%n", exact.sample().length, (System.nanoTime() - t) / 1e9);
            }

            // 4. The report and its checks.
            String references = references(client, id);
            return KnnReport.print(this, out, runs, tableBytes, exact, references);
        } finally {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private void validate() {
        if (points < 2 || dims < 1 || workers < 1 || k < 1 || m < 2 || beamWidth < 1 || ef < 1 || recallSample < 1) {
            throw new IllegalArgumentException("need --points >= 2, --dims >= 1, --workers >= 1, --k >= 1, --m >= 2, "
                    + "--beam-width >= 1, --ef >= 1 and --recall-sample >= 1");
        }
        if (k >= points) {
            throw new IllegalArgumentException("--k must be below --points (" + points + "): a point is not its own "
                    + "neighbour");
        }
        if (workers > points) {
            throw new IllegalArgumentException("--workers (" + workers + ") exceeds --points (" + points + ")");
        }
        if (!new Modes().contains(mode)) {
            throw new IllegalArgumentException("--mode must be zero-copy, copy or both, not '" + mode + "'");
        }
        if (crashWorker >= workers) {
            throw new IllegalArgumentException("--crash-worker must name a worker below --workers (" + workers + ")");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--timeout must be positive");
        }
    }

    /**
     * Whether the store still holds references to the table now that every worker is gone, as list() shows them;
     * then deletes the table. A reference of a worker that died is released when the store sees its connection
     * close; if one is still there, the deferred delete completes when it goes (awaited, up to 30 s).
     */
    private static String references(QuiverClient client, ObjectId id) {
        int refs = client.list().stream().filter(i -> i.id().equals(id)).mapToInt(ObjectInfo::refCount)
                .findFirst().orElse(-1);
        try (Subscription events = client.subscribe()) {
            DeleteOutcome outcome = client.delete(id);
            if (outcome == DeleteOutcome.DELETED) {
                return "ok " + refs;
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                Optional<ObjectEvent> e = events.next(Duration.ofNanos(deadline - System.nanoTime()));
                if (e.isPresent() && e.get().kind() == ObjectEvent.Kind.DELETED && e.get().id().equals(id)) {
                    return "late " + refs;
                }
            }
            return "held " + refs;
        }
    }

    private static long roundUpToMiB(long bytes) {
        return (bytes + (1L << 20) - 1) & -(1L << 20);
    }
}
