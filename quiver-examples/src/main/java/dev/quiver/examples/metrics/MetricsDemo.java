package dev.quiver.examples.metrics;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.cli.DurationConverter;
import dev.quiver.cli.Table;
import dev.quiver.client.QuiverClient;
import dev.quiver.examples.Checks;
import dev.quiver.kafka.Alert;
import dev.quiver.kafka.AlertEvaluator;
import dev.quiver.kafka.AlertPublisher;
import dev.quiver.kafka.AlertRule;
import dev.quiver.kafka.ArrowCodec;
import dev.quiver.kafka.DuckDbSink;
import dev.quiver.kafka.ResultTables;
import dev.quiver.kafka.SeedMetrics;
import dev.quiver.kafka.Stat;
import dev.quiver.kafka.StreamToTopic;
import dev.quiver.kafka.TopicToStream;
import dev.quiver.kafka.WindowResult;
import dev.quiver.kafka.WindowedAggregator;
import dev.quiver.kafka.Windows;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import dev.quiver.testkit.EmbeddedKafka;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quiver demo metrics}: the seed's "Streaming Arrow" pipeline, complete. This host's CPU and memory are sampled
 * (OSHI) into micro-batches with the seed's schema, appended to a Quiver stream, published to Kafka as Arrow IPC files
 * with zstd level 1, bridged from Kafka into a second Quiver stream, and read from there zero-copy by the analytics
 * (event-time windows, alerts to a topic and the log) and by DuckDB. The summary is queried from DuckDB, whose file
 * stays for later queries. The checks: every sample and batch arrived once; every window's sample count equals the
 * count recomputed in DuckDB from the raw samples; the alerts are exactly the windows over a threshold, recomputed
 * from the raw samples; and the alert the demo provokes on purpose arrives. For that, a synthetic device
 * ({@value #BURST_DEVICE}) runs at 100% CPU during the first window of the run, next to this host's real samples, so
 * that the alert path must fire whatever this host is doing. The command exits non-zero if a check fails.
 */
@Command(name = "metrics", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Host metrics through Kafka as Arrow micro-batches: windows, alerts, DuckDB.",
                "Without --bootstrap, runs a real single-node Kafka broker (KRaft) inside the command.",
                "Exits non-zero if a check fails."})
public final class MetricsDemo implements Callable<Integer> {
    private static final Duration GRACE = Duration.ofSeconds(90);
    /** The synthetic device whose CPU burst must raise the cpu-busy alert. */
    static final String BURST_DEVICE = "synthetic-cpu-burst";

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "Kafka cluster to use (default: an embedded broker). Topics are created if missing.")
    String bootstrap;

    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
            description = "How long to sample (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--interval", defaultValue = "100ms", converter = DurationConverter.class,
            description = "Time between samples (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--batch", defaultValue = "10", description = "Samples per micro-batch (default: ${DEFAULT-VALUE}).")
    int batchRows;

    @Option(names = "--window", defaultValue = "5s", converter = DurationConverter.class,
            description = "Window length, event time (default: ${DEFAULT-VALUE}).")
    Duration window;

    @Option(names = "--slide", converter = DurationConverter.class,
            description = "Distance between window starts (default: the window length, tumbling windows).")
    Duration slide;

    @Option(names = "--cpu-alert", defaultValue = "80",
            description = "Alert when CPU use stays above this percentage for a whole window (default: ${DEFAULT-VALUE}).")
    double cpuAlert;

    @Option(names = "--memory-alert", defaultValue = "90",
            description = "Alert when mean memory use over a window is above this percentage (default: ${DEFAULT-VALUE}).")
    double memoryAlert;

    @Option(names = "--topic", defaultValue = "arrow_tables", description = "Topic of the batches (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--alerts-topic", defaultValue = "metric_alerts",
            description = "Topic of the alert events (default: ${DEFAULT-VALUE}).")
    String alertsTopic;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Where the DuckDB file and Parquet copies go (default: a new temporary directory).")
    Path out;

    @Spec
    CommandSpec spec;

    /** What the threads of the pipeline share: counts, and the first failure. */
    private final AtomicLong sampledRows = new AtomicLong();
    private final AtomicLong producedBatches = new AtomicLong();
    private final AtomicLong publishedBatches = new AtomicLong(-1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    @Override
    public Integer call() throws Exception {
        if (batchRows < 1 || duration.isNegative() || duration.isZero() || interval.toMillis() < 1) {
            throw new IllegalArgumentException("need --batch >= 1, a positive --duration and --interval >= 1ms");
        }
        Windows windows = (slide == null ? Windows.tumbling(window) : Windows.sliding(window, slide))
                .withAllowedLateness(window);
        PrintWriter o = spec.commandLine().getOut();
        Path work = out != null ? Files.createDirectories(out) : Files.createTempDirectory("quiver-metrics");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String source = "metrics-" + run;
        String bridged = "metrics-" + run + ".in";
        o.printf(Locale.ROOT, "Metrics demo: sampling this host every %d ms for %s, %d samples per Arrow batch%n",
                interval.toMillis(), human(duration), batchRows);
        o.flush();
        try (StoreServer store = StoreServer.start(StoreConfig.of(256L << 20, work.resolve("store.sock")));
             EmbeddedKafka kafka = bootstrap == null ? EmbeddedKafka.start(work.resolve("kafka-" + run)) : null;
             QuiverClient client = QuiverClient.connect(store.socket());
             BufferAllocator allocator = new RootAllocator()) {
            String servers = kafka != null ? kafka.bootstrapServers() : bootstrap;
            EmbeddedKafka.createTopics(servers, List.of(topic, topic + ".dlq", alertsTopic), 1,
                    kafka != null ? Map.of("max.message.bytes", Integer.toString(EmbeddedKafka.MAX_MESSAGE_BYTES)) : Map.of());
            o.printf("Kafka: %s (%s); topics %s, %s.dlq, %s%n", servers, kafka != null ? "embedded KRaft broker"
                    : "given cluster", topic, topic, alertsTopic);
            o.printf("Quiver store: %s; streams %s -> Kafka -> %s%n", store.socket(), source, bridged);
            o.flush();
            ArrowStore arrow = new ArrowStore(client, allocator);
            Map<TopicPartition, Long> alertsFrom = endOffsets(servers, alertsTopic);
            // A group of this run's own, starting at the topic's end: earlier runs' batches are not this run's data.
            TopicToStream bridge = TopicToStream.builder(arrow, servers, topic, bridged).groupId("quiver-demo-" + run)
                    .consumerConfig(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest")).open();
            Thread bridgeThread = start("bridge", () -> runBridge(bridge));
            Thread publisher = start("publisher", () -> runPublisher(arrow, source, servers));
            Thread sampler = start("sampler", () -> runSampler(arrow, source, allocator));

            List<WindowResult> results = new ArrayList<>();
            List<Alert> alerts = Collections.synchronizedList(new ArrayList<>());
            Path db = work.resolve("metrics.duckdb");
            Files.deleteIfExists(db);
            long batchesLoaded;
            try (AlertPublisher alertEvents = new AlertPublisher(servers, alertsTopic);
                 DuckDbSink duck = DuckDbSink.open(db, allocator)) {
                AlertEvaluator rules = new AlertEvaluator(List.of(
                        AlertRule.above("cpu-busy", "cpu_used", Stat.MIN, cpuAlert),
                        AlertRule.above("memory-high", "memory_used", Stat.MEAN, memoryAlert)), windows,
                        alertEvents.andThen(alerts::add));
                WindowedAggregator agg = new WindowedAggregator(windows, SeedMetrics.METRICS,
                        ((java.util.function.Consumer<WindowResult>) results::add).andThen(rules));
                batchesLoaded = load(o, arrow, bridged, duck, agg);
                agg.finish();
                alertEvents.flush();
                try (VectorSchemaRoot w = ResultTables.windowResults(results, allocator)) {
                    duck.append("window_stats", w);
                }
                try (VectorSchemaRoot a = ResultTables.alerts(alerts, allocator)) {
                    duck.append("alerts", a);
                }
                duck.copyToParquet("metrics", work.resolve("metrics.parquet"));
                duck.copyToParquet("window_stats", work.resolve("window_stats.parquet"));
            } finally {
                for (Thread t : List.of(sampler, publisher, bridgeThread)) {
                    t.join(TimeUnit.SECONDS.toMillis(30));
                }
            }
            long alertEventsSeen = countRecords(servers, alertsTopic, alertsFrom, alerts.size());
            return summary(o, db, work, windows, batchesLoaded, alerts.size(), alertEventsSeen, bridge, allocator);
        }
    }

    /**
     * Samples every interval until the duration is over; a batch every {@code batchRows} samples; then ends the
     * stream. During the first window's length, each sample has a twin of the synthetic burst device at 100% CPU.
     */
    private void runSampler(ArrowStore arrow, String stream, BufferAllocator allocator) {
        HostSampler host = new HostSampler();
        long burstUntil = System.nanoTime() + window.toNanos();
        try (StreamWriter writer = StreamWriter.open(arrow, stream, Retention.batches(10_000))) {
            List<SeedMetrics.Sample> pending = new ArrayList<>();
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            for (long next = start + interval.toNanos(); next <= end && failure.get() == null;
                    next += interval.toNanos()) {
                LockSupport.parkNanos(next - System.nanoTime()); // the sampling clock
                SeedMetrics.Sample sample = host.sample();
                pending.add(sample);
                if (System.nanoTime() < burstUntil) {
                    pending.add(new SeedMetrics.Sample(BURST_DEVICE, sample.tsMicros(), 100f, 0f, sample.memoryUsed(),
                            sample.memoryFree(), sample.runElapsedMs()));
                }
                if (pending.size() >= batchRows || next + interval.toNanos() > end) {
                    try (VectorSchemaRoot batch = SeedMetrics.batch(pending, allocator)) {
                        writer.append(batch);
                    }
                    sampledRows.addAndGet(pending.size());
                    producedBatches.incrementAndGet();
                    pending.clear();
                }
            }
            writer.end();
        }
    }

    /** Publishes the sampled stream to Kafka until it ends. */
    private void runPublisher(ArrowStore arrow, String stream, String servers) {
        try (StreamToTopic pub = StreamToTopic.builder(arrow, stream, servers, topic).codec(ArrowCodec.SEED).open()) {
            while (!pub.ended() && failure.get() == null) {
                pub.pump(Duration.ofMillis(200));
            }
            publishedBatches.set(pub.published());
        }
    }

    /** Bridges Kafka into the local stream until every published batch is in, then ends the local stream. */
    private void runBridge(TopicToStream bridge) {
        try (bridge) {
            long deadline = System.nanoTime() + duration.plus(GRACE).toNanos();
            while (failure.get() == null) {
                long published = publishedBatches.get();
                if (published >= 0 && bridge.sealed() + bridge.deadLettered() >= published) {
                    bridge.end();
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the bridge took " + bridge.sealed() + " of " + published
                            + " batches before the deadline");
                }
                bridge.poll(Duration.ofMillis(200));
            }
        }
    }

    /** Reads the bridged stream zero-copy into DuckDB and the windows until it ends; shows progress. */
    private long load(PrintWriter o, ArrowStore arrow, String stream, DuckDbSink duck, WindowedAggregator agg)
            throws InterruptedException {
        try (StreamReader reader = StreamReader.open(arrow, stream, StreamReader.Start.EARLIEST)) {
            return load(o, reader, duck, agg);
        }
    }

    private long load(PrintWriter o, StreamReader reader, DuckDbSink duck, WindowedAggregator agg) {
        long loaded = 0;
        long rows = 0;
        long nextProgress = System.nanoTime();
        long deadline = System.nanoTime() + duration.plus(GRACE).toNanos();
        while (true) {
            Throwable f = failure.get();
            if (f != null) {
                throw new IllegalStateException("the pipeline stopped: " + f.getMessage(), f);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the demo did not finish within " + human(duration.plus(GRACE)));
            }
            StreamEvent e = reader.next(Duration.ofMillis(250));
            if (e instanceof StreamEvent.Batch b) {
                try (b) {
                    duck.append("metrics", b.table()); // DuckDB scans the batch in the store's memory
                    agg.add(b.table().batches().getFirst(), SeedMetrics.DEVICE, SeedMetrics.TS);
                    loaded++;
                    rows += b.table().rowCount();
                }
            } else if (e instanceof StreamEvent.End) {
                return loaded;
            } else if (e instanceof StreamEvent.Lost l) {
                throw new IllegalStateException("the loader lost batches " + l.fromSeq() + ".." + (l.toSeq() - 1));
            }
            if (System.nanoTime() >= nextProgress) {
                o.printf(Locale.ROOT, "  sampled %,d rows in %d batches | published %s | loaded into DuckDB %,d rows"
                        + " in %d batches | windows watermark %s%n", sampledRows.get(), producedBatches.get(),
                        publishedBatches.get() < 0 ? "..." : publishedBatches.get(), rows, loaded,
                        agg.watermark() == Long.MIN_VALUE ? "-" : java.time.Instant.EPOCH.plus(agg.watermark(),
                                java.time.temporal.ChronoUnit.MICROS).toString().substring(11, 19));
                o.flush();
                nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            }
        }
    }

    private int summary(PrintWriter o, Path db, Path work, Windows windows, long batchesLoaded, long alerts,
            long alertEvents, TopicToStream bridge, BufferAllocator allocator) throws SQLException {
        Checks checks = new Checks();
        try (DuckDbSink duck = DuckDbSink.open(db, allocator);
             Statement st = duck.connection().createStatement()) {
            o.println();
            o.println("From DuckDB (" + db + "):");
            Table devices = new Table("DEVICE", "ROWS", "FROM", "TO", "CPU MEAN %", "MIN", "P50", "P90", "P99", "MAX",
                    "MEM MEAN %");
            try (ResultSet rs = st.executeQuery("""
                    SELECT device, count(*), min(ts), max(ts), avg(cpu_used), min(cpu_used),
                           quantile_disc(cpu_used, 0.5), quantile_disc(cpu_used, 0.9), quantile_disc(cpu_used, 0.99),
                           max(cpu_used), avg(memory_used)
                    FROM metrics GROUP BY device ORDER BY device""")) {
                while (rs.next()) {
                    devices.row(rs.getString(1), rs.getLong(2), time(rs.getString(3)), time(rs.getString(4)),
                            f1(rs.getDouble(5)), f1(rs.getDouble(6)), f1(rs.getDouble(7)), f1(rs.getDouble(8)),
                            f1(rs.getDouble(9)), f1(rs.getDouble(10)), f1(rs.getDouble(11)));
                }
            }
            devices.print(o);
            o.println();
            o.printf("Windows (%s%s, event time, latest revision of each):%n", human(windows.size()),
                    windows.tumbling() ? " tumbling" : " every " + human(windows.slide()));
            Table w = new Table("WINDOW", "SAMPLES", "CPU MEAN %", "CPU MIN", "CPU P90", "CPU MAX", "MEM MEAN %", "ALERTS");
            try (ResultSet rs = st.executeQuery("""
                    WITH latest AS (SELECT * FROM window_stats
                                    QUALIFY revision = max(revision) OVER (PARTITION BY key, metric, window_start))
                    SELECT c.window_start, c.window_end, c.count, c.mean, c.min, c.p90, c.max, m.mean,
                           (SELECT count(*) FROM alerts a WHERE a.key = c.key AND a.window_start = c.window_start)
                    FROM latest c JOIN latest m ON m.key = c.key AND m.window_start = c.window_start
                    WHERE c.metric = 'cpu_used' AND m.metric = 'memory_used'
                    ORDER BY c.window_start, c.key""")) {
                while (rs.next()) {
                    w.row(time(rs.getString(1)) + " .. " + time(rs.getString(2)), rs.getLong(3), f1(rs.getDouble(4)),
                            f1(rs.getDouble(5)), f1(rs.getDouble(6)), f1(rs.getDouble(7)), f1(rs.getDouble(8)),
                            rs.getLong(9));
                }
            }
            w.print(o);
            try (ResultSet rs = st.executeQuery("SELECT message FROM alerts ORDER BY window_start")) {
                while (rs.next()) {
                    o.println("  ALERT " + rs.getString(1));
                }
            }
            o.println();
            long rows = one(st, "SELECT count(*) FROM metrics");
            long sampled = sampledRows.get();
            checks.check(rows == sampled, String.format(Locale.ROOT,
                    "every sample reached DuckDB once: %,d sampled, %,d rows in table metrics", sampled, rows));
            long produced = producedBatches.get();
            long published = publishedBatches.get();
            checks.check(produced == published && published == bridge.sealed() && bridge.deadLettered() == 0
                    && batchesLoaded == produced, String.format(Locale.ROOT, "every batch went through Kafka once: "
                    + "%d produced, %d published, %d bridged, %d loaded, %d dead letters", produced, published,
                    bridge.sealed(), batchesLoaded, bridge.deadLettered()));
            windowChecks(st, windows, cpuAlert, memoryAlert, alerts, alertEvents, alertsTopic, checks);
            long parquet = one(st, "SELECT count(*) FROM read_parquet('" + work.resolve("metrics.parquet") + "')");
            checks.check(parquet == rows, String.format(Locale.ROOT, "the Parquet copy holds every row: %,d (%s)",
                    parquet, work.resolve("metrics.parquet")));
        }
        int status = checks.report(o);
        o.println("Query it again: duckdb " + db + " \"SELECT * FROM window_stats\"  (tables metrics, window_stats, alerts)");
        o.flush();
        return status;
    }

    /**
     * The checks of the analytics against DuckDB's own answer, recomputed from the raw samples (table {@code metrics})
     * by SQL, a different code path from the windows and alert rules of quiver-kafka: every window's sample count,
     * the set of windows over a threshold against the alerts (table {@code alerts}, and the events on the topic), and
     * the alert provoked on purpose by the synthetic burst device.
     */
    static void windowChecks(Statement st, Windows windows, double cpuAlert, double memoryAlert, long alerts,
                             long alertEvents, String alertsTopic, Checks checks) throws SQLException {
        long size = windows.size().toNanos() / 1000;
        long slide = windows.slide().toNanos() / 1000;
        // Each sample belongs to the windows starting at multiples of the slide in (t - size, t].
        st.execute("CREATE OR REPLACE TEMP TABLE raw_windows AS "
                + "WITH m AS (SELECT device AS key, unnest(range((epoch_us(ts) - " + size + ") // " + slide
                + " + 1, epoch_us(ts) // " + slide + " + 1)) * " + slide + " AS ws, cpu_used, memory_used "
                + "FROM metrics) "
                + "SELECT key, ws, count(*) AS n, min(cpu_used) AS cpu_min, avg(memory_used) AS memory_mean "
                + "FROM m GROUP BY key, ws");
        st.execute("CREATE OR REPLACE TEMP TABLE latest_windows AS SELECT key, epoch_us(window_start) AS ws, count "
                + "FROM window_stats WHERE metric = 'cpu_used' "
                + "QUALIFY revision = max(revision) OVER (PARTITION BY key, window_start)");
        long expectedWindows = one(st, "SELECT count(*) FROM raw_windows");
        long differ = one(st, "SELECT count(*) FROM raw_windows r FULL OUTER JOIN latest_windows w "
                + "ON r.key = w.key AND r.ws = w.ws WHERE r.n IS DISTINCT FROM w.count");
        checks.check(expectedWindows > 0 && differ == 0, String.format(Locale.ROOT, "every window holds the samples "
                + "it should: %,d windows recomputed from the raw samples in DuckDB, %,d differ from the windows' "
                + "counts", expectedWindows, differ));

        st.execute("CREATE OR REPLACE TEMP TABLE expected_alerts AS "
                + "SELECT 'cpu-busy' AS rule, key, ws FROM raw_windows WHERE cpu_min > " + cpuAlert + " UNION ALL "
                + "SELECT 'memory-high', key, ws FROM raw_windows WHERE memory_mean > " + memoryAlert);
        long expected = one(st, "SELECT count(*) FROM expected_alerts");
        long stored = one(st, "SELECT count(*) FROM alerts");
        long mismatched = one(st, "SELECT count(*) FROM expected_alerts e FULL OUTER JOIN "
                + "(SELECT DISTINCT rule, key, epoch_us(window_start) AS ws FROM alerts) a "
                + "ON e.rule = a.rule AND e.key = a.key AND e.ws = a.ws WHERE e.rule IS NULL OR a.rule IS NULL");
        checks.check(mismatched == 0 && stored == expected && alerts == expected && alertEvents == expected,
                String.format(Locale.ROOT, "the alerts are exactly the windows over a threshold, recomputed from the "
                        + "raw samples: %d expected, %d in DuckDB (%d unmatched), %d raised, %d events on %s",
                        expected, stored, mismatched, alerts, alertEvents, alertsTopic));

        if (cpuAlert >= 100) {
            checks.skip("the alert provoked on purpose", "the synthetic burst runs at 100% CPU, which does not exceed "
                    + "--cpu-alert " + cpuAlert);
        } else {
            long provoked = one(st, "SELECT count(*) FROM alerts WHERE rule = 'cpu-busy' AND key = '" + BURST_DEVICE
                    + "'");
            checks.check(provoked > 0, String.format(Locale.ROOT, "the alert provoked on purpose came: %d cpu-busy "
                    + "alert(s) for %s, the synthetic device at 100%% CPU during the first window", provoked,
                    BURST_DEVICE));
        }
    }

    private Thread start(String name, Runnable task) {
        return Thread.ofPlatform().name("metrics-" + name).daemon().start(() -> {
            try {
                task.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, new IllegalStateException("the " + name + " failed: " + t.getMessage(), t));
            }
        });
    }

    /** The end offsets of a topic's partitions now. */
    private static Map<TopicPartition, Long> endOffsets(String servers, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(servers)) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            return c.endOffsets(tps);
        }
    }

    /** Records on a topic after the given offsets: read until {@code expected} came (or, expecting none, for 1 s). */
    private static long countRecords(String servers, String topic, Map<TopicPartition, Long> from, long expected) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(servers)) {
            c.assign(from.keySet());
            from.forEach(c::seek);
            long n = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(expected == 0 ? 1 : 30);
            while (System.nanoTime() < deadline && (expected == 0 || n < expected)) {
                n += c.poll(Duration.ofMillis(200)).count();
            }
            return n;
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String servers) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()));
    }

    private static long one(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    private static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** HH:MM:SS.mmm of a DuckDB timestamp's text. */
    private static String time(String ts) {
        int t = ts.indexOf(' ') >= 0 ? ts.indexOf(' ') + 1 : ts.indexOf('T') + 1;
        String s = ts.substring(t);
        return s.length() > 12 ? s.substring(0, 12) : s;
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
