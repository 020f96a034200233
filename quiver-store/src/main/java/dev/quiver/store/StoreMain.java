package dev.quiver.store;

import dev.quiver.protocol.Sizes;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The store as a daemon in the foreground: starts it, says where it serves and how long pre-faulting took, and
 * serves until SIGTERM or SIGINT, which stop it cleanly (its files removed) with exit status 0, as supervisors
 * expect of a clean stop. {@code quiver store} parses the command line and calls {@link #run}.
 */
public final class StoreMain {
    private static final List<String> STOP_SIGNALS = List.of("TERM", "INT");

    private StoreMain() {}

    /**
     * Runs a store until the process gets SIGTERM or SIGINT (or the engine fails).
     *
     * @return the exit status: 0 after a clean stop, 1 if the engine failed
     * @throws StoreStartException if the store cannot start; nothing is left behind
     */
    public static int run(StoreConfig config, PrintWriter out) throws IOException, InterruptedException {
        StoreServer store = StoreServer.start(config);
        // Any other way the JVM ends (System.exit, SIGHUP) still removes the files.
        Thread hook = new Thread(store::close, "quiver-store-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // The JVM's own handlers for these signals exit with 128 + signal (143, 130); ours stops the store and
        // lets run() return 0.
        SignalHandler[] previous = new SignalHandler[STOP_SIGNALS.size()];
        for (int i = 0; i < previous.length; i++) {
            previous[i] = Signal.handle(new Signal(STOP_SIGNALS.get(i)), signal -> store.close());
        }
        try {
            out.printf("quiver store: serving %s with %s of memory (arena %s, pre-faulted in %d ms, pid %d, idle %s)%n",
                    store.socket(), Sizes.format(store.capacity()), store.arenaPath(),
                    store.prefaultTime().toMillis(), ProcessHandle.current().pid(), config.idle());
            if (store.httpUrl() != null) {
                out.printf("quiver store: status page %s, metrics %smetrics%n", store.httpUrl(), store.httpUrl());
            }
            out.flush();
            store.awaitStop();
            store.close(); // returns once a close begun by a signal has removed the files
            return store.failure() == null ? 0 : 1;
        } finally {
            for (int i = 0; i < previous.length; i++) {
                Signal.handle(new Signal(STOP_SIGNALS.get(i)), previous[i]);
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook has run or runs now; nothing to undo
            }
        }
    }
}
