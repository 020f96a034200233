package dev.quiver.store;

import java.io.IOException;
import java.io.PrintWriter;

/**
 * The store as a daemon in the foreground: starts it, says where it serves and how long pre-faulting took, and
 * serves until SIGTERM or SIGINT, whose shutdown hook stops it cleanly and removes its files. {@code quiver store}
 * parses the command line and calls {@link #run}.
 */
public final class StoreMain {
    private StoreMain() {}

    /**
     * Runs a store until the process is signalled (or the engine fails).
     *
     * @return the exit status: 0 after a clean stop, 1 if the engine failed
     * @throws StoreStartException if the store cannot start; nothing is left behind
     */
    public static int run(StoreConfig config, PrintWriter out) throws IOException, InterruptedException {
        StoreServer store = StoreServer.start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(store::close, "quiver-store-shutdown"));
        out.printf("quiver store: serving %s with %s of memory (arena %s, pre-faulted in %d ms, pid %d)%n",
                store.socket(), Sizes.format(store.capacity()), store.arenaPath(), store.prefaultTime().toMillis(),
                ProcessHandle.current().pid());
        out.flush();
        store.awaitStop();
        return store.failure() == null ? 0 : 1;
    }
}
