package dev.quiver.kafka;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Checks every window result against the rules and hands each alert to a sink, at most once per rule, key and window
 * (a late revision that crosses the threshold raises the alert if the earlier ones did not; one that no longer
 * crosses it retracts nothing). Feed it the results of a {@link WindowedAggregator}: it is a
 * {@code Consumer<WindowResult>}.
 *
 * <p>It remembers which windows alerted until results for windows ending {@code horizonMicros} later arrive; give the
 * windows' size plus their allowed lateness, after which no revision of a window can come. Not thread-safe.
 */
public final class AlertEvaluator implements Consumer<WindowResult> {
    private record Raised(String rule, String key, long start) {}

    private final List<AlertRule> rules;
    private final Consumer<Alert> sink;
    private final long horizonMicros;
    private final Set<Raised> raised = new HashSet<>();
    private long latestEnd = Long.MIN_VALUE;
    private long alerts;

    /** Rules checked on results of {@code windows}, alerts handed to {@code sink}. */
    public AlertEvaluator(List<AlertRule> rules, Windows windows, Consumer<Alert> sink) {
        this.rules = List.copyOf(rules);
        this.sink = Objects.requireNonNull(sink);
        this.horizonMicros = windows.sizeMicros() + windows.latenessMicros();
    }

    /** Alerts raised so far. */
    public long alerts() {
        return alerts;
    }

    @Override
    public void accept(WindowResult r) {
        if (r.endMicros() > latestEnd) {
            latestEnd = r.endMicros();
            raised.removeIf(x -> x.start() < latestEnd - horizonMicros - horizonMicros);
        }
        for (AlertRule rule : rules) {
            rule.check(r).ifPresent(a -> {
                if (raised.add(new Raised(rule.name(), r.key(), r.startMicros()))) {
                    alerts++;
                    sink.accept(a);
                }
            });
        }
    }
}
