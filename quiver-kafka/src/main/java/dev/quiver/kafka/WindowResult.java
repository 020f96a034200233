package dev.quiver.kafka;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The aggregates of one metric of one key over one window. Percentiles are nearest-rank (the smallest value with at
 * least p% of the values at or below it), kept by HdrHistogram to 3 significant digits; they are NaN if the window
 * holds a negative value (HdrHistogram records values of zero and more).
 *
 * @param key          the key (for example the device)
 * @param metric       the metric's column
 * @param startMicros  window start, inclusive, microseconds since the epoch
 * @param endMicros    window end, exclusive
 * @param count        values aggregated (nulls and NaN are not values)
 * @param mean         their mean
 * @param min          the smallest
 * @param max          the largest
 * @param p50          the median
 * @param p90          the 90th percentile
 * @param p99          the 99th percentile
 * @param revision     0 when the window fires on time; 1, 2, ... each time late events update it
 */
public record WindowResult(String key, String metric, long startMicros, long endMicros, long count, double mean,
        double min, double max, double p50, double p90, double p99, int revision) {

    /** The window's start as an instant. */
    public Instant start() {
        return Instant.EPOCH.plus(startMicros, ChronoUnit.MICROS);
    }

    /** The window's end (exclusive) as an instant. */
    public Instant end() {
        return Instant.EPOCH.plus(endMicros, ChronoUnit.MICROS);
    }

    /** Whether late events changed this window after it fired. */
    public boolean late() {
        return revision > 0;
    }
}
