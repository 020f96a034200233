package dev.quiver.client.testing;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A bare {@link SocketChannel} to a store, for sending frames no well-behaved client would send. */
public final class RawConnection implements AutoCloseable {
    private final SocketChannel channel;
    private final Selector selector;
    private boolean eof;

    private RawConnection(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    public static RawConnection open(Path socket) {
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new RawConnection(ch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends Connect and returns the store's answer. */
    public Reply.Connected handshake() {
        write(FrameCodec.encode(1, new Request.Connect(FrameCodec.PROTOCOL_VERSION, "raw-test", ProcessHandle.current().pid())));
        FrameCodec.Frame<Reply> f = readFrame(Duration.ofSeconds(10));
        if (f == null || !(f.message() instanceof Reply.Connected c)) {
            throw new AssertionError("expected Connected, got " + f);
        }
        return c;
    }

    /** Writes all of {@code bytes}. */
    public void write(ByteBuffer bytes) {
        try {
            while (bytes.hasRemaining()) {
                if (channel.write(bytes) == 0) {
                    Thread.yield(); // socket buffer full; the store is reading
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes what the socket takes now, without waiting; returns how many bytes that was. */
    public int writeSome(ByteBuffer bytes) {
        try {
            return channel.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void write(byte[] bytes) {
        write(ByteBuffer.wrap(bytes));
    }

    /** A frame header (length, type, flags, request id) followed by {@code payload}, as raw bytes. */
    public static ByteBuffer frame(int length, int type, int flags, int requestId, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(12 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(length).putShort((short) type).putShort((short) flags).putInt(requestId).put(payload);
        return b.flip();
    }

    /** The next frame, or null at end of stream. */
    public FrameCodec.Frame<Reply> readFrame(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        if (!readFully(length, deadline)) {
            if (length.position() > 0) {
                throw new AssertionError("end of stream inside a frame's length field");
            }
            return null;
        }
        ByteBuffer body = ByteBuffer.allocate(FrameCodec.checkLength(length.getInt(0)));
        if (!readFully(body, deadline)) {
            throw new AssertionError("end of stream inside a frame");
        }
        return FrameCodec.decodeReply(body.flip());
    }

    /** Every frame until the store closes the connection; fails if it does not within {@code timeout}. */
    public List<FrameCodec.Frame<Reply>> readUntilEof(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<FrameCodec.Frame<Reply>> frames = new ArrayList<>();
        FrameCodec.Frame<Reply> f;
        while ((f = readFrame(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) != null) {
            frames.add(f);
        }
        return frames;
    }

    /**
     * Reads and discards bytes until the store closes the connection, frame boundaries or not (a store that drops a
     * connection may stop in the middle of a frame); fails if it does not close within {@code timeout}.
     *
     * @return the number of bytes read
     */
    public long drainUntilEof(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16);
        long total = 0;
        while (true) {
            chunk.clear();
            if (!readFully(chunk, deadline)) {
                return total + chunk.position();
            }
            total += chunk.position();
        }
    }

    /** Half-closes: the store reads end of stream, this side can still read. */
    public void shutdownOutput() {
        try {
            channel.shutdownOutput();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops reading: the store's next write to this connection fails (EPIPE) while it sees no end of stream. */
    public void shutdownInput() {
        try {
            channel.shutdownInput();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean sawEof() {
        return eof;
    }

    @Override
    public void close() {
        try {
            selector.close();
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private boolean readFully(ByteBuffer b, long deadline) {
        try {
            while (b.hasRemaining()) {
                int n = channel.read(b);
                if (n < 0) {
                    eof = true;
                    return false;
                }
                if (n == 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("the store neither sent a frame nor closed the connection in time");
                    }
                    selector.select(Math.max(1, left / 1_000_000));
                    selector.selectedKeys().clear();
                }
            }
            return true;
        } catch (IOException e) {
            // a reset connection is a closed one
            eof = true;
            return false;
        }
    }
}
