package dev.quiver.examples.knn;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.StoredTable;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import dev.quiver.testkit.ProcessMemory;
import io.github.jbellis.jvector.graph.GraphIndexBuilder;
import io.github.jbellis.jvector.graph.GraphSearcher;
import io.github.jbellis.jvector.graph.ImmutableGraphIndex;
import io.github.jbellis.jvector.graph.RandomAccessVectorValues;
import io.github.jbellis.jvector.graph.SearchResult;
import io.github.jbellis.jvector.graph.similarity.BuildScoreProvider;
import io.github.jbellis.jvector.graph.similarity.DefaultSearchScoreProvider;
import io.github.jbellis.jvector.util.Bits;
import io.github.jbellis.jvector.vector.VectorSimilarityFunction;
import io.github.jbellis.jvector.vector.VectorizationProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.util.TransferPair;

/**
 * A worker process of {@code quiver demo knn}. It gets the table of points, either zero-copy from the store
 * ({@code mode=zero-copy}) or as its own copy, an Arrow IPC stream received over a Unix socket from the coordinator
 * ({@code mode=copy}); builds a JVector graph index over all points, reading them where they lie; answers the
 * k-nearest-neighbour query of every point of its slice (itself excluded); and reports, one line each:
 *
 * <pre>
 * READY rss_before_kib rss_after_kib buffers_checked buffers_in_arena points dims attach_us anon_growth_kib
 *       shmem_growth_kib                (it has the table and can start computing)
 * PROGRESS queries_done
 * NN query id1 ... idk                  (for the sampled queries of its slice, for the coordinator's recall check)
 * RESULT from to sum_of_distances_bits_hex distances checksum_hex build_ms query_ms hwm_kib anon_kib shmem_kib pss_kib
 *        simd_provider cpu_ms
 * </pre>
 *
 * <p>Memory figures are {@code -} where this system does not report them (not Linux): the coordinator then skips the
 * memory checks instead of judging zeros.
 *
 * <p>Everything it computes is a pure function of the points and the parameters: the index is built on one thread,
 * in point order, so both modes give bit-identical answers.
 */
public final class KnnWorker {
    /** JVector logs its choice of SIMD implementation through java.util.logging; kept referenced to stay quiet. */
    private static final Logger JVECTOR_LOG = Logger.getLogger("io.github.jbellis.jvector");

    private KnnWorker() {}

    /** The worker's parameters, {@code key=value} arguments. */
    record Params(String mode, Path socket, ObjectId table, int worker, int workers, int k, int m, int beamWidth,
                  int ef, int sampleSize, long sampleSeed, boolean crash, boolean attachOnly) {
        static Params parse(String[] args) {
            Map<String, String> a = new HashMap<>();
            for (String arg : args) {
                int eq = arg.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("expected key=value, got " + arg);
                }
                a.put(arg.substring(0, eq), arg.substring(eq + 1));
            }
            return new Params(a.get("mode"), Path.of(a.get("socket")), ObjectId.fromHex(a.get("table")),
                    Integer.parseInt(a.get("worker")), Integer.parseInt(a.get("workers")), Integer.parseInt(a.get("k")),
                    Integer.parseInt(a.get("m")), Integer.parseInt(a.get("beam")), Integer.parseInt(a.get("ef")),
                    Integer.parseInt(a.get("sample")), Long.parseLong(a.get("sample-seed")),
                    Boolean.parseBoolean(a.get("crash")), Boolean.parseBoolean(a.get("attach-only")));
        }

