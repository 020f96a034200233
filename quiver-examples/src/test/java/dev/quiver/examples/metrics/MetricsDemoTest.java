package dev.quiver.examples.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.examples.Checks;
import dev.quiver.examples.Run;
import dev.quiver.kafka.Windows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quiver demo metrics} end to end with its embedded KRaft broker, for a few seconds: it samples this host, goes
 * through Kafka and DuckDB, and passes the checks it prints; and the checks of the windows and alerts, fed tables that
 * disagree, fail.
 */
class MetricsDemoTest {
    @Test
    void aShortRunPassesItsOwnChecksAndSeesTheAlertItProvoked(@TempDir Path dir) {
        Run r = Run.of("demo", "metrics", "--duration", "4s", "--interval", "50ms", "--batch", "10", "--window", "1s",
                "--out", dir.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("All checks passed.").doesNotContain("FAIL").doesNotContain("skipped")
                .contains("ok      every sample reached DuckDB once")
                .contains("ok      every batch went through Kafka once")
                .contains("ok      every window holds the samples it should")
                .contains("ok      the alerts are exactly the windows over a threshold")
                .contains("ok      the alert provoked on purpose came")
                .contains("ALERT cpu-busy");
        assertThat(Files.exists(dir.resolve("metrics.duckdb"))).isTrue();
        assertThat(Files.exists(dir.resolve("metrics.parquet"))).isTrue();
    }

    @Test
    void slidingWindowsAreCheckedAgainstTheRawSamplesToo(@TempDir Path dir) {
        Run r = Run.of("demo", "metrics", "--duration", "3s", "--interval", "50ms", "--window", "1s", "--slide",
                "500ms", "--out", dir.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("ok      every window holds the samples it should")
                .contains("ok      the alerts are exactly the windows over a threshold")
                .contains("ok      the alert provoked on purpose came");
    }

    /** Hand-made tables: the checks pass when they agree, and fail on a wrong count or a missing alert. */
    @Test
    void windowsOrAlertsThatDisagreeWithTheRawSamplesFail() throws Exception {
        Windows w = Windows.tumbling(Duration.ofSeconds(1));
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE metrics (device VARCHAR, ts TIMESTAMP, cpu_used FLOAT, memory_used FLOAT)");
            st.execute("INSERT INTO metrics VALUES ('h', '2026-01-01 00:00:00.100', 10, 50), "
                    + "('h', '2026-01-01 00:00:00.600', 20, 50), ('h', '2026-01-01 00:00:01.100', 30, 50), "
                    + "('synthetic-cpu-burst', '2026-01-01 00:00:00.100', 100, 50)");
            st.execute("CREATE TABLE window_stats (key VARCHAR, metric VARCHAR, window_start TIMESTAMP, "
                    + "count BIGINT, revision INTEGER)");
            st.execute("INSERT INTO window_stats VALUES ('h', 'cpu_used', '2026-01-01 00:00:00', 2, 0), "
                    + "('h', 'cpu_used', '2026-01-01 00:00:01', 1, 0), "
                    + "('synthetic-cpu-burst', 'cpu_used', '2026-01-01 00:00:00', 1, 0)");
            st.execute("CREATE TABLE alerts (rule VARCHAR, key VARCHAR, window_start TIMESTAMP)");
            st.execute("INSERT INTO alerts VALUES ('cpu-busy', 'synthetic-cpu-burst', '2026-01-01 00:00:00')");

            Checks agree = new Checks();
            MetricsDemo.windowChecks(st, w, 80, 90, 1, 1, "metric_alerts", agree);
            assertThat(agree.passed()).as(agree.lines().toString()).isTrue();
            assertThat(agree.lines()).hasSize(3);

            st.execute("UPDATE window_stats SET count = 3 WHERE key = 'h' AND window_start = '2026-01-01 00:00:00'");
            Checks wrongCount = new Checks();
            MetricsDemo.windowChecks(st, w, 80, 90, 1, 1, "metric_alerts", wrongCount);
            assertThat(wrongCount.lines()).anyMatch(l -> l.startsWith("  FAIL    every window holds the samples"));

            st.execute("UPDATE window_stats SET count = 2 WHERE key = 'h' AND window_start = '2026-01-01 00:00:00'");
            st.execute("DELETE FROM alerts");
            Checks noAlert = new Checks();
            MetricsDemo.windowChecks(st, w, 80, 90, 0, 0, "metric_alerts", noAlert);
            assertThat(noAlert.lines()).anyMatch(l -> l.startsWith("  FAIL    the alerts are exactly"))
                    .anyMatch(l -> l.startsWith("  FAIL    the alert provoked on purpose came"));

            // A window over the threshold of the real host, with no alert for it: a missed alert fails too.
            st.execute("INSERT INTO alerts VALUES ('cpu-busy', 'synthetic-cpu-burst', '2026-01-01 00:00:00')");
            Checks missed = new Checks();
            MetricsDemo.windowChecks(st, w, 15, 90, 1, 1, "metric_alerts", missed);
            assertThat(missed.lines()).anyMatch(l -> l.startsWith("  FAIL    the alerts are exactly"));
        }
    }

    @Test
    void nonsenseIsRefused() {
        Run r = Run.of("demo", "metrics", "--batch", "0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--batch >= 1");
        assertThat(Run.of("demo", "metrics", "--duration", "soon").err()).contains("is not a duration");
    }
}
