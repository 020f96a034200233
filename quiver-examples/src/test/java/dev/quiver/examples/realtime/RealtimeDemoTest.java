package dev.quiver.examples.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.examples.Run;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real-time demo runs its producer and consumer processes, passes its own checks and explains its latencies. */
class RealtimeDemoTest {
    @Test
    void realtimeDemoWithAFixedSeedPassesItsOwnChecks() {
        Run r = Run.of("demo", "realtime", "--consumers", "2", "--rows", "6000", "--seed", "7", "--memory", "64m");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("All checks passed").doesNotContain("FAIL").doesNotContain("skipped")
                .contains("appended at " + RealtimeProducer.DEFAULT_RATE + " batches/s")
                .contains("Priming: the producer first appends 20,000 batches to stream 'realtime-demo-priming'")
                .contains("ok      every consumer read every batch exactly once")
                .contains("ok      the learned model is close to the truth");
        assertThat(r.out().lines().filter(l -> l.matches("\\s+[01]\\s+6000\\s+\\d+\\s+0\\s+\\p{XDigit}{8}\\s+yes\\s.*")))
                .hasSize(2);
    }

    /**
     * Warm-up and steady state each have a table with a row per consumer and a sentence per consumer on what its
     * figures mean, and a summary follows. 6,000 rows are about 290 batches: at 200 batches/s, at most 201 of them
     * can be appended in the first second of warm-up, so the steady state is never empty, however slow the machine.
     */
    @Test
    void latenciesAreReportedForWarmupAndSteadyStateApart() {
        Run r = Run.of("demo", "realtime", "--consumers", "2", "--rows", "6000", "--rate", "200", "--warmup", "1s",
                "--priming", "0", "--memory", "64m");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).as("--priming 0: none").doesNotContain("Priming");
        List<String> lines = r.out().lines().toList();
        int warmup = indexOf(lines, "Warm-up: the batches appended in the first 1.0 s");
        int steady = indexOf(lines, "Steady state: the batches appended after the warm-up.");
        int summary = indexOf(lines, "Summary: in the steady state at 200 batches/s, of 2 consumers ");
        assertThat(warmup).isPositive().isLessThan(steady);
        assertThat(steady).isLessThan(summary);
        for (int section : new int[] {warmup, steady}) {
            assertThat(lines.get(section + 1).split("\\s+")).containsExactly("CONSUMER", "BATCHES", "READ/S", "P50",
                    "P99", "MAX", "BEHIND", "P50", "BEHIND", "MAX");
            String duration = "\\d+(\\.\\d)? (ns|µs|ms|s)";
            for (int i = 0; i < 2; i++) {
                assertThat(lines.get(section + 2 + i)).as(r.out())
                        .matches("\\s+" + i + "\\s+[1-9]\\d*\\s+\\S+\\s+" + duration + "\\s+" + duration + "\\s+"
                                + duration + "\\s+\\d+\\s+\\d+");
                assertThat(lines.get(section + 4 + i)).as(r.out()).startsWith("  consumer " + i + " ")
                        .containsAnyOf("is the hand-off", "queueing");
            }
        }
        assertThat(lines.get(summary)).matches(".* 2 consumers \\d kept up throughout, \\d caught up after a backlog or a pause and "
                + "\\d fell behind; latency p50 .*, p99 at most .*");
        assertThat(summary).isLessThan(indexOf(lines, "All checks passed."));
    }

    @Test
    void aCheckThatCannotRunSaysSkippedNotOk() {
        Run r = Run.of("demo", "realtime", "--consumers", "1", "--rows", "300", "--memory", "64m");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("skipped accuracy of the learned model: fewer than 5000 rows (300)")
                .contains("All checks passed (1 skipped).");
        // 300 rows are at most 300 batches, appended well within a warm-up of 10 s at 200 batches/s.
        Run all = Run.of("demo", "realtime", "--consumers", "1", "--rows", "300", "--warmup", "10s", "--memory", "64m");
        assertThat(all.exit()).as(all.out() + all.err()).isZero();
        assertThat(all.out()).contains("Steady state: the batches appended after the warm-up.\n"
                        + "CONSUMER  BATCHES  READ/S  P50  P99  MAX  BEHIND P50  BEHIND MAX\n"
                        + "       0        0  -       -    -    -    -           -\n"
                        + "  No batches here: run longer (more --rows, or a lower --rate) or with a shorter --warmup.")
                .contains("Summary: no batch came after the warm-up, so there is no steady state to report.");
    }

    @Test
    void aRateBelowOneIsRefusedBeforeAnythingStarts() {
        for (String rate : List.of("0", "-5")) {
            Run r = Run.of("demo", "realtime", "--rate", rate);
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).contains("--rate must be at least 1 batch/s, got " + rate
                    + ": it is how many batches the producer appends per second (default " + RealtimeProducer.DEFAULT_RATE + ")");
            assertThat(r.out()).as("nothing started: no store, no processes").isEmpty();
        }
        Run bare = Run.of("demo", "--rate", "0");  // quiver demo is quiver demo realtime, options and all
        assertThat(bare.exit()).isEqualTo(1);
        assertThat(bare.err()).contains("--rate must be at least 1 batch/s, got 0");
        assertThat(bare.out()).isEmpty();
        Run r = Run.of("demo", "realtime", "--warmup", "-1s");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--warmup cannot be negative, got -1.0 s");
        assertThat(r.out()).isEmpty();
        Run p = Run.of("demo", "realtime", "--priming", "-1");
        assertThat(p.exit()).isEqualTo(1);
        assertThat(p.err()).contains("--priming cannot be negative, got -1: use 0 for no priming");
        assertThat(p.out()).isEmpty();
    }

    @Test
    void realtimeDemoRejectsNonsenseAndDemoListsItsDemos() {
        Run r = Run.of("demo", "realtime", "--consumers", "0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--consumers >= 1");
        assertThat(Run.of("demo", "--help").out()).contains("realtime").contains("objects").contains("knn")
                .contains("metrics");
        assertThat(Run.of("demo", "realtime", "--help").out()).contains("--rate=N").contains("--warmup")
                .contains("--priming=BATCHES");
    }

    /** What the figures mean is said from the figures: hand-off, a passing pause, or queueing behind the producer. */
    @Test
    void theMeaningOfAConsumersFiguresFollowsHowFarBehindItWas() {
        long us = 1000;
        assertThat(RealtimeDemo.meaning(0, new Latencies.Phase("steady", 500, 200, 200, 38 * us, 90 * us, 400 * us,
                0, 0, 1))).isEqualTo("consumer 0 kept up (at most 1 behind): its latency is the hand-off, p50 38 µs.");
        assertThat(RealtimeDemo.meaning(2, new Latencies.Phase("steady", 500, 620, 1000, 200_000 * us,
                340_000 * us, 350_000 * us, 100, 180, 340))).isEqualTo("consumer 2 ran 340 batches behind a producer faster "
                + "than it (median 180 behind; it read 620 batches/s, the producer appended 1000/s): latency here is "
                + "queueing, not hand-off.");
        assertThat(RealtimeDemo.meaning(1, new Latencies.Phase("warmup", 200, 200, 200, 5_000 * us, 50_000 * us,
                60_000 * us, 110, 120, 130))).contains("ran 130 batches behind the producer (median 120 behind; it read 200 batches/s, the "
                        + "producer appended 200/s, so it was working off a backlog)")
                .contains("queueing, not hand-off");
        assertThat(RealtimeDemo.meaning(1, new Latencies.Phase("steady", 500, 200, 200, 3_000 * us, 240_000 * us,
                250_000 * us, 23, 0, 23))).isEqualTo("consumer 1 started 23 batches behind (a backlog left from "
                + "before) and caught up: its p99 and max include that queueing, its p50 3.0 ms is the hand-off.");
        assertThat(RealtimeDemo.meaning(1, new Latencies.Phase("steady", 500, 200, 200, 40 * us, 12_000 * us,
                15_000 * us, 0, 0, 9))).isEqualTo("consumer 1 kept up mostly but fell up to 9 batches behind at times "
                + "(a pause: garbage collection, the JIT compiler, a busy CPU): its p99 and max include that queueing, "
                + "its p50 40 µs is the hand-off.");
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
