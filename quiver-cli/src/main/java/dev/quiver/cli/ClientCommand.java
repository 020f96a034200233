package dev.quiver.cli;

import dev.quiver.client.DefaultSocket;
import dev.quiver.client.QuiverClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A command that talks to a running store: the {@code -s SOCKET} and {@code --json} options, a connected client
 * for the length of the command, and the output stream.
 */
abstract class ClientCommand implements Callable<Integer> {
    @Option(names = {"-s", "--socket"}, paramLabel = "SOCKET", description = {"The store's Unix socket (default:"
            + " $QUIVER_SOCKET, else $XDG_RUNTIME_DIR/quiver.sock, else /tmp/quiver-$UID/quiver.sock)."})
    Path socket;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** Runs the command with a connected client; returns the exit status. */
    abstract int run(QuiverClient client, PrintWriter out);

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (QuiverClient client = QuiverClient.connect(socket != null ? socket : DefaultSocket.path())) {
            return run(client, out);
        } finally {
            out.flush();
        }
    }
}
