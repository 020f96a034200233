package dev.quiver.cli;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.StoredTable;
import dev.quiver.client.DeleteOutcome;
import dev.quiver.client.ObjectEvent;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.Subscription;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.Sizes;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
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
 * prints them side by side, then checks: the answers agree bit for bit, recall@k against exact brute force on a
 * sample, a plausible mean distance, buffers inside the arena, resident memory, and no reference left in the store.
 */
@Command(name = "knn", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Parallel k-nearest-neighbour search by worker processes over one table of random points: "
                + "zero-copy from the store, or each worker with its own copy received over a socket.",
                "Exits non-zero if a check fails."})
final class KnnDemo implements Callable<Integer> {
    static final String ZERO_COPY = "zero-copy";
    static final String COPY = "copy";
    private static final String INCUBATOR_WARNING = "WARNING: Using incubator modules: jdk.incubator.vector";
    /**
     * JVector's SIMD distance functions use the incubating Vector API (without the module it falls back to scalar
     * code); its Panama implementation is chosen over its native one, whose per-call overhead dominates at low
     * dimensions. Each worker computes on one thread: the serial collector keeps the JVM from adding collector
     * threads per worker (the demo starts more workers than a small machine has cores). Arrow's start-up lines are
     * kept out of the demo's output.
     */
    private static final List<String> WORKER_JVM_OPTIONS = List.of("--add-modules", "jdk.incubator.vector",
            "-Djvector.vectorization_provider=panama", "-XX:+UseSerialGC",
            "-Dorg.slf4j.simpleLogger.log.org.apache.arrow=warn");
    /** Below this, a JVM's own growth while attaching (classes, allocator) hides the table: memory is not judged. */
    private static final long JUDGE_MEMORY_FROM_BYTES = 16L << 20;
    private static final double MIN_RECALL = 0.95;

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

    private record Line(int worker, String text) {}

    /** What one worker reported. */
    private static final class Worker {
        final int index;
        final boolean attachOnly;
        Double readySeconds;
        long rssBeforeKiB;
        long rssAfterKiB;
        long attachMicros;
        long anonGrowthKiB;
        long shmemGrowthKiB;
        int buffersChecked;
        int buffersInArena;
        String[] result;
        final Map<Integer, int[]> neighbours = new HashMap<>();
        long progress;
        Integer exit;
        String failure;

        Worker(int index, boolean attachOnly) {
            this.index = index;
            this.attachOnly = attachOnly;
        }

        boolean ok() {
            return (result != null || attachOnly) && exit != null && exit == 0;
        }

        long growthKiB() {
            return rssAfterKiB - rssBeforeKiB;
        }

        long field(int i) {
            return Long.parseLong(result[i]);
        }
    }

