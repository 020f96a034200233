package dev.quiver.store;

import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpIdleStrategy;

/**
 * The engine's idle policy between turns of its duty cycle: an Agrona {@link IdleStrategy} while a ring client may
 * send at any moment, and, for {@link IdleMode#BACKOFF} and {@link IdleMode#PARK}, the point at which the engine stops
 * polling and blocks in its selector (after announcing it in every client's "asleep" word).
 */
final class EngineIdler {
    /** How long {@link IdleMode#BACKOFF} polls without work before it blocks. */
    static final long BLOCK_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final IdleMode mode;
    private final IdleStrategy strategy;
    private long idleSince = -1;

    EngineIdler(IdleMode mode) {
        this.mode = mode;
        this.strategy = switch (mode) {
            case SPIN -> new BusySpinIdleStrategy();
            // Spins and yields for roughly 50-100 us, then parks of 1 us growing to 100 us. A park returns after tens of
            // microseconds at best on a VM's idle vCPU, so a client that sends its next request a few microseconds
            // after a reply would otherwise find the engine parked every time and pay that wake-up per request.
            case BACKOFF -> new BackoffIdleStrategy(2_000, 50, 1_000, 100_000);
            case PARK -> NoOpIdleStrategy.INSTANCE;
        };
    }

    IdleMode mode() {
        return mode;
    }

    /**
     * Ends a turn that did {@code work} units of work.
     *
     * @return true if the engine should now block until a socket event, a doorbell or a deadline
     */
    boolean shouldBlock(int work) {
        if (work > 0) {
            strategy.reset();
            idleSince = -1;
            return false;
        }
        switch (mode) {
            case PARK -> {
                return true;
            }
            case SPIN -> {
                strategy.idle();
                return false;
            }
            default -> {
                long now = System.nanoTime();
                if (idleSince < 0) {
                    idleSince = now;
                } else if (now - idleSince >= BLOCK_AFTER_NANOS) {
                    return true;
                }
                strategy.idle();
                return false;
            }
        }
    }

    /** The engine blocked and woke up: the next idle spell starts from the beginning. */
    void woke() {
        strategy.reset();
        idleSince = -1;
    }
}
