package dev.quiver.examples.realtime;

import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * What one consumer of {@code quiver demo realtime} saw, split into warm-up and steady state: for each batch, the
 * latency from the producer's append (the time the batch carries) to the moment this consumer had it, and how far
 * behind the producer the consumer was at that moment.
 *
 * <p>"Behind" is computed afterwards from times alone, so measuring it costs the consumer nothing while it runs: when
 * the consumer got batch i, the producer had appended every batch whose append time is at or before that moment; those
 * beyond i are the ones waiting for this consumer. A consumer that keeps up is 0 or 1 behind, and its latency is the
 * hand-off; one that is many batches behind measures mostly the time its batches waited in the queue.
 */
final class Latencies {
    private Latencies() {}

    /**
     * One phase of a consumer's run.
     *
     * @param phase           {@code warmup} or {@code steady}
     * @param batches         batches of this phase that the consumer read
     * @param readPerSecond   the rate at which it read them (0 if fewer than two)
     * @param appendPerSecond the rate at which the producer appended them (0 if fewer than two)
     * @param p50             latency percentiles and maximum, nanoseconds (HdrHistogram, 3 significant digits)
     * @param lagAtStart      how many batches the consumer was behind when it got the phase's first batch
     * @param lagP50          median number of batches the consumer was behind when it got one
     * @param lagMax          the most it was behind
     */
    record Phase(String phase, int batches, double readPerSecond, double appendPerSecond, long p50, long p99,
                 long max, long lagAtStart, long lagP50, long lagMax) {

        /**
         * The line a consumer prints:
         * {@code PHASE name batches read/s append/s p50 p99 max lagAtStart lagP50 lagMax}.
         */
        String toLine() {
            return String.format(Locale.ROOT, "PHASE %s %d %.3f %.3f %d %d %d %d %d %d", phase, batches,
                    readPerSecond, appendPerSecond, p50, p99, max, lagAtStart, lagP50, lagMax);
        }

        /** Reads back what {@link #toLine()} wrote. */
        static Phase parse(String line) {
            String[] f = line.split(" ");
            if (f.length != 11 || !f[0].equals("PHASE")) {
                throw new IllegalArgumentException("not a PHASE line: " + line);
            }
            return new Phase(f[1], Integer.parseInt(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4]),
                    Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8]),
                    Long.parseLong(f[9]), Long.parseLong(f[10]));
        }
    }

    /**
     * Splits the first {@code n} batches a consumer read into warm-up (appended less than {@code warmupNanos} after
     * the first) and steady state, and measures each.
     *
     * @param appended the producer's append time of each batch, {@link System#nanoTime()}, in reading order
     * @param received when the consumer had each batch, same clock
     */
    static List<Phase> analyse(long[] appended, long[] received, int n, long warmupNanos) {
        int steadyFrom = 0;
        while (steadyFrom < n && appended[steadyFrom] - appended[0] < warmupNanos) {
            steadyFrom++;
        }
        long[] lag = new long[n];
        int appendedBy = 0;  // how many batches were appended by received[i]; append times never go back
        for (int i = 0; i < n; i++) {
            while (appendedBy < n && appended[appendedBy] <= received[i]) {
                appendedBy++;
            }
            lag[i] = Math.max(0, appendedBy - (i + 1));
        }
        return List.of(phase("warmup", appended, received, lag, 0, steadyFrom),
                phase("steady", appended, received, lag, steadyFrom, n));
    }

    private static Phase phase(String name, long[] appended, long[] received, long[] lag, int from, int to) {
        Histogram latency = new Histogram(3);
        Histogram behind = new Histogram(3);
        for (int i = from; i < to; i++) {
            latency.recordValue(Math.max(0, received[i] - appended[i]));
            behind.recordValue(lag[i]);
        }
        // An empty histogram answers 0 for every percentile and the maximum.
        return new Phase(name, to - from, perSecond(received, from, to), perSecond(appended, from, to),
                latency.getValueAtPercentile(50), latency.getValueAtPercentile(99), latency.getMaxValue(),
                from < to ? lag[from] : 0, behind.getValueAtPercentile(50), behind.getMaxValue());
    }

    /** Events per second over times[from, to): intervals over the time they span; 0 if there is no interval. */
    private static double perSecond(long[] times, int from, int to) {
        long span = to - from < 2 ? 0 : times[to - 1] - times[from];
        return span <= 0 ? 0 : (to - from - 1) * 1e9 / span;
    }
}
