package dev.quiver.bench;

import dev.quiver.bench.Summary.Spread;
import java.util.Locale;

/** How figures are written in the report: three significant digits, one unit per cell. */
final class Fmt {
    private Fmt() {}

    /** A duration in nanoseconds with its spread, in the median's unit: {@code 38.2 µs (37.9–40.1)}. */
    static String time(Summary s, Spread spread) {
        TimeUnit u = TimeUnit.of(s.median());
        return u.format(s.median()) + " " + u.symbol + " (" + u.format(s.low(spread)) + "–" + u.format(s.high(spread))
                + ")";
    }

    /** A duration in nanoseconds: {@code 38.2 µs}. */
    static String time(double nanos) {
        TimeUnit u = TimeUnit.of(nanos);
        return u.format(nanos) + " " + u.symbol;
    }

    /** A plain figure with its spread: {@code 15.2 (14.9–16.0)}. */
    static String number(Summary s, Spread spread) {
        return sig3(s.median()) + " (" + sig3(s.low(spread)) + "–" + sig3(s.high(spread)) + ")";
    }

    /** A memory figure in bytes with its spread, in MiB: {@code 281 MiB (280–283)}. */
    static String mebibytes(Summary s, Spread spread) {
        double mib = 1 << 20;
        return sig3(s.median() / mib) + " MiB (" + sig3(s.low(spread) / mib) + "–" + sig3(s.high(spread) / mib) + ")";
    }

    /** A count with thousands separators: {@code 10,000,000}. */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** A ratio of medians: {@code 2.41×}. */
    static String ratio(double r) {
        return sig3(r) + "×";
    }

    /** A fraction as a percentage: {@code 83%}. */
    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
    }

    /** Three significant digits, no exponent: 0.0123, 1.23, 12.3, 123, 12345. */
    static String sig3(double v) {
        double a = Math.abs(v);
        String f = a >= 100 || a == 0 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : a >= 0.1 ? "%.3f" : "%.4f";
        return String.format(Locale.ROOT, f, v);
    }

    /** A size for tables: 1 KiB, 256 KiB, 1 GiB (exact powers of two print without decimals). */
    static String size(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        double v = bytes;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : sig3(v)) + " " + units[u];
    }

    private enum TimeUnit {
        NS("ns", 1), US("µs", 1e3), MS("ms", 1e6), S("s", 1e9);

        final String symbol;
        final double nanos;

        TimeUnit(String symbol, double nanos) {
            this.symbol = symbol;
            this.nanos = nanos;
        }

        static TimeUnit of(double nanos) {
            return nanos < 1e3 ? NS : nanos < 1e6 ? US : nanos < 1e9 ? MS : S;
        }

        String format(double n) {
            return sig3(n / nanos);
        }
    }
}
