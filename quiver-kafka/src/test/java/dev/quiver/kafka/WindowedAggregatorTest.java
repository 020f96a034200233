package dev.quiver.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/** Windows, watermarks, lateness and alerts on crafted event sequences whose answers are known. */
class WindowedAggregatorTest {
    private static final long S = 1_000_000; // one second in microseconds

    private final List<WindowResult> out = new ArrayList<>();

    private WindowedAggregator agg(Windows w) {
        return new WindowedAggregator(w, List.of("cpu"), out::add);
    }

    @Test
    void tumblingWindowFiresWhenTheWatermarkPassesItsEnd() {
        WindowedAggregator a = agg(Windows.tumbling(Duration.ofSeconds(10)));
        for (int i = 1; i <= 10; i++) {
            a.add("h", i * S - S / 2, i * 10); // 0.5 s .. 9.5 s: 10, 20, ..., 100
        }
        assertThat(out).isEmpty(); // the watermark (9.5 s) has not reached the end (10 s)
        a.add("h", 10 * S, 5); // exactly the end: the window is complete
        assertThat(out).hasSize(1);
        WindowResult r = out.getFirst();
        assertThat(r.key()).isEqualTo("h");
        assertThat(r.startMicros()).isZero();
        assertThat(r.endMicros()).isEqualTo(10 * S);
        assertThat(r.count()).isEqualTo(10);
        assertThat(r.mean()).isEqualTo(55);
        assertThat(r.min()).isEqualTo(10);
        assertThat(r.max()).isEqualTo(100);
        assertThat(r.p50()).isEqualTo(50);  // nearest rank: the 5th of 10
        assertThat(r.p90()).isEqualTo(90);  // the 9th
        assertThat(r.p99()).isEqualTo(100); // the 10th
        assertThat(r.revision()).isZero();
        a.finish();
        assertThat(out).hasSize(2);
        assertThat(out.get(1).startMicros()).isEqualTo(10 * S);
        assertThat(out.get(1).count()).isEqualTo(1);
    }

    @Test
    void outOfOrderEventsWithinTheWatermarkDelayAreOnTime() {
        WindowedAggregator a = agg(Windows.tumbling(Duration.ofSeconds(10)).withWatermarkDelay(Duration.ofSeconds(5)));
        a.add("h", 1 * S, 1);
        a.add("h", 12 * S, 100); // watermark 7 s: [0, 10) still open
        a.add("h", 4 * S, 3);    // out of order, but on time
        a.add("h", 8 * S, 8);
        assertThat(out).isEmpty();
        assertThat(a.watermark()).isEqualTo(7 * S);
        a.add("h", 15 * S, 200); // watermark 10 s: [0, 10) fires with 1, 3, 8
        assertThat(out).singleElement().satisfies(r -> {
            assertThat(r.count()).isEqualTo(3);
            assertThat(r.mean()).isEqualTo(4);
            assertThat(r.max()).isEqualTo(8);
        });
        assertThat(a.droppedLate()).isZero();
        assertThat(a.lateAccepted()).isZero();
    }

    @Test
    void lateEventsUpdateAFiredWindowUntilTheAllowedLatenessEndsThenAreDropped() {
        WindowedAggregator a = agg(Windows.tumbling(Duration.ofSeconds(10)).withAllowedLateness(Duration.ofSeconds(5)));
        a.add("h", 1 * S, 10);
        a.add("h", 2 * S, 20);
        a.add("h", 11 * S, 0);   // watermark 11 s: [0, 10) fires, revision 0
        assertThat(out).singleElement().satisfies(r -> {
            assertThat(r.count()).isEqualTo(2);
            assertThat(r.revision()).isZero();
        });
        a.add("h", 3 * S, 60);   // late (watermark 11 s > end 10 s) but within 5 s: revision 1
        assertThat(out).hasSize(2);
        assertThat(out.get(1).revision()).isEqualTo(1);
        assertThat(out.get(1).count()).isEqualTo(3);
        assertThat(out.get(1).mean()).isEqualTo(30);
        assertThat(out.get(1).late()).isTrue();
        a.add("h", 15 * S, 0);   // watermark 15 s = end + lateness: [0, 10) is gone
        a.add("h", 4 * S, 99);   // too late: dropped
        assertThat(out).hasSize(2);
        assertThat(a.lateAccepted()).isEqualTo(1);
        assertThat(a.droppedLate()).isEqualTo(1);
        a.finish();
        assertThat(out).hasSize(3);
        assertThat(out.get(2).startMicros()).isEqualTo(10 * S);
        assertThat(out.get(2).count()).isEqualTo(2); // 11 s and 15 s
    }

