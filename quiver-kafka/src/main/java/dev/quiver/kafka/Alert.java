package dev.quiver.kafka;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A rule's threshold crossed by one window: emitted at most once per rule, key and window (the first revision of the
 * window that crosses it).
 *
 * @param rule        the rule's name
 * @param key         the key (for example the device)
 * @param metric      the metric
 * @param stat        the aggregate compared
 * @param value       its value over the window
 * @param above       whether the rule fires above (else below) the threshold
 * @param threshold   the threshold
 * @param startMicros window start, microseconds since the epoch
 * @param endMicros   window end (exclusive)
 * @param revision    the window result's revision that raised it (greater than 0: late events raised it)
 * @param message     a sentence for people
 */
public record Alert(String rule, String key, String metric, Stat stat, double value, boolean above, double threshold,
        long startMicros, long endMicros, int revision, String message) {

    /** The window's start as an instant. */
    public Instant start() {
        return Instant.EPOCH.plus(startMicros, ChronoUnit.MICROS);
    }

    /** The window's end as an instant. */
    public Instant end() {
        return Instant.EPOCH.plus(endMicros, ChronoUnit.MICROS);
    }

    /** The alert as a JSON-ready map (the value of alert records in Kafka). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", rule);
        m.put("key", key);
        m.put("metric", metric);
        m.put("stat", stat.name());
        m.put("value", value);
        m.put("comparison", above ? "above" : "below");
        m.put("threshold", threshold);
        m.put("window_start", start().toString());
        m.put("window_end", end().toString());
        m.put("revision", revision);
        m.put("message", message);
        return m;
    }
}
