package dev.quiver.cli;

import dev.quiver.protocol.Sizes;
import java.io.PrintWriter;

/**
 * A one-line progress bar on stderr for long work, redrawn in place ({@code \r}) at most five times a second:
 * <pre>
 * reading sales.parquet  [##########..........]  52%  520,000 rows  1.2 s
 * </pre>
 * With no known total it shows the count alone. Disabled, it prints nothing. Thread-safe.
 */
final class Progress implements AutoCloseable {
    private static final long REDRAW_NANOS = 200_000_000;
    private static final int WIDTH = 20;

    private final PrintWriter err;
    private final boolean enabled;
    private final String label;
    private final String unit;
    private final long start = System.nanoTime();
    private long lastDraw;
    private boolean drawn;
    private long done;
    private double fraction = -1;

    /**
     * @param unit "rows", "batches" or "bytes" (bytes are printed as sizes)
     */
    Progress(PrintWriter err, boolean enabled, String label, String unit) {
        this.err = err;
        this.enabled = enabled;
        this.label = label;
        this.unit = unit;
    }

    /** Whether to show progress: asked for, or on a terminal for work that is expected to take a while. */
    static boolean wanted(Boolean option, boolean large) {
        if (option != null) {
            return option;
        }
        java.io.Console console = System.console();
        return large && console != null && console.isTerminal();
    }

    /** Reports {@code done} units of {@code total} (total 0 or less: unknown). */
    synchronized void update(long done, long total) {
        update(done, total > 0 ? Math.min(1.0, (double) done / total) : -1);
    }

    /** Reports {@code done} units and the fraction of the work done, if known (negative: unknown). */
    synchronized void update(long done, double fraction) {
        this.done = done;
        this.fraction = fraction;
        long now = System.nanoTime();
        if (enabled && (!drawn || now - lastDraw >= REDRAW_NANOS)) {
            draw(now);
        }
    }

    private void draw(long now) {
        lastDraw = now;
        drawn = true;
        StringBuilder line = new StringBuilder("\r").append(label).append("  ");
        if (fraction >= 0) {
            int filled = (int) Math.round(fraction * WIDTH);
            line.append('[').append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("]  ")
                    .append(String.format("%3d%%", (int) Math.floor(fraction * 100))).append("  ");
        }
        line.append(unit.equals("bytes") ? Sizes.format(done) : String.format("%,d %s", done, unit))
                .append(String.format("  %.1f s", (now - start) / 1e9));
        err.print(line);
        err.flush();
    }

    /** The work is done: 100%. */
    synchronized void complete() {
        fraction = 1.0;
    }

    /** Draws the last state and ends the line. */
    @Override
    public synchronized void close() {
        if (enabled) {
            draw(System.nanoTime());
            err.println();
            err.flush();
        }
    }
}
