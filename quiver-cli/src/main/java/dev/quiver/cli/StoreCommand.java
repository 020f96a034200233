package dev.quiver.cli;

import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreMain;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code quiver store -m SIZE -s SOCKET [-d DIR] [-h]}: the store daemon, in the foreground. */
@Command(name = "store", sortOptions = false,
        description = {"Runs a store in the foreground.",
                "The store owns one shared-memory arena and serves clients on a Unix socket until SIGTERM or",
                "SIGINT (Ctrl-C), which stop it cleanly and remove its files."})
final class StoreCommand implements Callable<Integer> {
    @Option(names = {"-m", "--memory"}, required = true, paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Size of the arena: bytes or with a unit, like 512m or 4g.")
    long memory;

    @Option(names = {"-s", "--socket"}, required = true, paramLabel = "SOCKET",
            description = "The Unix socket to serve.")
    Path socket;

    @Option(names = {"-d", "--directory"}, paramLabel = "DIR", defaultValue = "/dev/shm",
            description = "Where the arena file lives (default: ${DEFAULT-VALUE}).")
    Path directory;

    @Option(names = {"-h", "--huge-pages"},
            description = "DIR is a hugepage mount (hugetlbfs, or tmpfs mounted with huge=always).")
    boolean hugePages;

    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean help;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return StoreMain.run(new StoreConfig(memory, socket, directory, hugePages), spec.commandLine().getOut());
    }
}
