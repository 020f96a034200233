package dev.quiver.examples;

import dev.quiver.cli.QuiverCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The main class of {@code quiver-examples.jar}: {@code quiver demo ...} and {@code quiver example}, which the
 * {@code quiver} command runs here, in a JVM of their own.
 */
@Command(name = "quiver", mixinStandardHelpOptions = true, description = "Quiver's demos and walkthrough.",
        subcommands = {DemoCommand.class, ExampleCommand.class, CommandLine.HelpCommand.class})
public final class QuiverExamples implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs a demo or the walkthrough with the given output and error streams and returns its exit status. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return QuiverCommand.execute(new QuiverExamples(), out, err, args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
