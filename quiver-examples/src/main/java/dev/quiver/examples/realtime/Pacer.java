package dev.quiver.examples.realtime;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Rate control against the clock: {@link #awaitNext()} returns when the next batch is due, one period after the
 * previous one was due. It parks until shortly before the deadline and spins the rest, because a park on these VMs
 * oversleeps by tens of microseconds. A batch that is already late goes out at once and the schedule restarts from
 * it: a producer that fell behind never bursts to catch up, so the rate is at most the one asked for and a late
 * producer does not make queues of its own. Not thread-safe: one producer thread.
 */
final class Pacer {
    /** Spin, rather than park, for the last this-many nanoseconds before a deadline. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final long periodNanos;
    private long due = Long.MIN_VALUE;
    private long late;

    /** A pacer of {@code perSecond} batches per second (at least 1). */
    Pacer(int perSecond) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("the rate must be at least 1 batch/s, got " + perSecond);
        }
        this.periodNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
    }

    /**
     * Waits until the next batch is due and returns {@link System#nanoTime()} at that moment. The first call returns
     * at once and starts the schedule.
     */
    long awaitNext() {
        long now = System.nanoTime();
        if (due == Long.MIN_VALUE) {
            due = now;
        } else {
            due += periodNanos;
            if (now - due > periodNanos) {  // more than a whole period late: restart the schedule here
                late++;
                due = now;
            }
        }
        for (long left = due - now; left > 0; left = due - now) {
            if (left > SPIN_NANOS) {
                LockSupport.parkNanos(left - SPIN_NANOS);
            } else {
                Thread.onSpinWait();
            }
            now = System.nanoTime();
        }
        return now;
    }

    /** How many times the producer was more than a period late and the schedule restarted. */
    long restarts() {
        return late;
    }
}
