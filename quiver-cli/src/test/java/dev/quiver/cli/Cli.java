package dev.quiver.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the quiver command in this JVM and captures what it printed. */
record Cli(int exit, String out, String err) {
    static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = QuiverCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(exit, out.toString(), err.toString());
    }
}