        List<String> toArgs() {
            return List.of("mode=" + mode, "socket=" + socket, "table=" + table.toString(), "worker=" + worker,
                    "workers=" + workers, "k=" + k, "m=" + m, "beam=" + beamWidth, "ef=" + ef,
                    "sample=" + sampleSize, "sample-seed=" + sampleSeed, "crash=" + crash, "attach-only=" + attachOnly);
        }
    }

    public static void main(String[] args) throws Exception {
        JVECTOR_LOG.setLevel(Level.WARNING);
        Params p = Params.parse(args);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        try (BufferAllocator allocator = new RootAllocator(); Source source = Source.open(p, allocator)) {
            long fetching = System.nanoTime();
            try (Attached table = source.attach()) {
                long attachMicros = (System.nanoTime() - fetching) / 1000;
                Optional<ProcessMemory> before = source.before();
                Optional<ProcessMemory> after = ProcessMemory.read();
                KnnPoints points = KnnPoints.of(table.batches());
                boolean known = before.isPresent() && after.isPresent();
                out.printf("READY %s %s %d %d %d %d %d %s %s%n", kib(before.map(ProcessMemory::rssKiB)),
                        kib(after.map(ProcessMemory::rssKiB)), table.buffersChecked(), table.buffersInArena(),
                        points.size(), points.dims(), attachMicros,
                        known ? after.get().anonKiB() - before.get().anonKiB() : "-",
                        known ? after.get().shmemKiB() - before.get().shmemKiB() : "-");
                out.flush();
                if (p.crash()) {
                    // The test hook: die abruptly, holding what this worker holds (no cleanup, no shutdown hooks).
                    Runtime.getRuntime().halt(3);
                }
                if (!p.attachOnly()) {
                    compute(p, points, out);
                }
            }
        }
        out.flush();
    }

    private static void compute(Params p, KnnPoints points, PrintStream out) throws Exception {
        int n = points.size();
        int from = (int) ((long) n * p.worker() / p.workers());
        int to = (int) ((long) n * (p.worker() + 1) / p.workers());
        long started = System.nanoTime();
        long cpuStarted = cpuNanos();
        ImmutableGraphIndex graph = build(points, p);
        long built = System.nanoTime();

        int[] sample = KnnPoints.sample(n, p.sampleSize(), p.sampleSeed());
        int nextSample = 0; // the sample is sorted: skip the ids below this worker's slice
        while (nextSample < sample.length && sample[nextSample] < from) {
            nextSample++;
        }
        RandomAccessVectorValues vectors = points.vectorValues();
        double sum = 0;
        long distances = 0;
        long checksum = 0x9E3779B97F4A7C15L;
        int reportEvery = Math.max(1, (to - from) / 10);
        int[] neighbours = new int[p.k()];
        try (GraphSearcher searcher = new GraphSearcher(graph)) {
            for (int q = from; q < to; q++) {
                var query = vectors.getVector(q).copy();
                SearchResult result = searcher.search(
                        DefaultSearchScoreProvider.exact(query, VectorSimilarityFunction.EUCLIDEAN, vectors),
                        p.k() + 1, Math.max(p.ef(), p.k() + 1), 0f, 0f, Bits.ALL);
                int found = 0;
                for (SearchResult.NodeScore ns : result.getNodes()) {
                    if (ns.node != q && found < p.k()) {
                        neighbours[found++] = ns.node;
                    }
                }
                checksum = checksum * 0x100000001B3L + q;
                for (int j = 0; j < found; j++) {
                    sum += points.distance(q, neighbours[j]);
                    checksum = checksum * 0x100000001B3L + neighbours[j];
                }
                distances += found;
                if (nextSample < sample.length && sample[nextSample] == q) {
                    StringBuilder line = new StringBuilder("NN ").append(q);
                    for (int j = 0; j < found; j++) {
                        line.append(' ').append(neighbours[j]);
                    }
                    out.println(line);
                    while (nextSample < sample.length && sample[nextSample] == q) {
                        nextSample++;
                    }
                }
                if ((q - from + 1) % reportEvery == 0) {
                    out.println("PROGRESS " + (q - from + 1));
                    out.flush();
                }
            }
        }
        long answered = System.nanoTime();
        Optional<ProcessMemory> m = ProcessMemory.read();
        out.printf("RESULT %d %d %s %d %s %d %d %s %s %s %s %s %d%n", from, to,
                Long.toHexString(Double.doubleToRawLongBits(sum)), distances, Long.toHexString(checksum),
                (built - started) / 1_000_000, (answered - built) / 1_000_000, kib(m.map(ProcessMemory::hwmKiB)),
                kib(m.map(ProcessMemory::anonKiB)), kib(m.map(ProcessMemory::shmemKiB)),
                kib(m.map(ProcessMemory::pssKiB)), VectorizationProvider.getInstance().getClass().getSimpleName(),
                (cpuNanos() - cpuStarted) / 1_000_000);
        out.flush();
    }

    /** A memory figure, or {@code -} where this system does not report it. */
    private static String kib(Optional<Long> kib) {
        return kib.map(String::valueOf).orElse("-");
    }

    /** CPU time of this process so far (all its threads: the computing one, the JIT compilers, the collector). */
    private static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    /**
     * Builds the graph over all points on a single thread, inserting them in order: JVector's builder is concurrent,
     * and its graph depends on the interleaving of insertions; one thread makes it a function of the points alone.
     */
    @SuppressWarnings("deprecation") // JVector 4.0.2's Builder has no switch for the hierarchy; this constructor does
    static ImmutableGraphIndex build(KnnPoints points, Params p) throws Exception {
        ForkJoinPool one = new ForkJoinPool(1);
        try {
            return one.submit(() -> {
                RandomAccessVectorValues vectors = points.vectorValues();
                GraphIndexBuilder builder = new GraphIndexBuilder(
                        BuildScoreProvider.randomAccessScoreProvider(vectors, VectorSimilarityFunction.EUCLIDEAN),
                        points.dims(), p.m(), p.beamWidth(), 1.2f, 1.2f, true, true, one, one);
                for (int i = 0; i < points.size(); i++) {
                    builder.addGraphNode(i, vectors);
                }
                builder.cleanup();
                return builder.getGraph();
            }).get();
        } finally {
            one.shutdownNow();
        }
    }

    /** The table, attached zero-copy or received as a copy, with the proof of where its buffers lie. */
    private interface Attached extends AutoCloseable {
        List<VectorSchemaRoot> batches();

        int buffersChecked();

        int buffersInArena();

        @Override
        void close();
    }

    /**
     * Where the table comes from: the store (a connected client) or the coordinator (a connected socket). The
     * resident memory "before" is read once connected, right before the table is fetched, so that the growth it is
     * compared with is the table's, not the JVM's start-up (the classes of the Arrow vectors are loaded first too).
     */
    private record Source(Params params, BufferAllocator allocator, QuiverClient client, SocketChannel channel,
                          Optional<ProcessMemory> before) implements AutoCloseable {
        static Source open(Params p, BufferAllocator allocator) throws IOException {
            VectorSchemaRoot.create(KnnPoints.schema(1), allocator).close();
            return switch (p.mode()) {
                case "zero-copy" -> new Source(p, allocator, QuiverClient.connect(p.socket()), null, ProcessMemory.read());
                case "copy" -> new Source(p, allocator, null,
                        SocketChannel.open(UnixDomainSocketAddress.of(p.socket())), ProcessMemory.read());
                default -> throw new IllegalArgumentException("unknown mode " + p.mode());
            };
        }

        Attached attach() throws IOException {
            return client != null ? attachZeroCopy(params, client, allocator) : receiveCopy(channel, allocator);
        }

        @Override
        public void close() throws IOException {
            if (client != null) {
                client.close();
            }
            if (channel != null) {
                channel.close();
            }
        }
    }

    private static Attached attachZeroCopy(Params p, QuiverClient client, BufferAllocator allocator) {
        StoredTable table = new ArrowStore(client, allocator).read(p.table(), QuiverClient.NO_WAIT);
        long base = client.arenaAddress();
        long end = base + client.capacity();
        int checked = 0;
        int inside = 0;
        for (VectorSchemaRoot batch : table.batches()) {
            for (FieldVector v : KnnPoints.allVectors(batch)) {
                for (ArrowBuf b : v.getFieldBuffers()) {
                    if (b.capacity() > 0) {
                        checked++;
                        if (b.memoryAddress() >= base && b.memoryAddress() + b.capacity() <= end) {
                            inside++;
                        }
                    }
                }
            }
        }
        int c = checked;
        int in = inside;
        return new Attached() {
            @Override
            public List<VectorSchemaRoot> batches() {
                return table.batches();
            }

            @Override
            public int buffersChecked() {
                return c;
            }

            @Override
            public int buffersInArena() {
                return in;
            }

            @Override
            public void close() {
                table.close();
            }
        };
    }

    /** Receives the coordinator's Arrow IPC stream into buffers of this process: its own copy of the table. */
    private static Attached receiveCopy(SocketChannel channel, BufferAllocator allocator) throws IOException {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        try (ArrowStreamReader reader = new ArrowStreamReader(channel, allocator)) {
            while (reader.loadNextBatch()) {
                VectorSchemaRoot loaded = reader.getVectorSchemaRoot();
                List<FieldVector> own = new ArrayList<>();
                for (FieldVector v : loaded.getFieldVectors()) {
                    TransferPair t = v.getTransferPair(allocator);
                    t.transfer();
                    own.add((FieldVector) t.getTo());
                }
                batches.add(new VectorSchemaRoot(loaded.getSchema().getFields(), own, loaded.getRowCount()));
            }
        } catch (IOException | RuntimeException e) {
            batches.forEach(VectorSchemaRoot::close);
            throw e;
        }
        return new Attached() {
            @Override
            public List<VectorSchemaRoot> batches() {
                return batches;
            }

            @Override
            public int buffersChecked() {
                return 0;
            }

            @Override
            public int buffersInArena() {
                return 0;
            }

            @Override
            public void close() {
                batches.forEach(VectorSchemaRoot::close);
            }
        };
    }
}
