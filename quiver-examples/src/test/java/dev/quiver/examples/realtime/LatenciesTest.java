package dev.quiver.examples.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A consumer's figures from its append and receive times: the warm-up split, the latency percentiles, the rates, and
 * how many batches it was behind. The times are made up here, so every expected figure follows from them.
 */
class LatenciesTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Batch i appended at i ms; received {@code handOff} later, or read one every {@code readEvery} from 0.1 ms. */
    private static long[][] run(int n, long handOff, long readEvery) {
        long[] appended = new long[n];
        long[] received = new long[n];
        for (int i = 0; i < n; i++) {
            appended[i] = 1_000_000_000L + i * MS;
            received[i] = readEvery == 0 ? appended[i] + handOff : 1_000_000_000L + MS / 10 + i * readEvery;
        }
        return new long[][] {appended, received};
    }

    @Test
    void aConsumerThatKeepsUpIsNeverBehindAndItsLatencyIsTheHandOff() {
        long handOff = TimeUnit.MICROSECONDS.toNanos(80);
        long[][] t = run(100, handOff, 0);
        List<Latencies.Phase> phases = Latencies.analyse(t[0], t[1], 100, 10 * MS);
        Latencies.Phase warmup = phases.get(0);
        Latencies.Phase steady = phases.get(1);
        assertThat(warmup.phase()).isEqualTo("warmup");
        assertThat(warmup.batches()).isEqualTo(10);  // appended at 0..9 ms, before the 10 ms of warm-up
        assertThat(steady.phase()).isEqualTo("steady");
        assertThat(steady.batches()).isEqualTo(90);
        assertThat(steady.p50()).isCloseTo(handOff, within(handOff / 1000));  // HdrHistogram: 3 significant digits
        assertThat(steady.p99()).isCloseTo(handOff, within(handOff / 1000));
        assertThat(steady.max()).isCloseTo(handOff, within(handOff / 1000));
        assertThat(steady.lagMax()).isZero();
        assertThat(steady.readPerSecond()).isCloseTo(1000, within(1e-6));
        assertThat(steady.appendPerSecond()).isCloseTo(1000, within(1e-6));
    }

    @Test
    void aConsumerHalfAsFastAsTheProducerFallsFurtherBehindWithEveryBatch() {
        // It gets batch i at 0.1 + 2i ms, when batches 0..2i were appended: i of them wait beyond batch i, until
        // the producer's 200 batches are all out (from batch 100 on, 199 - i wait).
        long[][] t = run(200, 0, 2 * MS);
        List<Latencies.Phase> phases = Latencies.analyse(t[0], t[1], 200, 50 * MS);
        Latencies.Phase warmup = phases.get(0);
        Latencies.Phase steady = phases.get(1);
        assertThat(warmup.batches()).isEqualTo(50);
        assertThat(warmup.lagMax()).isEqualTo(49);
        assertThat(steady.lagAtStart()).isEqualTo(50);  // batch 50
        assertThat(steady.lagMax()).isEqualTo(99);
        assertThat(steady.lagP50()).isBetween(50L, 99L);
        assertThat(steady.readPerSecond()).isCloseTo(500, within(1e-6));
        assertThat(steady.appendPerSecond()).isCloseTo(1000, within(1e-6));
        // Batch i waited 0.1 + i ms: the latency grows with the queue.
        assertThat(steady.max()).isCloseTo(MS / 10 + 199 * MS, within(200 * MS / 1000));
    }

    @Test
    void aWarmupLongerThanTheRunLeavesTheSteadyStateEmpty() {
        long[][] t = run(5, MS, 0);
        List<Latencies.Phase> phases = Latencies.analyse(t[0], t[1], 5, TimeUnit.SECONDS.toNanos(1));
        assertThat(phases.get(0).batches()).isEqualTo(5);
        assertThat(phases.get(1)).isEqualTo(new Latencies.Phase("steady", 0, 0, 0, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void aPhaseLineReadsBackAsWritten() {
        Latencies.Phase p = new Latencies.Phase("steady", 288, 199.875, 200.125, 85_123, 1_200_456, 3_400_789, 1, 0, 2);
        assertThat(Latencies.Phase.parse(p.toLine())).isEqualTo(p);
    }
}
