package dev.quiver.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Median and spread of repeated measurements of one figure.
 *
 * @param median the median (the mean of the two middle values for an even count)
 * @param p25    the 25th percentile (linear interpolation between closest ranks)
 * @param p75    the 75th percentile
 * @param min    the smallest value
 * @param max    the largest value
 * @param n      how many values
 */
public record Summary(double median, double p25, double p75, double min, double max, int n) {

    /** Summarises the values (at least one). */
    public static Summary of(double... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values to summarise");
        }
        double[] v = values.clone();
        Arrays.sort(v);
        return new Summary(percentile(v, 50), percentile(v, 25), percentile(v, 75), v[0], v[v.length - 1], v.length);
    }

    /** Summarises the values (at least one). */
    public static Summary of(List<Double> values) {
        return of(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The spread of this summary as its two ends, for the given kind of spread. */
    public double low(Spread s) {
        return s == Spread.IQR ? p25 : min;
    }

    public double high(Spread s) {
        return s == Spread.IQR ? p75 : max;
    }

    /** Which spread a table shows next to a median. */
    public enum Spread {
        /** p25–p75: for many samples of one operation (latencies). */
        IQR("p25–p75"),
        /** min–max: for a few repetitions of a whole measurement (bandwidths, rates). */
        RANGE("min–max");

        public final String label;

        Spread(String label) {
            this.label = label;
        }
    }

    private static double percentile(double[] sorted, double p) {
        double rank = p / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
