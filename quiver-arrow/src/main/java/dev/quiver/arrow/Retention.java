package dev.quiver.arrow;

import java.time.Duration;

/**
 * How much of a stream its writer keeps: at most the newest {@code maxBatches} batches, at most {@code maxBytes}
 * bytes of them, and (unless zero) nothing older than {@code maxAge}. The log is kept in segments and loses whole
 * segments, oldest first, never the one being written: a stream keeps between about three quarters of its limit and
 * the limit (its writer sizes segments to a quarter of the limit; the newest batch is always kept). Old segments
 * go as new batches are appended; one that a reader still holds is freed when that reader lets it go. The store may
 * also evict unreferenced segments when it needs memory; readers are told of every batch they lost either way.
 */
public record Retention(long maxBatches, long maxBytes, Duration maxAge) {
    /** Keep everything (until the store evicts). */
    public static final Retention ALL = new Retention(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ZERO);

    public Retention {
        if (maxBatches < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("retention must keep at least one batch and one byte, got "
                    + maxBatches + " batches, " + maxBytes + " bytes");
        }
        if (maxAge == null || maxAge.isNegative()) {
            throw new IllegalArgumentException("the retention's age limit must be zero (none) or positive, got "
                    + maxAge);
        }
    }

    /** Batches and bytes, with no age limit. */
    public Retention(long maxBatches, long maxBytes) {
        this(maxBatches, maxBytes, Duration.ZERO);
    }

    /** Keep the newest {@code n} batches. */
    public static Retention batches(long n) {
        return new Retention(n, Long.MAX_VALUE);
    }

    /** Keep the newest batches that fit in {@code bytes}. */
    public static Retention bytes(long bytes) {
        return new Retention(Long.MAX_VALUE, bytes);
    }

    /** Keep the batches appended within {@code age} (checked as batches are appended). */
    public static Retention age(Duration age) {
        if (age == null || age.isZero() || age.isNegative()) {
            throw new IllegalArgumentException("an age limit must be positive, got " + age);
        }
        return new Retention(Long.MAX_VALUE, Long.MAX_VALUE, age);
    }
}
