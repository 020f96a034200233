package dev.quiver.cli;

import dev.quiver.client.DefaultSocket;
import dev.quiver.store.IdleMode;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code quiver store -m SIZE [-s SOCKET] [-d DIR] [-h] [--idle MODE]}: the store daemon, in the foreground. */
@Command(name = "store", sortOptions = false,
        description = {"Runs a store in the foreground.",
                "The store owns one shared-memory arena and serves clients on a Unix socket until SIGTERM or",
                "SIGINT (Ctrl-C), which stop it cleanly, remove its files and exit with status 0."})
final class StoreCommand implements Callable<Integer> {
    @Option(names = {"-m", "--memory"}, required = true, paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Size of the arena: bytes or with a unit, like 512m or 4g.")
    long memory;

    @Option(names = {"-s", "--socket"}, paramLabel = "SOCKET", description = {"The Unix socket to serve (default:"
            + " $QUIVER_SOCKET, else $XDG_RUNTIME_DIR/quiver.sock, else /tmp/quiver-$UID/quiver.sock, whose"
            + " directory is created with mode 700). A file there that is not the socket of a store that is gone"
            + " is refused."})
    Path socket;

    @Option(names = {"-d", "--directory"}, paramLabel = "DIR", defaultValue = "/dev/shm",
            description = "Where the arena file lives (default: ${DEFAULT-VALUE}); a tmpfs or hugetlbfs mount, or the"
                    + " kernel writes the arena back to disk (the log warns).")
    Path directory;

    @Option(names = {"-h", "--huge-pages"},
            description = "DIR is a hugepage mount (hugetlbfs, or tmpfs mounted with huge=always).")
    boolean hugePages;

    @Option(names = "--connection-memory", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "The most heap all client connections together may hold in the store: frames being read,"
                    + " replies not yet read, waiting requests (default: 256m, or a quarter of the heap if less;"
                    + " at least 33m). One connection may hold a quarter of it, at most 64m; the store drops a"
                    + " connection past that, with the reason in its log.")
    long connectionMemory;

    @Option(names = "--idle", paramLabel = "MODE", defaultValue = "backoff",
            description = {"What the engine thread does when it has no work while clients use command rings:"
                    + " spin (lowest latency, one core always busy), backoff (default: spin a few microseconds,"
                    + " yield, park briefly, then sleep until a client rings the doorbell; an idle store uses"
                    + " no CPU) or park (sleep at once; least CPU, a doorbell per wake-up)."})
    String idle;

    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean help;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(directory)) { // a usage error (status 2), in one line: the usage would bury it
            spec.commandLine().getErr().println("quiver store: -d " + directory + ": no such directory; create it,"
                    + " or leave -d out to use /dev/shm");
            return 2;
        }
        Path served = socket != null ? socket : DefaultSocket.forStore();
        StoreConfig config;
        try {
            config = new StoreConfig(memory, served, directory, hugePages, connectionMemory, IdleMode.parse(idle));
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("quiver store: " + e.getMessage());
            return 2;
        }
        return StoreMain.run(config, spec.commandLine().getOut());
    }
}
