package dev.quiver.bench;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The socket baseline: a server that sends bytes over a Unix-domain socket, as a process that pickles an object to
 * its workers does (minus the pickling). A client writes an 8-byte request, the byte count {@code n} (little
 * endian); the server answers with the first {@code n} bytes of its source. A request of 8 bytes is a ping-pong.
 *
 * <p>The source is already in memory and touched, and the server writes it from native memory straight into the
 * socket: the bytes are copied twice (into the kernel, out of it), which is the least a socket transfer costs.
 */
final class ByteServer implements AutoCloseable {
    static final long MAX_CHUNK = 1L << 30; // a ByteBuffer holds at most 2 GiB - 1

    private final MemorySegment source;
    private final UnixServer server;

    ByteServer(Path path, MemorySegment source) throws IOException {
        this.source = source;
        this.server = new UnixServer(path, "byte-server", this::serve);
    }

    Path path() {
        return server.path();
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
        }
    }

    /** Returns when no connection is being served: none is still writing from the source. */
    @Override
    public void close() throws IOException {
        server.close();
    }
}
