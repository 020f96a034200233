package dev.quiver.bench.jmh;

import dev.quiver.client.JvmFlags;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the JMH benchmarks (the main class of {@code quiver-benchmarks.jar}); takes JMH's usual arguments. Forked
 * JVMs get Quiver's JVM flags (system property {@code quiver.jvm.flags}, or the defaults) and log warnings only.
 */
public final class JmhMain {
    private JmhMain() {}

    public static void main(String[] args) throws Exception {
        CommandLineOptions cli;
        try {
            cli = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("Error parsing command line: " + e.getMessage());
            System.exit(1);
            return;
        }
        if (cli.shouldHelp() || cli.shouldList() || cli.shouldListWithParams() || cli.shouldListProfilers()
                || cli.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args); // JMH's own listing and help
            return;
        }
        List<String> jvmArgs = new ArrayList<>(JvmFlags.current());
        jvmArgs.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        // Prepend, so that -jvmArgsAppend on the command line still works as documented.
        new Runner(new OptionsBuilder().parent(cli).jvmArgsPrepend(jvmArgs.toArray(String[]::new)).build()).run();
    }
}
