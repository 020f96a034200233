package dev.quiver.cli;

import dev.quiver.client.QuiverException;
import dev.quiver.store.StoreStartException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import org.apache.arrow.flight.FlightRuntimeException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code quiver} command. */
@Command(name = "quiver", mixinStandardHelpOptions = true, versionProvider = QuiverCommand.Version.class,
        description = "Quiver: a shared-memory object store for Apache Arrow data.",
        subcommands = {StoreCommand.class, LsCommand.class, StatsCommand.class, WatchCommand.class, TailCommand.class,
                RmCommand.class, EvictCommand.class, PutCommand.class, GetCommand.class, HeadCommand.class,
                StreamsCommand.class, WhoCommand.class, SiblingCommands.Demo.class,
                SiblingCommands.Example.class, SiblingCommands.Bench.class, CommandLine.HelpCommand.class})
public final class QuiverCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line on the standard streams and returns its exit status. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given output and error streams and returns its exit status. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return execute(new QuiverCommand(), out, err, args);
    }

    /**
     * Runs a picocli command the way every Quiver command runs: a failure the user can act on (a bad argument, a
     * store's refusal or absence) prints one line and exits with status 1; anything else is a bug and shows its trace.
     */
    public static int execute(Object command, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(command).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof QuiverException || e instanceof StoreStartException
                    || e instanceof IllegalArgumentException) {
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
                return 1;
            }
            if (e instanceof FlightRuntimeException f) { // a remote store's refusal, or its absence
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": the remote store answered "
                        + f.status().code() + ": " + f.getMessage());
                return 1;
            }
            throw e;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The version and git commit this build was made from (version.properties, filled in by the build), and the Java
     * that runs it: {@code quiver 0.1.0-SNAPSHOT (commit 0123456789ab, modified) on Java 25.0.3+9-LTS}.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = QuiverCommand.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            String version = known(p.getProperty("version"), "(unknown version)");
            String commit = known(p.getProperty("commit"), "unknown");
            String dirty = "true".equals(p.getProperty("dirty")) ? ", with uncommitted changes" : "";
            return new String[] {"quiver " + version + " (commit " + commit + dirty + ") on Java " + Runtime.version()};
        }

        /** The value, unless the build left it empty or unfilled (a source tree without git). */
        private static String known(String value, String otherwise) {
            return value == null || value.isBlank() || value.startsWith("${") ? otherwise : value;
        }
    }
}
