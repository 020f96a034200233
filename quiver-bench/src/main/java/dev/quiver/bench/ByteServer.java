package dev.quiver.bench;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The socket baseline: a server that sends bytes over a Unix-domain socket, as a process that pickles an object to
 * its workers does (minus the pickling). A client writes an 8-byte request, the byte count {@code n} (little
 * endian); the server answers with the first {@code n} bytes of its source. A request of 8 bytes is a ping-pong.
 *
 * <p>The source is already in memory and touched, and the server writes it from native memory straight into the
 * socket: the bytes are copied twice (into the kernel, out of it), which is the least a socket transfer costs.
 * One platform thread per connection, blocking I/O: the simplest fast server.
 */
final class ByteServer implements AutoCloseable {
    static final long MAX_CHUNK = 1L << 30; // a ByteBuffer holds at most 2 GiB - 1

    private final Path path;
    private final MemorySegment source;
    private final ServerSocketChannel server;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private final Set<Thread> servers = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    ByteServer(Path path, MemorySegment source) throws IOException {
        this.path = path;
        this.source = source;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        this.acceptor = Thread.ofPlatform().daemon().name("byte-server-accept").start(this::accept);
    }

    Path path() {
        return path;
    }

    private void accept() {
        try {
            while (true) {
                SocketChannel c = server.accept();
                clients.add(c);
                servers.add(Thread.ofPlatform().daemon().name("byte-server").start(() -> serve(c)));
            }
        } catch (ClosedChannelException e) {
            // closed: done
        } catch (IOException e) {
            throw new BenchException("the socket baseline's server stopped accepting: " + e, e);
        }
    }

    private void serve(SocketChannel c) {
        ByteBuffer request = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        try (c) {
            while (true) {
                request.clear();
                while (request.hasRemaining()) {
                    if (c.read(request) < 0) {
                        return; // the client is done
                    }
                }
                long n = request.getLong(0);
                if (n < 0 || n > source.byteSize()) {
                    return; // a request this server cannot answer: drop the connection, the client sees EOF
                }
                for (long off = 0; off < n; off += MAX_CHUNK) {
                    ByteBuffer b = source.asSlice(off, Math.min(MAX_CHUNK, n - off)).asByteBuffer();
                    while (b.hasRemaining()) {
                        c.write(b);
                    }
                }
            }
        } catch (IOException e) {
            // the client went away or the server closed
        } finally {
            clients.remove(c);
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
                t.join(); // none may still be writing from the source when its memory is freed
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(path);
    }
}
