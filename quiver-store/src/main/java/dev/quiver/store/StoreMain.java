package dev.quiver.store;

import dev.quiver.protocol.Sizes;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
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
     * Something that runs beside the store in its process, as a client of it (the Flight endpoint that
     * {@code quiver store --flight} adds): started once the store serves, before the serving line is printed, and
     * closed before the store stops. This module knows nothing more of it.
     */
    @FunctionalInterface
    public interface Attachment {
        /**
         * Starts it against the running store; may print a line to {@code out} saying where it serves.
         *
         * @return what stops it
         */
        AutoCloseable start(StoreServer store, PrintWriter out) throws Exception;
    }

    /**
     * Runs a store until the process gets SIGTERM or SIGINT (or the engine fails).
     *
     * @return the exit status: 0 after a clean stop, 1 if the engine failed
     * @throws StoreStartException if the store cannot start; nothing is left behind
     */
    public static int run(StoreConfig config, PrintWriter out) throws IOException, InterruptedException {
        return run(config, out, List.of());
    }

    /**
     * Runs a store with attachments until the process gets SIGTERM or SIGINT (or the engine fails).
     *
     * @return the exit status: 0 after a clean stop, 1 if the engine failed
     * @throws StoreStartException if the store or an attachment cannot start; nothing is left behind
     */
    public static int run(StoreConfig config, PrintWriter out, List<Attachment> attachments)
            throws IOException, InterruptedException {
        StoreServer store = StoreServer.start(config);
        List<AutoCloseable> running = new ArrayList<>();
        Runnable stop = () -> {
            closeAll(running);
            store.close();
        };
        for (Attachment a : attachments) {
            try {
                running.add(a.start(store, out));
            } catch (Exception e) {
                stop.run();
                throw new StoreStartException(e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }
        // Any other way the JVM ends (System.exit, SIGHUP) still removes the files.
        Thread hook = new Thread(stop, "quiver-store-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // The JVM's own handlers for these signals exit with 128 + signal (143, 130); ours stops the store and
        // lets run() return 0.
        SignalHandler[] previous = new SignalHandler[STOP_SIGNALS.size()];
        for (int i = 0; i < previous.length; i++) {
            previous[i] = Signal.handle(new Signal(STOP_SIGNALS.get(i)), signal -> stop.run());
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
            stop.run(); // returns once a close begun by a signal has removed the files
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

    /** Closes the attachments, newest first, once each; a failure to close one is printed and the rest go on. */
    private static void closeAll(List<AutoCloseable> running) {
        synchronized (running) {
            for (int i = running.size() - 1; i >= 0; i--) {
                try {
                    running.remove(i).close();
                } catch (Exception e) {
                    System.err.println("quiver store: closing " + running + " failed: " + e);
                }
            }
        }
    }
}
