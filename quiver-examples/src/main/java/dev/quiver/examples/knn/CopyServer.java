package dev.quiver.examples.knn;

import dev.quiver.arrow.StoredTable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/**
 * The baseline of {@code quiver demo knn}'s copy mode: a Unix socket server that sends every worker that connects its
 * own copy of the table as an Arrow IPC stream, all at once ("pickle it to every worker").
 */
final class CopyServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final AtomicInteger failures = new AtomicInteger();

    private CopyServer(ServerSocketChannel server) {
        this.server = server;
    }

    /** Listens on {@code socket} and serves copies of {@code table} until closed. */
    static CopyServer start(Path socket, StoredTable table, BufferAllocator allocator) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        CopyServer s = new CopyServer(server);
        Thread.ofPlatform().daemon().name("knn-copies").start(() -> s.serve(table, allocator));
        return s;
    }

    /** Copies that could not be sent (a worker that died while receiving is reported by its exit status too). */
    int failures() {
        return failures.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    private void serve(StoredTable table, BufferAllocator allocator) {
        while (true) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                failures.incrementAndGet();
                return;
            }
            Thread.ofPlatform().daemon().name("knn-copy").start(() -> {
                try {
                    send(c, table, allocator);
                } catch (IOException | RuntimeException e) {
                    failures.incrementAndGet();
                }
            });
        }
    }

    /** Serializes the table as an Arrow IPC stream into the socket (Arrow writes buffers straight from memory). */
    private static void send(SocketChannel c, StoredTable table, BufferAllocator allocator) throws IOException {
        try (c; VectorSchemaRoot carrier = VectorSchemaRoot.create(table.schema(), allocator);
             ArrowStreamWriter writer = new ArrowStreamWriter(carrier,
                     new DictionaryProvider.MapDictionaryProvider(), c)) {
            writer.start();
            VectorLoader loader = new VectorLoader(carrier);
            for (VectorSchemaRoot batch : table.batches()) {
                try (ArrowRecordBatch rb = new VectorUnloader(batch).getRecordBatch()) {
                    loader.load(rb);
                }
                writer.writeBatch();
            }
            writer.end();
        }
    }
}