    /** One mode's run. */
    private record Run(String mode, List<Worker> workers, double readySeconds, double totalSeconds, int sendFailures,
                       boolean timedOut) {
        boolean allOk() {
            return !timedOut && workers.stream().allMatch(Worker::ok);
        }

        boolean allReady() {
            return workers.stream().allMatch(w -> w.readySeconds != null);
        }

        double sum() {
            double s = 0;
            for (Worker w : workers) {
                s += Double.longBitsToDouble(Long.parseUnsignedLong(w.result[2], 16));
            }
            return s;
        }

        long distances() {
            return workers.stream().mapToLong(w -> w.field(3)).sum();
        }

        String checksum() {
            long h = 0;
            for (Worker w : workers) {
                h = h * 31 + Long.parseUnsignedLong(w.result[4], 16);
            }
            return String.format("%016x", h);
        }

        long sumOf(int field) {
            return workers.stream().filter(w -> w.result != null).mapToLong(w -> w.field(field)).sum();
        }

        double meanSeconds(int field) {
            return workers.stream().filter(w -> w.result != null).mapToLong(w -> w.field(field)).average()
                    .orElse(0) / 1000;
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

            Map<String, Run> runs = new LinkedHashMap<>();
            int[] sample = attachOnly ? new int[0] : KnnPoints.sample(points, recallSample, seed);
            int[][] exact;
            double exactMean;
            try (StoredTable table = arrow.read(id, QuiverClient.NO_WAIT)) {
                for (String each : modes) {
                    runs.put(each, run(each, store.socket(), id, table, allocator, dir, out, err));
                }
                out.println();
                KnnPoints all = KnnPoints.of(table.batches());
                t = System.nanoTime();
                exact = new int[sample.length][];
                double[] distance = new double[sample.length];
                IntStream.range(0, sample.length).parallel().forEach(s -> {
                    exact[s] = bruteForce(all, sample[s], k);
                    for (int id2 : exact[s]) {
                        distance[s] += all.distance(sample[s], id2);
                    }
                });
                exactMean = Arrays.stream(distance).sum() / ((double) sample.length * k);
                if (!attachOnly) {
                    out.printf(Locale.ROOT, "Exact neighbours of %d sampled queries by brute force in %.2f s.%n",
                            sample.length, (System.nanoTime() - t) / 1e9);
                }
            }
            String references = references(client, id);
            return summary(out, runs, tableBytes, sample, exact, exactMean, references);
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

    /** Starts the workers of one mode, serves them copies if the mode says so, and collects their reports. */
    private Run run(String runMode, Path storeSocket, ObjectId id, StoredTable table, BufferAllocator allocator,
                    Path dir, PrintWriter out, PrintWriter err) throws Exception {
        out.println();
        out.printf(Locale.ROOT, "%s: starting %d workers%s%n", runMode, workers, runMode.equals(COPY)
                ? "; each receives its own copy of the table (Arrow IPC over a Unix socket) before it computes"
                : "; each reads the table in place from the store's shared memory");
        out.flush();
        ServerSocketChannel server = null;
        AtomicInteger sendFailures = new AtomicInteger();
        Path workerSocket = storeSocket;
        if (runMode.equals(COPY)) {
            workerSocket = dir.resolve("copies.sock");
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(workerSocket));
            ServerSocketChannel s = server;
            Thread.ofPlatform().daemon().name("knn-copies").start(() -> serveCopies(s, table, allocator, sendFailures));
        }
        List<Worker> reports = new ArrayList<>();
        List<Process> processes = new ArrayList<>();
        LinkedBlockingQueue<Line> lines = new LinkedBlockingQueue<>();
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        double lastReady = 0;
        double lastExit = 0;
        boolean timedOut = false;
        try {
            for (int i = 0; i < workers; i++) {
                reports.add(new Worker(i, attachOnly));
                KnnWorker.Params p = new KnnWorker.Params(runMode, workerSocket, id, i, workers, k, m, beamWidth, ef,
                        recallSample, seed, i == crashWorker, attachOnly);
                Process process = new ProcessBuilder(ChildProcess.command(WORKER_JVM_OPTIONS, KnnWorker.class,
                        p.toArgs().toArray(String[]::new))).start();
                processes.add(process);
                follow(i, process, lines, err);
            }
            int exited = 0;
            int ready = 0;
            long queriesDone = 0;
            int lastTenth = 0;
            while (exited < workers) {
                Line l = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                double now = (System.nanoTime() - started) / 1e9;
                if (l == null) {
                    timedOut = true;
                    break;
                }
                Worker w = reports.get(l.worker());
                String[] f = l.text().split(" ");
                switch (f[0]) {
                    case "READY" -> {
                        w.readySeconds = now;
                        w.rssBeforeKiB = Long.parseLong(f[1]);
                        w.rssAfterKiB = Long.parseLong(f[2]);
                        w.buffersChecked = Integer.parseInt(f[3]);
                        w.buffersInArena = Integer.parseInt(f[4]);
                        w.attachMicros = Long.parseLong(f[7]);
                        w.anonGrowthKiB = Long.parseLong(f[8]);
                        w.shmemGrowthKiB = Long.parseLong(f[9]);
                        lastReady = now;
                        if (++ready == workers) {
                            out.printf(Locale.ROOT, "  every worker can compute after %.2f s%n", now);
                            out.flush();
                        }
                    }
                    case "PROGRESS" -> {
                        queriesDone += Long.parseLong(f[1]) - w.progress;
                        w.progress = Long.parseLong(f[1]);
                        int tenth = (int) (10 * queriesDone / points);
                        if (tenth > lastTenth) {
                            lastTenth = tenth;
                            out.printf(Locale.ROOT, "  queries answered: %3d%% after %.1f s%n", 10 * tenth, now);
                            out.flush();
                        }
                    }
                    case "NN" -> w.neighbours.put(Integer.parseInt(f[1]),
                            Arrays.stream(f, 2, f.length).mapToInt(Integer::parseInt).toArray());
                    case "RESULT" -> w.result = Arrays.copyOfRange(f, 1, f.length);
                    case "EXIT" -> {
                        w.exit = Integer.parseInt(f[1]);
                        lastExit = now;
                        exited++;
                        if (w.exit != 0 || (w.result == null && !attachOnly)) {
                            w.failure = "worker " + w.index + " exited with status " + w.exit
                                    + (w.result == null ? " before reporting a result" : "");
                            out.println("  " + w.failure);
                            out.flush();
                        }
                    }
                    default -> { }
                }
            }
        } finally {
            for (Process p : processes) {
                p.destroyForcibly();
            }
            if (server != null) {
                server.close();
            }
        }
        if (timedOut) {
            for (Worker w : reports) {
                if (w.exit == null) {
                    w.failure = "worker " + w.index + " did not finish within " + timeout.toMinutes()
                            + " minutes and was killed";
                    out.println("  " + w.failure);
                }
            }
        }
        return new Run(runMode, reports, lastReady, lastExit, sendFailures.get(), timedOut);
    }

    /** Accepts the workers' connections and sends each its own copy of the table, all at once. */
    private static void serveCopies(ServerSocketChannel server, StoredTable table, BufferAllocator allocator,
                                    AtomicInteger failures) {
        while (true) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                failures.incrementAndGet();
                return;
            }
            Thread.ofPlatform().daemon().name("knn-copy").start(() -> {
                try {
                    sendCopy(c, table, allocator);
                } catch (IOException | RuntimeException e) {
                    failures.incrementAndGet(); // a worker that died while receiving: reported by its exit status
                }
            });
        }
    }

    /** Serializes the table as an Arrow IPC stream into the socket (Arrow writes buffers straight from memory). */
    private static void sendCopy(SocketChannel c, StoredTable table, BufferAllocator allocator) throws IOException {
        try (c; VectorSchemaRoot carrier = VectorSchemaRoot.create(table.schema(), allocator);
             ArrowStreamWriter writer = new ArrowStreamWriter(carrier,
                     new DictionaryProvider.MapDictionaryProvider(), c)) {
            writer.start();
            VectorLoader loader = new VectorLoader(carrier);
            for (VectorSchemaRoot batch : table.batches()) {
                try (ArrowRecordBatch rb = new VectorUnloader(batch).getRecordBatch()) {
                    loader.load(rb);
                }
                writer.writeBatch();
            }
            writer.end();
        }
    }

    /** Forwards a worker's stdout lines to the queue, then {@code EXIT status}; its stderr to ours, minus noise. */
    private static void follow(int worker, Process p, LinkedBlockingQueue<Line> lines, PrintWriter err) {
        Thread.ofPlatform().daemon().name("knn-worker-" + worker).start(() -> {
            try (BufferedReader in = reader(p.getInputStream())) {
                for (String s; (s = in.readLine()) != null; ) {
                    lines.add(new Line(worker, s));
                }
            } catch (IOException e) {
                // the pipe broke: the exit status tells the rest
            }
            try {
                lines.add(new Line(worker, "EXIT " + p.waitFor()));
            } catch (InterruptedException e) {
                lines.add(new Line(worker, "EXIT -1"));
            }
        });
        Thread.ofPlatform().daemon().name("knn-worker-" + worker + "-log").start(() -> {
            try (BufferedReader in = reader(p.getErrorStream())) {
                for (String s; (s = in.readLine()) != null; ) {
                    if (!s.equals(INCUBATOR_WARNING)) {
                        synchronized (err) {
                            err.println("worker " + worker + ": " + s);
                            err.flush();
                        }
                    }
                }
            } catch (IOException e) {
                // the worker is gone
            }
        });
    }

    private static BufferedReader reader(InputStream in) {
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    /** The exact k nearest neighbours of point {@code q} (itself excluded), nearest first. */
    static int[] bruteForce(KnnPoints points, int q, int k) {
        float[] query = new float[points.dims()];
        points.read(q, query);
        double[] best = new double[k];
        int[] ids = new int[k];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        Arrays.fill(ids, -1);
        for (int i = 0; i < points.size(); i++) {
            if (i == q) {
                continue;
            }
            double d = points.squaredDistance(query, i);
            if (d < best[k - 1]) {
                int j = k - 1;
                while (j > 0 && best[j - 1] > d) {
                    best[j] = best[j - 1];
                    ids[j] = ids[j - 1];
                    j--;
                }
                best[j] = d;
                ids[j] = i;
            }
        }
        return ids;
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

    private int summary(PrintWriter out, Map<String, Run> runs, long tableBytes, int[] sample, int[][] exact,
                        double exactMean, String references) {
        List<String> checks = new ArrayList<>();
        double diagonal = Math.sqrt(dims);
        Map<String, Double> recalls = new HashMap<>();
        for (Run r : runs.values()) {
            recalls.put(r.mode(), recall(r, sample, exact));
        }
        out.println();
        List<String> header = new ArrayList<>(List.of("MEASURE"));
        runs.keySet().forEach(s -> header.add(s.toUpperCase(Locale.ROOT)));
        Table t = new Table(header.toArray(String[]::new));
        row(t, runs, "workers that finished", r -> r.workers().stream().filter(Worker::ok).count() + " of " + workers);
        row(t, runs, "time until every worker could compute", r -> r.allReady() ? seconds(r.readySeconds()) : "-");
        row(t, runs, "total time (start to last exit)", r -> seconds(r.totalSeconds()));
        row(t, runs, "getting the table, slowest worker", r -> String.format(Locale.ROOT, "%.3f s", r.workers()
                .stream().mapToLong(w -> w.attachMicros).max().orElse(0) / 1e6));
        row(t, runs, "table bytes each worker received", r -> r.mode().equals(COPY) ? Sizes.format(tableBytes) : "0 B");
        row(t, runs, "RSS growth on attach, largest", r -> kib(r.workers().stream()
                .filter(w -> w.readySeconds != null).mapToLong(Worker::growthKiB).max().orElse(0)));
        row(t, runs, "  private (RssAnon), largest", r -> kib(r.workers().stream()
                .filter(w -> w.readySeconds != null).mapToLong(w -> w.anonGrowthKiB).max().orElse(0)));
        row(t, runs, "  store pages touched (RssShmem), largest", r -> kib(r.workers().stream()
                .filter(w -> w.readySeconds != null).mapToLong(w -> w.shmemGrowthKiB).max().orElse(0)));
        if (!attachOnly) {
            row(t, runs, "peak RSS (VmHWM), sum of workers", r -> kib(r.sumOf(7)));
            row(t, runs, "  resident store pages (RssShmem), sum", r -> kib(r.sumOf(9)));
            row(t, runs, "  private memory (RssAnon), sum", r -> kib(r.sumOf(8)));
            row(t, runs, "PSS (shared pages split), sum", r -> kib(r.sumOf(10)));
            row(t, runs, "index build, mean per worker", r -> seconds(r.meanSeconds(5)));
            row(t, runs, "queries, mean per worker", r -> seconds(r.meanSeconds(6)));
            row(t, runs, "CPU time of computing, sum of workers", r -> seconds(r.sumOf(12) / 1000.0));
            row(t, runs, "mean distance to the " + k + " nearest", r -> r.allOk()
                    ? String.format(Locale.ROOT, "%.9f", r.sum() / r.distances()) : "-");
            row(t, runs, "recall@" + k + " (" + sample.length + " sampled queries)",
                    r -> r.allOk() ? String.format(Locale.ROOT, "%.4f", recalls.get(r.mode())) : "-");
            row(t, runs, "result checksum", r -> r.allOk() ? r.checksum() : "-");
        }
        t.print(out);
        if (!attachOnly) {
            out.printf(Locale.ROOT, "exact mean distance to the %d nearest over the sampled queries: %.9f; the cube's "
                    + "diagonal: %.4f%n", k, exactMean, diagonal);
            out.println("RssShmem counts the store's pages once per worker that touched them; they are one copy in "
                    + "memory (PSS splits them among the processes that map them).");
        }
        out.println();
        Table w = new Table("MODE", "WORKER", "READY S", "RSS BEFORE", "RSS AFTER", "GROWTH", "BUFFERS IN ARENA",
                "BUILD S", "QUERY S", "PEAK RSS", "EXIT");
        for (Run r : runs.values()) {
            for (Worker x : r.workers()) {
                w.row(r.mode(), x.index, x.readySeconds == null ? "-" : String.format(Locale.ROOT, "%.2f", x.readySeconds),
                        kib(x.rssBeforeKiB), kib(x.rssAfterKiB), kib(x.growthKiB()),
                        r.mode().equals(ZERO_COPY) ? x.buffersInArena + " of " + x.buffersChecked : "-",
                        x.result == null ? "-" : String.format(Locale.ROOT, "%.2f", x.field(5) / 1000.0),
                        x.result == null ? "-" : String.format(Locale.ROOT, "%.2f", x.field(6) / 1000.0),
                        x.result == null ? "-" : kib(x.field(7)), x.exit == null ? "killed" : x.exit);
            }
        }
        w.print(out);
        out.println();

        for (Run r : runs.values()) {
            List<String> failures = r.workers().stream().map(x -> x.failure).filter(f -> f != null).toList();
            checks.add(check(r.allOk(),
                    r.mode() + ": every worker finished" + (failures.isEmpty() ? "" : " (" + String.join("; ",
                            failures) + ")") + (r.sendFailures() > 0 ? "; " + r.sendFailures()
                            + " cop" + (r.sendFailures() == 1 ? "y" : "ies") + " could not be sent" : "")));
        }
        Run zero = runs.get(ZERO_COPY);
        Run copy = runs.get(COPY);
        if (zero != null) {
            boolean inside = zero.workers().stream().filter(x -> x.readySeconds != null)
                    .allMatch(x -> x.buffersChecked > 0 && x.buffersInArena == x.buffersChecked);
            int total = zero.workers().stream().mapToInt(x -> x.buffersChecked).sum();
            checks.add(check(inside && zero.allReady(), "zero-copy: every column buffer of every worker lies inside "
                    + "its mapping of the store's arena (" + total + " buffers, by address)"));
        }
        long tableKiB = tableBytes / 1024;
        if (tableBytes >= JUDGE_MEMORY_FROM_BYTES) {
            if (zero != null) {
                long most = zero.workers().stream().mapToLong(Worker::growthKiB).max().orElse(0);
                checks.add(check(zero.allReady() && most < tableKiB / 2, "zero-copy: no worker's resident memory grew "
                        + "by the table's size on attaching (largest growth " + kib(most) + ", table "
                        + Sizes.format(tableBytes) + ")"));
            }
            if (copy != null) {
                long least = copy.workers().stream().mapToLong(Worker::growthKiB).min().orElse(0);
                checks.add(check(copy.allReady() && least >= tableKiB * 9 / 10, "copy: every worker's resident memory "
                        + "grew by at least the table's size on receiving it (smallest growth " + kib(least) + ")"));
            }
        } else {
            checks.add("  -    resident memory not judged: the table (" + Sizes.format(tableBytes) + ") is smaller than "
                    + Sizes.format(JUDGE_MEMORY_FROM_BYTES) + ", within a JVM's own growth");
        }
        if (!attachOnly) {
            for (Run r : runs.values()) {
                if (!r.allOk()) {
                    checks.add("  -    " + r.mode() + ": recall and mean distance not judged: not every worker "
                            + "answered its queries");
                    continue;
                }
                double recall = recalls.get(r.mode());
                checks.add(check(recall >= MIN_RECALL, String.format(Locale.ROOT,
                        "%s: recall@%d against exact brute force is %.4f (at least %.2f)", r.mode(), k, recall,
                        MIN_RECALL)));
                double mean = r.sum() / r.distances();
                checks.add(check(mean > 0 && mean <= diagonal && r.distances() == (long) points * k,
                        String.format(Locale.ROOT, "%s: the mean distance %.6f is plausible (positive, at most the "
                                + "cube's diagonal %.4f, over %d x %d neighbours)", r.mode(), mean, diagonal,
                                points, k)));
            }
            if (zero != null && copy != null && !(zero.allOk() && copy.allOk())) {
                checks.add("  -    agreement of the two modes not judged: not every worker answered its queries");
            } else if (zero != null && copy != null) {
                boolean agree = Double.doubleToRawLongBits(zero.sum()) == Double.doubleToRawLongBits(copy.sum())
                        && zero.checksum().equals(copy.checksum())
                        && zero.workers().stream().allMatch(x -> sameNeighbours(x.neighbours,
                        copy.workers().get(x.index).neighbours));
                checks.add(check(agree, "both modes give exactly the same answers (every neighbour of every query, "
                        + "the sum of distances bit for bit)"));
            }
        }
        String[] ref = references.split(" ");
        checks.add(check(!ref[0].equals("held"), switch (ref[0]) {
            case "ok" -> "the store holds no reference to the table after the run (list: refCount " + ref[1] + ")";
            case "late" -> "the store released the last " + ref[1] + " reference(s) of dead workers once it saw their "
                    + "connections close";
            default -> "the store still holds " + ref[1] + " reference(s) to the table 30 s after the run";
        }));
        checks.forEach(out::println);
        boolean ok = checks.stream().noneMatch(c -> c.startsWith("  FAIL"));
        out.println(ok ? "All checks passed." : "CHECK FAILED.");
        out.flush();
        return ok ? 0 : 1;
    }

    private static boolean sameNeighbours(Map<Integer, int[]> a, Map<Integer, int[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        return a.keySet().stream().allMatch(q -> Arrays.equals(a.get(q), b.get(q)));
    }

    /** Recall@k over the sampled queries the mode's workers answered. */
    private double recall(Run r, int[] sample, int[][] exact) {
        long hits = 0;
        long expected = 0;
        for (int s = 0; s < sample.length; s++) {
            int q = sample[s];
            int[] got = null;
            for (Worker w : r.workers()) {
                got = got != null ? got : w.neighbours.get(q);
            }
            expected += k;
            if (got == null) {
                continue;
            }
            Set<Integer> found = new HashSet<>();
            for (int id : got) {
                found.add(id);
            }
            for (int id : exact[s]) {
                hits += found.contains(id) ? 1 : 0;
            }
        }
        return expected == 0 ? 0 : (double) hits / expected;
    }

    private static void row(Table t, Map<String, Run> runs, String what, java.util.function.Function<Run, String> f) {
        List<Object> cells = new ArrayList<>();
        cells.add(what);
        runs.values().forEach(r -> cells.add(f.apply(r)));
        t.row(cells.toArray());
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.2f s", s);
    }

    private static String kib(long kib) {
        return kib < 0 ? "-" + Sizes.format(-kib * 1024) : Sizes.format(kib * 1024);
    }

    private static long roundUpToMiB(long bytes) {
        return (bytes + (1L << 20) - 1) & -(1L << 20);
    }

    private static String check(boolean ok, String what) {
        return (ok ? "  ok   " : "  FAIL ") + what;
    }
}
