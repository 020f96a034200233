package dev.quiver.examples;

import java.util.Locale;

/** Durations as a person reads them: {@code 950 ns}, {@code 38 µs}, {@code 1.2 ms}, {@code 3.4 s}. */
public final class Durations {
    private static final String[] UNITS = {"ns", "µs", "ms", "s"};

    private Durations() {}

    /**
     * {@code nanos} in the largest unit (ns, µs, ms, s) in which it is at least 1 after rounding, with one decimal
     * below 10 and none from 10 up, so that every figure has two or three significant digits: 950 ns, 9.5 µs, 38 µs,
     * 1.2 ms, 120 ms, 3.4 s, 75 s. Negative durations get a minus sign.
     */
    public static String human(long nanos) {
        if (nanos < 0) {
            return "-" + human(-(double) nanos);
        }
        return human((double) nanos);
    }

    private static String human(double nanos) {
        double v = nanos;
        int unit = 0;
        // Round before choosing the unit, so that 999.7 µs reads "1.0 ms" and never "1000 µs".
        while (unit < UNITS.length - 1 && rounded(v) >= 1000) {
            v /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, rounded(v) < 10 && unit > 0 ? "%.1f %s" : "%.0f %s", v, UNITS[unit]);
    }

    /** {@code v} as it will be printed: to one decimal below 10, else to an integer. */
    private static double rounded(double v) {
        return v < 9.95 ? Math.round(v * 10) / 10.0 : Math.round(v);
    }
}
