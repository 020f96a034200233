package dev.quiver.kafka;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.client.QuiverClient;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/** A real Quiver store in this JVM, a client of it and an ArrowStore over the client. */
final class StoreFixture implements AutoCloseable {
    final StoreServer store;
    final QuiverClient client;
    final BufferAllocator allocator = new RootAllocator();
    final ArrowStore arrow;

    StoreFixture(Path dir, long bytes) throws IOException {
        store = StoreServer.start(StoreConfig.of(bytes, dir.resolve("store.sock")));
        client = QuiverClient.connect(store.socket());
        arrow = new ArrowStore(client, allocator);
    }

    @Override
    public void close() {
        client.close();
        store.close();
        allocator.close();
    }
}
