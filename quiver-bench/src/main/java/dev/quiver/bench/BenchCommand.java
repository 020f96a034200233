package dev.quiver.bench;

import dev.quiver.store.IdleMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quiver bench}: the multi-process benchmark ({@link Bench}), as a Markdown report. It runs from the benchmarks
 * jar ({@code quiver-bench/target/quiver-benchmarks.jar}, whose own main class runs JMH); the {@code quiver} command
 * starts it there, so that the operator's tool does not carry the benchmarks' libraries.
 */
@Command(name = "quiver bench", mixinStandardHelpOptions = true,
        description = {"Measures Quiver next to the physical limit (memcpy, summing memory) and the alternatives"
                + " (a Unix-socket copy), and prints a Markdown report.",
                "Runs an embedded store, a socket server and worker JVMs. The full run takes minutes and about"
                        + " 5 GiB of memory (objects up to 1 GiB); run it on an idle machine.",
                "--quick takes seconds: a smoke test whose figures are indicative only."})
public final class BenchCommand implements Callable<Integer> {
    /** Runs {@code quiver bench} with these arguments and exits with its status. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }

    @Option(names = "--quick", description = "Small sizes, few and short repetitions (a smoke test).")
    boolean quick;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the report to FILE instead of stdout.")
    Path out;

    @Option(names = "--charts", paramLabel = "DIR", description = "Render PNG charts of the size sweeps into DIR.")
    Path charts;

    @Option(names = "--idle", paramLabel = "MODE", description = "How the harness's store idles between requests, as"
            + " quiver store --idle: spin, backoff (the default) or park.")
    String idle = "backoff";

    @Option(names = "--streams-only", description = "Run section 5 (streams: Quiver, Aeron IPC, Kafka) alone, with"
            + " the same settings, and report it with the machine.")
    boolean streamsOnly;

    @Option(names = "--listing", paramLabel = "OBJECTS", description = "Instead of the report: fill a store with"
            + " OBJECTS objects and measure another client's round trips while they are listed and while a late"
            + " subscriber takes them (e.g. --listing 2000000).")
    int listing;

    @Option(names = "--wakeups", paramLabel = "ROUNDS", description = "Instead of the report: measure how fast one"
            + " process wakes another that waits in shared memory, ROUNDS times each way: spinning, futex wait/wake,"
            + " a Unix-socket doorbell (e.g. --wakeups 20000).")
    int wakeups;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (listing > 0) {
            ListingUnderLoad.run(listing, spec.commandLine().getOut(), line -> {
                err.println("bench: " + line);
                err.flush();
            });
            return 0;
        }
        if (wakeups > 0) {
            try {
                WakeupLatency.run(wakeups, spec.commandLine().getOut(), line -> {
                    err.println("bench: " + line);
                    err.flush();
                });
                return 0;
            } catch (BenchException e) {
                err.println("quiver bench: " + e.getMessage());
                return 1;
            }
        }
        IdleMode idleMode;
        try {
            idleMode = IdleMode.parse(idle);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--idle: " + e.getMessage());
        }
        Options options = (quick ? Options.quick() : Options.full())
                .withStoreIdle(idleMode)
                .withCommand(command())
                .withCharts(charts, out)
                .withProgress(line -> {
                    err.println("bench: " + line);
                    err.flush();
                });
        try {
            if (out == null) {
                run(options, spec.commandLine().getOut());
            } else {
                Path parent = out.toAbsolutePath().getParent();
                Files.createDirectories(parent);
                try (PrintWriter file = new PrintWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8))) {
                    run(options, file);
                }
                err.println("bench: report written to " + out);
            }
            return 0;
        } catch (BenchException e) {
            err.println("quiver bench: " + e.getMessage());
            return 1;
        }
    }

    private void run(Options options, PrintWriter to) throws IOException {
        if (streamsOnly) {
            Bench.runStreams(options, to);
        } else {
            Bench.run(options, to);
        }
    }

    /** The command line as the report prints it. */
    private String command() {
        return "quiver bench" + (quick ? " --quick" : "") + (streamsOnly ? " --streams-only" : "")
                + (idle.equalsIgnoreCase("backoff") ? "" : " --idle " + idle.toLowerCase(java.util.Locale.ROOT))
                + (out == null ? "" : " --out " + out)
                + (charts == null ? "" : " --charts " + charts);
    }
}
