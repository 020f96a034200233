package dev.quiver.cli;

import dev.quiver.client.ClientOptions;
import dev.quiver.client.DefaultSocket;
import dev.quiver.client.QuiverClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A command that talks to a running store: the {@code -s SOCKET}, {@code --timeout} and {@code --json} options, a
 * connected client for the length of the command, and the output stream. A store that does not answer within the
 * timeout ends the command with status 1 and a one-line message.
 */
abstract class ClientCommand implements Callable<Integer> {
    @Option(names = {"-s", "--socket"}, paramLabel = "SOCKET", description = {"The store's Unix socket (default:"
            + " $QUIVER_SOCKET, else $XDG_RUNTIME_DIR/quiver.sock, else /tmp/quiver-$UID/quiver.sock)."})
    Path socket;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "How long to wait for the store to answer each request, the handshake included, before "
                    + "giving up (default: ${DEFAULT-VALUE}): 500ms, 5s, 2m. With --remote: how long the Flight "
                    + "endpoint may take to answer the first call.")
    Duration timeout;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** Runs the command with a connected client; returns the exit status. */
    abstract int run(QuiverClient client, PrintWriter out);

    /** A command that can also talk to a store's Flight endpoint ({@code --remote}) instead of its socket. */
    interface Remotable {
        RemoteOptions remote();

        /** Runs the command against {@link #remote()}; returns the exit status. */
        int runRemote(PrintWriter out) throws Exception;
    }

    @Override
    public final Integer call() {
        inheritFromParent();
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--timeout must be positive, e.g. 5s or 500ms; got "
                    + timeout.toMillis() + "ms");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (this instanceof Remotable r && r.remote().given()) {
            try {
                return r.runRemote(out);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            } finally {
                out.flush();
            }
        }
        try (QuiverClient client = QuiverClient.connect(socket != null ? socket : DefaultSocket.path(),
                ClientOptions.defaults().withRequestTimeout(timeout))) {
            return run(client, out);
        } finally {
            out.flush();
        }
    }

    /**
     * A subcommand of a client command ({@code quiver streams rm}) takes the options given to its parent
     * ({@code quiver streams -s SOCKET rm NAME}) where it was not given its own: picocli runs the subcommand only.
     */
    private void inheritFromParent() {
        CommandSpec parentSpec = spec.parent();
        if (parentSpec == null || !(parentSpec.userObject() instanceof ClientCommand parent)
                || parentSpec.commandLine().getParseResult() == null) {
            return;
        }
        var mine = spec.commandLine().getParseResult();
        var theirs = parentSpec.commandLine().getParseResult();
        if (socket == null) {
            socket = parent.socket;
        }
        if (!mine.hasMatchedOption("--timeout") && theirs.hasMatchedOption("--timeout")) {
            timeout = parent.timeout;
        }
        json |= parent.json;
    }
}
