package dev.quiver.examples;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks a demo prints at its end: each one {@code ok} or {@code FAIL}, or {@code skipped} with the reason where it
 * cannot run here (never "ok" for a check that did not run). The demo exits non-zero if one failed.
 */
public final class Checks {
    private final List<String> lines = new ArrayList<>();
    private int failed;
    private int skipped;

    /** Records a check that ran: ok if {@code passed}, else FAIL. Returns {@code passed}. */
    public boolean check(boolean passed, String what) {
        lines.add((passed ? "  ok      " : "  FAIL    ") + what);
        failed += passed ? 0 : 1;
        return passed;
    }

    /** Records a check that could not run, and why. */
    public void skip(String what, String why) {
        lines.add("  skipped " + what + ": " + why);
        skipped++;
    }

    /** Whether every check that ran passed. */
    public boolean passed() {
        return failed == 0;
    }

    /** The lines as printed. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** Prints every check and the verdict; returns the demo's exit status (0 if every check that ran passed). */
    public int report(PrintWriter out) {
        lines.forEach(out::println);
        out.println(failed > 0 ? "CHECK FAILED: " + failed + " of " + lines.size() + " checks failed."
                : "All checks passed" + (skipped > 0 ? " (" + skipped + " skipped)." : "."));
        out.flush();
        return failed > 0 ? 1 : 0;
    }
}
