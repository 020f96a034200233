package dev.quiver.examples;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs a demo in this JVM, as {@code quiver demo ...} does in its own, and captures what it printed. */
public record Run(int exit, String out, String err) {
    public static Run of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = QuiverExamples.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }
}
