package dev.quiver.examples.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The producer's pacing: never faster than asked (a lower bound that follows from the deadlines, not a timing
 * measurement), and no burst after it was late.
 */
class PacerTest {
    @Test
    void aRateBelowOneBatchASecondIsRefused() {
        assertThatThrownBy(() -> new Pacer(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the rate must be at least 1 batch/s, got 0");
        assertThatThrownBy(() -> new Pacer(-5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got -5");
    }

    @Test
    void batchesAreNeverDueFasterThanTheRate() {
        Pacer pacer = new Pacer(2000);  // one every 500 µs
        long first = pacer.awaitNext();
        long previous = first;
        for (int k = 1; k <= 40; k++) {
            long t = pacer.awaitNext();
            assertThat(t).isGreaterThanOrEqualTo(previous);
            assertThat(t - first).as("batch %d", k).isGreaterThanOrEqualTo(k * TimeUnit.MICROSECONDS.toNanos(500));
            previous = t;
        }
    }

    @Test
    void aLateProducerRestartsTheScheduleInsteadOfBursting() {
        long period = TimeUnit.MILLISECONDS.toNanos(1);
        Pacer pacer = new Pacer(1000);
        long first = pacer.awaitNext();
        // The producer is busy for three periods: the next batch was due one period after the first.
        while (System.nanoTime() - first < 3 * period) {
            Thread.onSpinWait();
        }
        long late = pacer.awaitNext();
        assertThat(pacer.restarts()).isEqualTo(1);
        // No burst: the batch after the late one is a whole period after it, not due at once.
        // (Were this thread descheduled for a period meanwhile, the schedule would restart again: later still.)
        assertThat(pacer.awaitNext() - late).isGreaterThanOrEqualTo(period);
    }
}
