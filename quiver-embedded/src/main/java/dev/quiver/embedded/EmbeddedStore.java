package dev.quiver.embedded;

import dev.quiver.arrow.Shelf;
import dev.quiver.client.QuiverClient;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A Quiver store running inside this program: for tests, demos, and a single program that just wants a store without
 * starting {@code quiver store}. Its arena is in /dev/shm and its socket in a new temporary directory; any process of
 * the same user may connect to {@link #socket()}. {@link #close()} stops the store and removes its files.
 *
 * <pre>{@code
 * try (EmbeddedStore store = EmbeddedStore.start();
 *      Shelf shelf = Shelf.connect(store.socket())) {
 *     shelf.put("prices", table);
 * }
 * }</pre>
 *
 * <p>The libraries (the client, the Arrow layer, the Kafka bridges) never start a store of their own: depend on this
 * module on purpose when you want one in your process.
 */
public final class EmbeddedStore implements AutoCloseable {
    /** Memory of the store that {@link #start()} starts: 256 MiB. */
    public static final long DEFAULT_BYTES = 256L << 20;

    private final StoreServer server;
    private final Path dir;

    private EmbeddedStore(StoreServer server, Path dir) {
        this.server = server;
        this.dir = dir;
    }

    /** Starts a store of {@value #DEFAULT_BYTES} bytes. */
    public static EmbeddedStore start() {
        return start(DEFAULT_BYTES);
    }

    /**
     * Starts a store of {@code bytes} bytes of memory.
     *
     * @throws UncheckedIOException if the store cannot create its files (the message says why, e.g. too little free
     *     space in /dev/shm)
     */
    public static EmbeddedStore start(long bytes) {
        Path dir;
        try {
            dir = Files.createTempDirectory("quiver-embedded");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for the embedded store's socket", e);
        }
        try {
            return new EmbeddedStore(StoreServer.start(StoreConfig.of(bytes, dir.resolve("store.sock"))), dir);
        } catch (IOException e) {
            deleteQuietly(dir);
            throw new UncheckedIOException("cannot start the embedded store: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(dir);
            throw e;
        }
    }

    /** The store's socket, for {@link QuiverClient#connect(Path)}, {@link Shelf#connect(Path)} or another process. */
    public Path socket() {
        return server.socket();
    }

    /** The store's memory in bytes. */
    public long capacity() {
        return server.capacity();
    }

    /** A new client of this store; close it before the store (or let {@link #close()} end its connection). */
    public QuiverClient connect() {
        return QuiverClient.connect(socket());
    }

    /**
     * Stops the store and removes its arena, socket and directory. Clients still connected lose their connection;
     * views they pinned stay readable until closed (the pages stay mapped in their process). Later calls do nothing.
     */
    @Override
    public void close() {
        try {
            server.close();
        } finally {
            deleteQuietly(dir);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a temporary directory: best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
