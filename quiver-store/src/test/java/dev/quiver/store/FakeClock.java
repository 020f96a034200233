package dev.quiver.store;

/** Monotonic and wall-clock time that move only when a test says so. */
final class FakeClock {
    /** Deliberately far from 0, so code that confuses "0" with "no time" shows up. */
    private long nanos = 5_000_000_000_000L;
    private long wallMillis = 1_750_000_000_000L;

    long nanos() {
        return nanos;
    }

    long wallMillis() {
        return wallMillis;
    }

    void advanceMillis(long millis) {
        advanceNanos(millis * 1_000_000);
    }

    /** Moves both clocks; the wall clock by whole milliseconds elapsed. */
    void advanceNanos(long delta) {
        long before = nanos / 1_000_000;
        nanos += delta;
        wallMillis += nanos / 1_000_000 - before;
    }
}
