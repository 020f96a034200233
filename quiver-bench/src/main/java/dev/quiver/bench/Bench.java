package dev.quiver.bench;


import dev.quiver.arrow.Shelf;
import dev.quiver.client.QuiverClient;
import dev.quiver.flight.FlightSettings;
import dev.quiver.flight.QuiverFlightServer;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The multi-process benchmark behind {@code quiver bench} and BENCHMARKS.md: Quiver measured side by side with the
 * physical limit (memcpy, summing memory) and the alternatives (a socket copy), in one run, on one machine.
 *
 * <p>Processes: this one (the harness) runs an embedded store with its Flight endpoint, the baselines' servers (a
 * Unix socket, Arrow Flight, and for the streams an Aeron media driver and an embedded Kafka broker) and the put
 * section; worker JVMs
 * ({@link BenchWorker}) are the other processes that read objects, run the small-object loops, take the table and
 * consume the streams.
 * The harness waits for each worker's answer line, never for a time.
 *
 * <pre>{@code
 * Results r = Bench.run(Options.quick(), new PrintWriter(System.out, true));   // writes the Markdown report
 * }</pre>
 */
public final class Bench {
    private Bench() {}

    /** {@code Bench [--quick] [--out FILE] [--charts DIR]}: writes the report to FILE or stdout, progress to stderr. */
    public static void main(String[] args) throws IOException {
        Options options = Options.full();
        Path outFile = null;
        Path charts = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> options = Options.quick();
                case "--out" -> outFile = Path.of(value(args, ++i, "--out"));
                case "--charts" -> charts = Path.of(value(args, ++i, "--charts"));
                default -> {
                    System.err.println("usage: Bench [--quick] [--out FILE] [--charts DIR]; unknown argument "
                            + args[i]);
                    System.exit(2);
                }
            }
        }
        options = options.withCommand(("dev.quiver.bench.Bench " + String.join(" ", args)).trim())
                .withCharts(charts, outFile).withProgress(line -> System.err.println("bench: " + line));
        try (PrintWriter out = outFile == null
                ? new PrintWriter(System.out, true, StandardCharsets.UTF_8)
                : new PrintWriter(Files.newBufferedWriter(outFile, StandardCharsets.UTF_8))) {
            run(options, out);
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /**
     * Runs every section and writes the Markdown report to {@code out} (and the charts, if the options ask).
     *
     * @throws BenchException if a step fails, with the step and, for a worker, the end of its log
     */
    public static Results run(Options o, PrintWriter out) throws IOException {
        Results results = measure(o, false);
        if (o.chartsDirectory() != null) {
            o.progress().accept("rendering charts into " + o.chartsDirectory());
            results = results.withCharts(Charts.render(results, o.chartsDirectory()));
        }
        Report.write(results, out);
        return results;
    }

    /**
     * Runs section 5 (streams) alone, with the same settings and processes as in a whole run, and writes its part of
     * the report (the machine and section 5).
     */
    public static Results runStreams(Options o, PrintWriter out) throws IOException {
        Results results = measure(o, true);
        Report.writeStreams(results, out);
        return results;
    }

    private static Results measure(Options o, boolean streamsOnly) throws IOException {
        Machine machine = Machine.read();
        String loadAtStart = Machine.loadAverage();
        Instant start = Instant.now();
        long largest = streamsOnly ? 1 << 20 : o.largestObject(); // the baselines' servers need a source
        Path dir = Files.createTempDirectory("quiver-bench");
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, o.copyThreads()),
                Thread.ofPlatform().daemon().name("copy-", 0).factory());
        Path touchedFile = o.arenaDirectory().resolve("quiver-bench-" + ProcessHandle.current().pid() + ".touched");
        try (Arena arena = Arena.ofShared()) {
            o.progress().accept("touching " + Fmt.size(largest) + " of source data and of the baseline's mapping");
            MemorySegment source = arena.allocate(largest, 64);
            Sums.fill(source);
            MemorySegment touched = streamsOnly ? null : touchedMapping(touchedFile, o.putSizes().stream()
                    .mapToLong(Long::longValue).max().orElseThrow(), arena);

            o.progress().accept("starting a store of " + Fmt.size(o.storeBytes()) + " in " + o.arenaDirectory());
            try (StoreServer store = StoreServer.start(new StoreConfig(o.storeBytes(), dir.resolve("store.sock"),
                    o.arenaDirectory(), false, 0, o.storeIdle()));
                 ByteServer bytes = new ByteServer(dir.resolve("bytes.sock"), source);
                 FlightBaseline flight = new FlightBaseline(source);
                 // the store's own endpoint, as `quiver store --flight 0` attaches it
                 QuiverFlightServer storeFlight = QuiverFlightServer.start(store.socket(), FlightSettings.loopback(0));
                 QuiverClient client = QuiverClient.connect(store.socket());
                 BufferAllocator allocator = new RootAllocator()) {
                // Workers quit before the store and the servers they talk to close.
                List<WorkerProcess> workers = new ArrayList<>();
                try {
                    List<String> args = List.of(store.socket().toString(), bytes.path().toString(), flight.location(),
                            storeFlight.uri().toString());
                    List<WorkerProcess> clients = startWorkers(o, "worker-", o.clientProcesses(), args, Map.of(),
                            workers);
                    Instant measuring = Instant.now();
                    List<GetSweep.Row> get = streamsOnly ? List.of() : GetSweep.run(o, client,
                            Shelf.of(client, allocator), source, flight, clients.getFirst());
                    PutSweep.Result put = streamsOnly ? null : PutSweep.run(o, client, source, touched, pool);
                    List<SmallObjects.Row> small = streamsOnly ? List.of() : SmallObjects.run(o, clients);
                    List<TableHandover.Row> table = streamsOnly ? List.of() : TableHandover.run(o, client,
                            startWorkers(o, "table-worker-", o.tableWorkers(), args, TableHandover.WORKER_ENV, workers),
                            dir);
                    List<StreamSweep.Row> streams = StreamSweep.run(o, client, clients, dir);
                    BenchWorker.drain(client);
                    return new Results(o, machine, start.truncatedTo(ChronoUnit.SECONDS).toString(), loadAtStart,
                            Machine.loadAverage(), store.capacity(), store.prefaultTime(), WorkerProcess.jvmFlags(),
                            Duration.between(measuring, Instant.now()), get, put, small, table, streams, List.of());
                } finally {
                    workers.forEach(WorkerProcess::close);
                }
            }
        } finally {
            pool.shutdownNow();
            Files.deleteIfExists(touchedFile);
            deleteTree(dir);
        }
    }

    /**
     * Starts as many worker processes as the largest of {@code counts} and waits until each is connected; adds them
     * to {@code all} (which the caller closes) as soon as they exist.
     */
    private static List<WorkerProcess> startWorkers(Options o, String prefix, List<Integer> counts, List<String> args,
                                                    Map<String, String> env, List<WorkerProcess> all) {
        int n = counts.stream().mapToInt(Integer::intValue).max().orElseThrow();
        o.progress().accept("starting " + n + " worker processes (" + prefix + "*)");
        List<WorkerProcess> started = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            WorkerProcess w = WorkerProcess.start(prefix + i, BenchWorker.class, args, env);
            all.add(w);
            started.add(w);
        }
        for (WorkerProcess w : started) {
            w.expect("READY", o.stepTimeout());
        }
        return started;
    }

    /** A mapping of a file in the arena directory, every page touched: the destination of the memcpy limit. */
    private static MemorySegment touchedMapping(Path file, long size, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena); // grows the file to size
            m.fill((byte) 1);
            return m;
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory left behind is not worth failing a finished run
        }
    }
}
