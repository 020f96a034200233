package dev.quiver.bench.jmh;

import dev.quiver.bench.BenchException;
import dev.quiver.client.QuiverClient;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A store in this JVM (arena in /dev/shm, socket in a temporary directory) and one client of it. */
final class EmbeddedStore implements AutoCloseable {
    final StoreServer server;
    final QuiverClient client;
    private final Path dir;

    private EmbeddedStore(Path dir, StoreServer server) {
        this.dir = dir;
        this.server = server;
        this.client = QuiverClient.connect(server.socket());
    }

    static EmbeddedStore start(long bytes) {
        try {
            Path dir = Files.createTempDirectory("quiver-jmh");
            return new EmbeddedStore(dir, StoreServer.start(StoreConfig.of(bytes, dir.resolve("store.sock"))));
        } catch (IOException e) {
            throw new BenchException("cannot start a store of " + bytes + " bytes: " + e, e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            client.close();
        } finally {
            server.close(); // removes its socket, lock file and arena
            Files.deleteIfExists(dir);
        }
    }
}
