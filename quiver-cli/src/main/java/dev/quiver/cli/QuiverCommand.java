package dev.quiver.cli;

import dev.quiver.client.QuiverException;
import dev.quiver.store.StoreStartException;
import java.io.PrintWriter;
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
            throw e;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The version from the jar's manifest, or "dev". */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = QuiverCommand.class.getPackage().getImplementationVersion();
            return new String[] {"quiver " + (v == null ? "dev" : v) + " on Java " + Runtime.version()};
        }
    }
}
