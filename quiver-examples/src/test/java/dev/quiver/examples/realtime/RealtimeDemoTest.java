package dev.quiver.examples.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.examples.Run;
import org.junit.jupiter.api.Test;

/** The real-time demo runs its producer and consumer processes and passes its own checks. */
class RealtimeDemoTest {
    @Test
    void realtimeDemoWithAFixedSeedPassesItsOwnChecks() {
        Run r = Run.of("demo", "realtime", "--consumers", "2", "--rows", "6000", "--seed", "7", "--memory", "64m");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("All checks passed").doesNotContain("FAIL").doesNotContain("skipped")
                .contains("ok      every consumer read every batch exactly once")
                .contains("ok      the learned model is close to the truth");
        assertThat(r.out().lines().filter(l -> l.matches("\\s+[01]\\s+6000\\s+\\d+\\s+0\\s+\\p{XDigit}{8}\\s+yes\\s.*")))
                .hasSize(2);
    }

    @Test
    void aCheckThatCannotRunSaysSkippedNotOk() {
        Run r = Run.of("demo", "realtime", "--consumers", "1", "--rows", "300", "--memory", "64m");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("skipped accuracy of the learned model: fewer than 5000 rows (300)")
                .contains("All checks passed (1 skipped).");
    }

    @Test
    void realtimeDemoRejectsNonsenseAndDemoListsItsDemos() {
        Run r = Run.of("demo", "realtime", "--consumers", "0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--consumers >= 1");
        assertThat(Run.of("demo", "--help").out()).contains("realtime").contains("objects").contains("knn")
                .contains("metrics");
    }
}
