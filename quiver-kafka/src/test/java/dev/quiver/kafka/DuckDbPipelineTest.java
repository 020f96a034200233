package dev.quiver.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.testkit.EmbeddedKafka;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path of the demo with known data: a Quiver stream published to Kafka, bridged into another stream, read
 * zero-copy into DuckDB, Parquet and the windowed aggregation. What DuckDB holds afterwards equals what was produced.
 */
@ExtendWith(SharedKafka.class)
class DuckDbPipelineTest {
    private static final int BATCHES = 24;
    private static final int ROWS = 250;

    @TempDir
    Path dir;

    @Test
    void duckDbHoldsExactlyWhatWasProduced(EmbeddedKafka kafka) throws Exception {
        String topic = SharedKafka.topic("pipeline");
        kafka.createTopic(topic, 1);
        kafka.createTopic(topic + ".dlq", 1);
        // What is produced, summed up in Java: rows, sum of run_elapsed_ms, and per device count/min/max/sum of cpu.
        long rows = 0;
        long elapsedSum = 0;
        Map<String, double[]> cpu = new TreeMap<>(); // device -> count, min, max, sum
        try (StoreFixture fx = new StoreFixture(dir, 256 << 20)) {
            try (StreamWriter w = StreamWriter.open(fx.arrow, "metrics", Retention.ALL)) {
                for (int i = 0; i < BATCHES; i++) {
                    try (VectorSchemaRoot t = TestTables.metrics(i, ROWS, fx.allocator)) {
                        w.append(t);
                        for (int r = 0; r < t.getRowCount(); r++) {
                            rows++;
                            elapsedSum += ((IntVector) t.getVector("run_elapsed_ms")).get(r);
                            double v = ((Float4Vector) t.getVector("cpu_used")).get(r);
                            double[] s = cpu.computeIfAbsent(t.getVector("device").getObject(r).toString(),
                                    k -> new double[] {0, Double.MAX_VALUE, -Double.MAX_VALUE, 0});
                            s[0]++;
                            s[1] = Math.min(s[1], v);
                            s[2] = Math.max(s[2], v);
                            s[3] += v;
                        }
                    }
                }
                w.end();
            }
            try (StreamToTopic pub = StreamToTopic.builder(fx.arrow, "metrics", kafka.bootstrapServers(), topic).open()) {
                while (!pub.ended()) {
                    pub.pump(Duration.ofMillis(200));
                }
            }
            List<WindowResult> windows = new ArrayList<>();
            WindowedAggregator agg = new WindowedAggregator(Windows.tumbling(Duration.ofSeconds(60)), SeedMetrics.METRICS,
                    windows::add);
            Path db = dir.resolve("metrics.duckdb");
            Path parquet = dir.resolve("parquet");
            try (TopicToStream bridge = TopicToStream.builder(fx.arrow, kafka.bootstrapServers(), topic, "metrics.in").open();
                 DuckDbSink duck = DuckDbSink.open(db, fx.allocator);
                 ParquetSink files = new ParquetSink(parquet, "metrics", fx.allocator)) {
                StreamReader reader = StreamReader.open(fx.arrow, "metrics.in", StreamReader.Start.EARLIEST);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                int read = 0;
                while (read < BATCHES) {
                    assertThat(System.nanoTime()).as("read %d of %d batches in time", read, BATCHES).isLessThan(deadline);
                    bridge.poll(Duration.ofMillis(100));
                    while (reader.next(Duration.ZERO) instanceof StreamEvent.Batch b) {
                        try (b) {
                            duck.append("metrics", b.table());             // zero-copy from store memory
                            files.write(b.table());
                            agg.add(b.table().batches().getFirst(), SeedMetrics.DEVICE, SeedMetrics.TS);
                            read++;
                        }
                    }
                }
                agg.finish();
                try (VectorSchemaRoot results = ResultTables.windowResults(windows, fx.allocator)) {
                    duck.append("window_stats", results);
                }
                assertThat(files.files()).isEqualTo(BATCHES);
            }
            // The database stays on disk: open it again, as a user would after the run.
            try (DuckDbSink duck = DuckDbSink.open(db, fx.allocator); Statement st = duck.connection().createStatement()) {
                assertThat(one(st, "SELECT count(*) FROM metrics")).isEqualTo(rows);
                assertThat(one(st, "SELECT sum(run_elapsed_ms) FROM metrics")).isEqualTo(elapsedSum);
                assertThat(one(st, "SELECT count(*) FROM read_parquet('" + parquet + "/metrics-*.parquet')")).isEqualTo(rows);
                try (ResultSet rs = st.executeQuery("SELECT column_name, data_type FROM information_schema.columns "
                        + "WHERE table_name = 'metrics' ORDER BY ordinal_position")) {
                    List<String> columns = new ArrayList<>();
                    while (rs.next()) {
                        columns.add(rs.getString(1) + " " + rs.getString(2));
                    }
                    assertThat(columns).containsExactly("device VARCHAR", "ts TIMESTAMP", "cpu_used FLOAT",
                            "cpu_free FLOAT", "memory_used FLOAT", "memory_free FLOAT", "run_elapsed_ms INTEGER");
                }
                try (ResultSet rs = st.executeQuery("SELECT device, count(*), min(cpu_used), max(cpu_used), "
                        + "sum(cpu_used::DOUBLE) FROM metrics GROUP BY device ORDER BY device")) {
                    for (Map.Entry<String, double[]> e : cpu.entrySet()) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getString(1)).isEqualTo(e.getKey());
                        assertThat(rs.getLong(2)).isEqualTo((long) e.getValue()[0]);
                        assertThat(rs.getDouble(3)).isEqualTo(e.getValue()[1]);
                        assertThat(rs.getDouble(4)).isEqualTo(e.getValue()[2]);
                        assertThat(rs.getDouble(5)).isCloseTo(e.getValue()[3], within(1e-6 * e.getValue()[3]));
                    }
                    assertThat(rs.next()).isFalse();
                }
                // The windows agree with SQL over the same rows: count, min, max and mean per device and minute.
                try (ResultSet rs = st.executeQuery("""
                        SELECT count(*), count(*) FILTER (WHERE w.count = m.n AND w.min = m.lo AND w.max = m.hi
                                                          AND abs(w.mean - m.avg) < 1e-9)
                        FROM window_stats w JOIN (
                            SELECT device, time_bucket(INTERVAL 60 SECOND, ts) AS start, count(*) AS n,
                                   min(cpu_used) AS lo, max(cpu_used) AS hi, avg(cpu_used::DOUBLE) AS avg
                            FROM metrics GROUP BY ALL) m
                          ON w.key = m.device AND w.window_start = m.start
                        WHERE w.metric = 'cpu_used'""")) {
                    rs.next();
                    long joined = rs.getLong(1);
                    long agree = rs.getLong(2);
                    assertThat(agree).isEqualTo(joined).isPositive();
                }
                assertThat(one(st, "SELECT count(*) FROM window_stats WHERE metric = 'cpu_used'")).isEqualTo(
                        one(st, "SELECT count(*) FROM (SELECT DISTINCT device, time_bucket(INTERVAL 60 SECOND, ts) FROM metrics)"));
                assertThat(one(st, "SELECT sum(count) FROM window_stats WHERE metric = 'cpu_used'")).isEqualTo(rows);
            }
        }
    }

    private static long one(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
