package dev.quiver.arrow;

/**
 * How many of a stream's batches its writer keeps: the newest {@code maxBatches} batches and at most
 * {@code maxBytes} bytes of them (the newest batch is always kept). Older batches are deleted as new ones are
 * appended; a batch that a reader still holds is freed when that reader releases it. The store may also evict
 * unreferenced batches when it needs memory; readers are told of every batch they lost either way.
 */
public record Retention(long maxBatches, long maxBytes) {
    /** Keep everything (until the store evicts). */
    public static final Retention ALL = new Retention(Long.MAX_VALUE, Long.MAX_VALUE);

    public Retention {
        if (maxBatches < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("retention must keep at least one batch and one byte, got "
                    + maxBatches + " batches, " + maxBytes + " bytes");
        }
    }

    /** Keep the newest {@code n} batches. */
    public static Retention batches(long n) {
        return new Retention(n, Long.MAX_VALUE);
    }

    /** Keep the newest batches that fit in {@code bytes}. */
    public static Retention bytes(long bytes) {
        return new Retention(Long.MAX_VALUE, bytes);
    }
}
