package dev.quiver.kafka;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A threshold on one aggregate of one metric, checked on every window result: for example "CPU above 80% for a whole
 * window" is {@code AlertRule.above("cpu-busy", "cpu_used", Stat.MIN, 80)} (the smallest sample of the window is
 * above 80).
 *
 * @param name      the rule's name, carried by its alerts
 * @param metric    the metric's column
 * @param stat      the aggregate compared
 * @param above     true: alert when the aggregate is above the threshold; false: below
 * @param threshold the threshold (strict comparison)
 */
public record AlertRule(String name, String metric, Stat stat, boolean above, double threshold) {

    public AlertRule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(stat, "stat");
        if (Double.isNaN(threshold)) {
            throw new IllegalArgumentException("the threshold of rule " + name + " is NaN");
        }
    }

    /** Alert when {@code stat} of {@code metric} is above {@code threshold}. */
    public static AlertRule above(String name, String metric, Stat stat, double threshold) {
        return new AlertRule(name, metric, stat, true, threshold);
    }

    /** Alert when {@code stat} of {@code metric} is below {@code threshold}. */
    public static AlertRule below(String name, String metric, Stat stat, double threshold) {
        return new AlertRule(name, metric, stat, false, threshold);
    }

    /** The alert this result raises, if it raises one (a NaN aggregate raises none). */
    public Optional<Alert> check(WindowResult r) {
        if (!r.metric().equals(metric)) {
            return Optional.empty();
        }
        double v = stat.of(r);
        if (Double.isNaN(v) || (above ? v <= threshold : v >= threshold)) {
            return Optional.empty();
        }
        String message = String.format(Locale.ROOT, "%s: %s of %s for %s was %.2f, %s %.2f, over window %s .. %s",
                name, stat, metric, r.key().isEmpty() ? "(no key)" : r.key(), v, above ? "above" : "below", threshold,
                r.start(), r.end());
        return Optional.of(new Alert(name, r.key(), metric, stat, v, above, threshold, r.startMicros(), r.endMicros(),
                r.revision(), message));
    }
}
