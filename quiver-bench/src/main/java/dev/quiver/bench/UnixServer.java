package dev.quiver.bench;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A Unix-domain socket server for the baselines: one platform thread per connection running {@code serve}, blocking
 * I/O (the simplest fast server). {@link #close()} returns when no connection is being served any more, so the memory
 * the connections send from may be freed after it.
 */
final class UnixServer implements AutoCloseable {
    private final Path path;
    private final String name;
    private final Consumer<SocketChannel> serve;
    private final ServerSocketChannel server;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private final Set<Thread> servers = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    /** Listens on {@code path}; {@code serve} gets each connection and closes it when done. */
    UnixServer(Path path, String name, Consumer<SocketChannel> serve) throws IOException {
        this.path = path;
        this.name = name;
        this.serve = serve;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        this.acceptor = Thread.ofPlatform().daemon().name(name + "-accept").start(this::accept);
    }

    Path path() {
        return path;
    }

    private void accept() {
        try {
            while (true) {
                SocketChannel c = server.accept();
                clients.add(c);
                servers.add(Thread.ofPlatform().daemon().name(name).start(() -> {
                    try {
                        serve.accept(c);
                    } finally {
                        clients.remove(c);
                    }
                }));
            }
        } catch (ClosedChannelException e) {
            // closed: done
        } catch (IOException e) {
            throw new BenchException(name + " stopped accepting connections: " + e, e);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join(); // from here on, no new connection
            for (SocketChannel c : clients) {
                c.close();
            }
            for (Thread t : servers) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(path);
    }
}
