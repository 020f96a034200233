package dev.quiver.kafka;

/** One aggregate of a {@link WindowResult}, for alert rules. */
public enum Stat {
    /** Number of values. */
    COUNT,
    /** Arithmetic mean. */
    MEAN,
    /** Smallest value: "above X for the whole window" is {@code MIN} above X. */
    MIN,
    /** Largest value: "below X for the whole window" is {@code MAX} below X. */
    MAX,
    /** Median. */
    P50,
    /** 90th percentile. */
    P90,
    /** 99th percentile. */
    P99;

    /** This aggregate of a result. */
    public double of(WindowResult r) {
        return switch (this) {
            case COUNT -> r.count();
            case MEAN -> r.mean();
            case MIN -> r.min();
            case MAX -> r.max();
            case P50 -> r.p50();
            case P90 -> r.p90();
            case P99 -> r.p99();
        };
    }
}
