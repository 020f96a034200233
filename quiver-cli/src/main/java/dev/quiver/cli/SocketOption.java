package dev.quiver.cli;

import dev.quiver.client.QuiverClient;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code -s SOCKET} option every client command shares; defaults to $QUIVER_SOCKET, then /tmp/quiver.sock. */
final class SocketOption {
    static final String DEFAULT = "${QUIVER_SOCKET:-/tmp/quiver.sock}";

    @Option(names = {"-s", "--socket"}, paramLabel = "SOCKET", defaultValue = DEFAULT,
            description = "The store's Unix socket (default: $QUIVER_SOCKET or /tmp/quiver.sock).")
    Path socket;

    QuiverClient connect() {
        return QuiverClient.connect(socket);
    }
}
