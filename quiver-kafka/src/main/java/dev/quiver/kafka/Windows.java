package dev.quiver.kafka;

import java.time.Duration;

/**
 * Event-time windows: {@code [start, start + size)} with starts at multiples of {@code slide} since the epoch.
 * Tumbling windows have {@code slide == size} (each event in exactly one window); sliding windows have a smaller
 * slide (each event in {@code size / slide} windows, rounded up).
 *
 * <p>Lateness is judged against the watermark of the {@link WindowedAggregator}: the highest event time seen minus
 * {@code watermarkDelay} (how far out of order events may arrive and still be on time). A window fires when the
 * watermark reaches its end; it then accepts late events for {@code allowedLateness} more (each one updates and
 * re-emits its result), and after that it is gone and events for it are dropped (and counted).
 *
 * @param size            window length, positive
 * @param slide           distance between window starts, positive, at most {@code size}
 * @param watermarkDelay  out-of-orderness tolerated before the watermark passes an event, zero or more
 * @param allowedLateness how long after firing a window still takes late events, zero or more
 */
public record Windows(Duration size, Duration slide, Duration watermarkDelay, Duration allowedLateness) {

    public Windows {
        if (size == null || slide == null || watermarkDelay == null || allowedLateness == null) {
            throw new IllegalArgumentException("size, slide, watermark delay and allowed lateness are required");
        }
        if (micros(size) <= 0 || micros(slide) <= 0 || micros(slide) > micros(size)) {
            throw new IllegalArgumentException("windows need 0 < slide <= size (microsecond resolution), got size "
                    + size + " and slide " + slide);
        }
        if (watermarkDelay.isNegative() || allowedLateness.isNegative()) {
            throw new IllegalArgumentException("watermark delay and allowed lateness cannot be negative");
        }
    }

    /** Tumbling windows of {@code size}, no watermark delay, no allowed lateness. */
    public static Windows tumbling(Duration size) {
        return new Windows(size, size, Duration.ZERO, Duration.ZERO);
    }

    /** Windows of {@code size} starting every {@code slide}, no watermark delay, no allowed lateness. */
    public static Windows sliding(Duration size, Duration slide) {
        return new Windows(size, slide, Duration.ZERO, Duration.ZERO);
    }

    /** These windows with a watermark that trails the highest event time by {@code delay}. */
    public Windows withWatermarkDelay(Duration delay) {
        return new Windows(size, slide, delay, allowedLateness);
    }

    /** These windows, taking late events for {@code lateness} after they fire. */
    public Windows withAllowedLateness(Duration lateness) {
        return new Windows(size, slide, watermarkDelay, lateness);
    }

    /** Whether each event falls in exactly one window. */
    public boolean tumbling() {
        return size.equals(slide);
    }

    long sizeMicros() {
        return micros(size);
    }

    long slideMicros() {
        return micros(slide);
    }

    long delayMicros() {
        return micros(watermarkDelay);
    }

    long latenessMicros() {
        return micros(allowedLateness);
    }

    /** The start of the last window that contains {@code t} (the windows containing it start at or before it). */
    long lastStart(long t) {
        return Math.floorDiv(t, slideMicros()) * slideMicros();
    }

    private static long micros(Duration d) {
        return d.toNanos() / 1000;
    }
}
