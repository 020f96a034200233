package dev.quiver.client.testing;

import dev.quiver.client.QuiverClient;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real store in this JVM (arena in /dev/shm, socket in a temporary directory) and a client connected to it, for
 * the tests of a class. Registered on a static field it lives as long as the class; on an instance field, one per
 * test:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RunningStore STORE = new RunningStore(16 << 20);
 * ... STORE.client().get(id, QuiverClient.NO_WAIT) ...
 * }</pre>
 *
 * Clients from {@link #connect()} are closed with it, before the store. Where a store is needed outside a field's
 * lifetime (inside one test, or set up with other fixtures in {@code @BeforeAll}), {@link #started(long)} and
 * {@link #close()} do the same by hand.
 */
public final class RunningStore
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, AutoCloseable {
    private final long bytes;
    private final List<QuiverClient> clients = new ArrayList<>();
    private boolean perClass;
    private Path dir;
    private StoreServer server;

    public RunningStore(long bytes) {
        this.bytes = bytes;
    }

    /** A store started now, with its client; close it when done. */
    public static RunningStore started(long bytes) throws IOException {
        RunningStore s = new RunningStore(bytes);
        s.start();
        return s;
    }

    /** The store. */
    public StoreServer server() {
        return server;
    }

    /** The client connected when the store started. */
    public QuiverClient client() {
        return clients.getFirst();
    }

    /** Another client of the store, closed with it. */
    public QuiverClient connect() {
        QuiverClient c = QuiverClient.connect(server.socket());
        clients.add(c);
        return c;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        perClass = true;
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            close();
        }
    }

    private void start() throws IOException {
        dir = Files.createTempDirectory("quiver-test");
        server = StoreServer.start(StoreConfig.of(bytes, dir.resolve("store.sock")));
        connect();
    }

    /** Closes the clients, then the store, and removes its directory. */
    @Override
    public void close() {
        clients.reversed().forEach(QuiverClient::close);
        clients.clear();
        server.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the test store's directory " + dir, e);
        }
    }
}
