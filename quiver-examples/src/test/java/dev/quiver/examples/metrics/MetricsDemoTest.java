package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quiver demo metrics} end to end with its embedded KRaft broker, for a few seconds: it samples this host,
 * goes through Kafka and DuckDB, and passes the checks it prints (every sample and batch arrived once, the windows
 * and alerts agree with DuckDB).
 */
class MetricsDemoTest {
    @Test
    void aShortRunPassesItsOwnChecks(@TempDir Path dir) {
        Cli r = Cli.run("demo", "metrics", "--duration", "4s", "--interval", "50ms", "--batch", "10", "--window", "1s",
                "--cpu-alert", "-1", "--out", dir.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("All checks passed").doesNotContain("FAIL")
                .contains("ok   every sample reached DuckDB once")
                .contains("ok   every batch went through Kafka once")
                .contains("ok   alerts agree with the windows")
                .contains("ALERT cpu-busy"); // threshold -1: every window is "busy", so alerts must come
        assertThat(Files.exists(dir.resolve("metrics.duckdb"))).isTrue();
        assertThat(Files.exists(dir.resolve("metrics.parquet"))).isTrue();
    }

    @Test
    void nonsenseIsRefused() {
        Cli r = Cli.run("demo", "metrics", "--batch", "0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--batch >= 1");
        assertThat(Cli.run("demo", "metrics", "--duration", "soon").err()).contains("is not a duration");
    }
}
