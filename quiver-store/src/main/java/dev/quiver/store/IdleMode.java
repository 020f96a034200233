package dev.quiver.store;

import java.util.Locale;

/**
 * What the engine thread does when a turn of its duty cycle found no work ({@code quiver store --idle}). It matters
 * only while clients use command rings: with socket clients alone the engine always blocks in its selector.
 */
public enum IdleMode {
    /** Spin and never sleep: the lowest latency, and one core busy for as long as a ring client is connected. */
    SPIN,
    /**
     * The default, for a machine shared with the clients: spin a few microseconds, yield, park briefly (Agrona's
     * backoff), and after a millisecond without work sleep in the selector until a client rings the doorbell.
     */
    BACKOFF,
    /** Sleep in the selector as soon as a turn finds no work: the least CPU, a doorbell for every wake-up. */
    PARK;

    /** The mode named {@code spin}, {@code backoff} or {@code park} (any case). */
    public static IdleMode parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown idle mode '" + name + "'; use spin, backoff or park");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