    @Test
    void aLateKeyInAPassedWindowIsEmittedAtOnce() {
        WindowedAggregator a = agg(Windows.tumbling(Duration.ofSeconds(10)).withAllowedLateness(Duration.ofSeconds(30)));
        a.add("a", 1 * S, 1);
        a.add("a", 20 * S, 1); // [0,10) and [10,20) fire for a (the latter is empty: nothing)
        assertThat(out).hasSize(1);
        a.add("b", 5 * S, 7);  // b's first event, in a window the watermark passed: emitted now, revision 0
        assertThat(out).hasSize(2);
        assertThat(out.get(1).key()).isEqualTo("b");
        assertThat(out.get(1).revision()).isZero();
        assertThat(out.get(1).count()).isEqualTo(1);
    }

    @Test
    void slidingWindowsCountEachEventInEveryWindowThatHoldsIt() {
        WindowedAggregator a = agg(Windows.sliding(Duration.ofSeconds(10), Duration.ofSeconds(5)));
        a.add("h", 2 * S, 2);  // windows [-5,5) and [0,10)
        a.add("h", 7 * S, 7);  // [0,10) and [5,15)
        a.add("h", 12 * S, 12); // [5,15) and [10,20); watermark 12 s: [-5,5) fires
        a.finish();
        assertThat(out).extracting(r -> r.startMicros() / S, WindowResult::count, WindowResult::max)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(-5L, 1L, 2.0),
                        org.assertj.core.groups.Tuple.tuple(0L, 2L, 7.0),
                        org.assertj.core.groups.Tuple.tuple(5L, 2L, 12.0),
                        org.assertj.core.groups.Tuple.tuple(10L, 1L, 12.0));
    }

    @Test
    void keysAreSeparateAndResultsComeInWindowThenKeyOrder() {
        WindowedAggregator a = new WindowedAggregator(Windows.tumbling(Duration.ofSeconds(1)), List.of("cpu", "mem"),
                out::add);
        a.add("b", 100_000, 1, 10);
        a.add("a", 200_000, 2, Double.NaN); // a missing memory value is not a value
        a.add("a", 300_000, 4, 40);
        a.finish();
        assertThat(out).extracting(WindowResult::key, WindowResult::metric, WindowResult::count, WindowResult::mean)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("a", "cpu", 2L, 3.0),
                        org.assertj.core.groups.Tuple.tuple("a", "mem", 1L, 40.0),
                        org.assertj.core.groups.Tuple.tuple("b", "cpu", 1L, 1.0),
                        org.assertj.core.groups.Tuple.tuple("b", "mem", 1L, 10.0));
    }

    @Test
    void percentilesKeepThreeSignificantDigitsAndNegativeValuesHaveNone() {
        WindowedAggregator a = agg(Windows.tumbling(Duration.ofSeconds(100)));
        for (int i = 1; i <= 1000; i++) {
            a.add("h", i * 1000L, i * 0.123);
        }
        a.add("n", 1, -1);
        a.finish();
        WindowResult h = out.stream().filter(r -> r.key().equals("h")).findFirst().orElseThrow();
        assertThat(h.p50()).isCloseTo(500 * 0.123, within(500 * 0.123 * 1e-3));
        assertThat(h.p99()).isCloseTo(990 * 0.123, within(990 * 0.123 * 1e-3));
        WindowResult n = out.stream().filter(r -> r.key().equals("n")).findFirst().orElseThrow();
        assertThat(n.min()).isEqualTo(-1);
        assertThat(n.p50()).isNaN();
    }

    @Test
    void arrowBatchesOfTheSeedsSchemaAreAggregatedByDeviceAndEventTime() {
        try (BufferAllocator allocator = new RootAllocator();
             VectorSchemaRoot batch = SeedMetrics.batch(List.of(
                     new SeedMetrics.Sample("x", TestTables.T0, 10f, 90f, 50f, 50f, 0),
                     new SeedMetrics.Sample("x", TestTables.T0 + S, 30f, 70f, 52f, 48f, 1000),
                     new SeedMetrics.Sample("y", TestTables.T0 + 2 * S, 99f, 1f, 60f, 40f, 2000)), allocator)) {
            WindowedAggregator a = new WindowedAggregator(Windows.tumbling(Duration.ofMinutes(1)), SeedMetrics.METRICS,
                    out::add);
            a.add(batch, SeedMetrics.DEVICE, SeedMetrics.TS);
            a.finish();
        }
        WindowResult x = out.stream().filter(r -> r.key().equals("x") && r.metric().equals("cpu_used")).findFirst()
                .orElseThrow();
        assertThat(x.count()).isEqualTo(2);
        assertThat(x.mean()).isEqualTo(20);
        assertThat(out).hasSize(8); // 2 devices x 4 metrics
    }

    @Test
    void cpuAboveAThresholdForAWholeWindowAlertsOncePerWindow() {
        List<Alert> alerts = new ArrayList<>();
        Windows w = Windows.tumbling(Duration.ofSeconds(10)).withAllowedLateness(Duration.ofSeconds(10));
        AlertEvaluator busy = new AlertEvaluator(List.of(AlertRule.above("cpu-busy", "cpu", Stat.MIN, 80),
                AlertRule.above("cpu-mean-high", "cpu", Stat.MEAN, 50)), w, alerts::add);
        WindowedAggregator a = new WindowedAggregator(w, List.of("cpu"), busy);
        // [0,10): 85, 90, 95 -> min 85 > 80 and mean 90 > 50: both rules
        a.add("h", 1 * S, 85);
        a.add("h", 2 * S, 90);
        a.add("h", 3 * S, 95);
        // [10,20): 95, 40 -> min 40: not busy for the whole window; mean 67.5: mean rule
        a.add("h", 11 * S, 95);
        a.add("h", 12 * S, 40);
        // [20,30): 10, 20 -> mean 15: nothing yet
        a.add("h", 21 * S, 10);
        a.add("h", 22 * S, 20);
        a.add("h", 30 * S, 0); // watermark 30 s: [20,30) fires, revision 0, no alert
        assertThat(alerts).extracting(Alert::rule, al -> al.startMicros() / S)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("cpu-busy", 0L),
                        org.assertj.core.groups.Tuple.tuple("cpu-mean-high", 0L),
                        org.assertj.core.groups.Tuple.tuple("cpu-mean-high", 10L));
        a.add("h", 23 * S, 200); // late: [20,30) revision 1, mean 76.7: the mean rule fires now, once
        a.add("h", 24 * S, 100); // late again: revision 2, still above: no second alert
        assertThat(alerts).hasSize(4);
        Alert late = alerts.get(3);
        assertThat(late.rule()).isEqualTo("cpu-mean-high");
        assertThat(late.startMicros()).isEqualTo(20 * S);
        assertThat(late.revision()).isEqualTo(1);
        assertThat(late.value()).isCloseTo(230 / 3.0, within(1e-9));
        assertThat(late.message()).contains("cpu-mean-high: MEAN of cpu for h was 76.67, above 50.00");
        assertThat(busy.alerts()).isEqualTo(4);
    }
}
