package dev.quiver.store;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.MalformedFrameException;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Unix socket transport: one thread runs a selector over the listening socket and every connection, decodes
 * frames, and calls the {@link Engine} on that same thread. A frame that cannot be decoded closes its connection
 * with a logged reason; other connections are not touched. A client whose replies pile up beyond
 * {@link #MAX_QUEUED_BYTES} (a subscriber that stopped reading) is disconnected.
 */
final class SocketTransport implements Engine.Outbox {
    private static final Logger LOG = LoggerFactory.getLogger(SocketTransport.class);
    static final long MAX_QUEUED_BYTES = 64L << 20;
    private static final int READ_BUFFER = 64 << 10;
    /** How long accepting pauses after an accept failed (the process is out of file descriptors, typically). */
    private static final long ACCEPT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ServerSocketChannel server;
    private final Selector selector;
    private final SelectionKey acceptKey;
    private final Engine engine;
    private final Map<Long, Connection> connections = new HashMap<>();
    /**
     * Clients whose connection was dropped but whose end the engine has not been told yet. A write can fail inside an
     * engine callback ({@link #send}, e.g. a notification to a subscriber that went away); the engine must not be
     * re-entered from there (it may be iterating its subscribers, or halfway through a seal), so it hears of the
     * loss once it has returned: see {@link #disconnectDropped()}.
     */
    private final ArrayDeque<Long> dropped = new ArrayDeque<>();
    private volatile boolean running = true;
    private boolean acceptPaused;
    private long acceptResumes;

    /** One client connection: bytes read but not yet decoded, replies not yet written. */
    private final class Connection {
        final long clientId;
        final SocketChannel channel;
        final SelectionKey key;
        ByteBuffer in = ByteBuffer.allocate(READ_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        long queuedBytes;
        boolean closed;

        Connection(long clientId, SocketChannel channel, SelectionKey key) {
            this.clientId = clientId;
            this.channel = channel;
            this.key = key;
        }
    }

    SocketTransport(ServerSocketChannel server, Function<Engine.Outbox, Engine> engineFactory) throws IOException {
        this.server = server;
        this.engine = engineFactory.apply(this);
        this.selector = Selector.open();
        server.configureBlocking(false);
        this.acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
    }

    /** Serves until {@link #stop()}. */
    void run() throws IOException {
        try {
            while (running) {
                long deadline = engine.nextDeadline();
                if (acceptPaused) {
                    deadline = Math.min(deadline, acceptResumes);
                }
                if (deadline == Long.MAX_VALUE) {
                    selector.select();
                } else {
                    // Round up: waking a little after a deadline is fine, spinning until it comes is not.
                    long waitMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime() + 999_999);
                    if (waitMillis <= 0) {
                        selector.selectNow();
                    } else {
                        selector.select(waitMillis);
                    }
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else {
                        Connection c = (Connection) key.attachment();
                        if (key.isReadable()) {
                            read(c);
                        }
                        if (!c.closed && key.isValid() && key.isWritable()) {
                            flush(c);
                        }
                    }
                    disconnectDropped();
                }
                selector.selectedKeys().clear();
                engine.expire();
                disconnectDropped();
                if (acceptPaused && System.nanoTime() - acceptResumes >= 0) {
                    acceptPaused = false;
                    acceptKey.interestOps(SelectionKey.OP_ACCEPT);
                }
            }
        } finally {
            for (Connection c : connections.values().toArray(Connection[]::new)) {
                closeQuietly(c);
            }
            selector.close();
        }
    }

    /** Makes {@link #run()} return; callable from any thread. */
    void stop() {
        running = false;
        selector.wakeup();
    }

    int connectionCount() {
        return connections.size();
    }

    @Override
    public void send(long clientId, int requestId, Reply reply) {
        Connection c = connections.get(clientId);
        if (c == null || c.closed) {
            return;
        }
        ByteBuffer frame = FrameCodec.encode(requestId, reply);
        if (c.out.isEmpty()) {
            try {
                c.channel.write(frame);
            } catch (IOException e) {
                gone(c, "write failed: " + e.getMessage());
                return;
            }
            if (!frame.hasRemaining()) {
                return;
            }
        }
        c.out.add(frame);
        c.queuedBytes += frame.remaining();
        if (c.queuedBytes > MAX_QUEUED_BYTES) {
            drop(c, "it is not reading its replies (" + c.queuedBytes + " bytes queued)");
            return;
        }
        c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }

    @Override
    public void close(long clientId, String reason) {
        Connection c = connections.get(clientId);
        if (c != null) {
            LOG.warn("closing client {}: {}", clientId, reason);
            flush(c);
            closeQuietly(c);
        }
    }

    /**
     * Accepts every pending connection. A failed accept (out of file descriptors, typically) must not stop the
     * store: the connection stays queued in the kernel, accepting pauses for {@link #ACCEPT_PAUSE_NANOS} instead of
     * spinning on it, and the clients already connected are served meanwhile.
     */
    private void accept() {
        while (true) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                LOG.warn("cannot accept a connection: {}; serving the {} connected clients, accepting again in {} ms",
                        e.getMessage(), connections.size(), TimeUnit.NANOSECONDS.toMillis(ACCEPT_PAUSE_NANOS));
                acceptPaused = true;
                acceptResumes = System.nanoTime() + ACCEPT_PAUSE_NANOS;
                acceptKey.interestOps(0);
                return;
            }
            if (ch == null) {
                return;
            }
            SelectionKey key;
            try {
                ch.configureBlocking(false);
                key = ch.register(selector, SelectionKey.OP_READ);
            } catch (IOException e) {
                LOG.warn("cannot set up an accepted connection: {}", e.getMessage());
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                continue;
            }
            long id = engine.accept();
            Connection c = new Connection(id, ch, key);
            key.attach(c);
            connections.put(id, c);
            LOG.debug("client {} connected", id);
        }
    }

    private void read(Connection c) {
        int n;
        try {
            n = c.channel.read(c.in);
        } catch (IOException e) {
            gone(c, "read failed: " + e.getMessage());
            return;
        }
        if (n < 0) {
            if (c.in.position() > 0) {
                drop(c, "disconnected in the middle of a frame (" + c.in.position() + " bytes of it received)");
            } else {
                LOG.debug("client {} disconnected", c.clientId);
                drop(c, null);
            }
            return;
        }
        c.in.flip();
        try {
            while (!c.closed && c.in.remaining() >= FrameCodec.LENGTH_BYTES) {
                int length = FrameCodec.checkLength(c.in.getInt(c.in.position()));
                int total = FrameCodec.LENGTH_BYTES + length;
                if (c.in.remaining() < total) {
                    if (c.in.capacity() < total) {
                        ByteBuffer bigger = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
                        bigger.put(c.in);
                        c.in = bigger.flip();
                    }
                    break;
                }
                ByteBuffer body = c.in.slice(c.in.position() + FrameCodec.LENGTH_BYTES, length);
                c.in.position(c.in.position() + total);
                FrameCodec.Frame<Request> frame = FrameCodec.decodeRequest(body);
                engine.handle(c.clientId, frame.requestId(), frame.message());
            }
        } catch (MalformedFrameException e) {
            send(c.clientId, 0, new Reply.Error(Status.PROTOCOL_ERROR, e.getMessage()));
            flush(c); // best effort: let the client read why
            drop(c, "malformed frame: " + e.getMessage());
            return;
        } catch (RuntimeException e) {
            LOG.error("bug while serving client {}; closing its connection", c.clientId, e);
            drop(c, "internal error: " + e);
            return;
        }
        if (!c.closed) {
            c.in.compact();
            if (c.in.position() == 0 && c.in.capacity() > READ_BUFFER) {
                c.in = ByteBuffer.allocate(READ_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    private void flush(Connection c) {
        try {
            while (!c.out.isEmpty()) {
                ByteBuffer head = c.out.peek();
                int written = c.channel.write(head);
                c.queuedBytes -= written;
                if (head.hasRemaining()) {
                    return;
                }
                c.out.poll();
            }
            if (c.key.isValid()) {
                c.key.interestOps(SelectionKey.OP_READ);
            }
        } catch (IOException e) {
            gone(c, "write failed: " + e.getMessage());
        }
    }

    /**
     * Closes a connection; the engine is told the client is gone by {@link #disconnectDropped()}, outside any engine
     * call. {@code reason} null means a normal close.
     */
    /** A connection that failed at the socket level: the client went away, which is no violation. */
    private void gone(Connection c, String reason) {
        if (!c.closed) {
            LOG.info("client {} gone: {}", c.clientId, reason);
            drop(c, null);
        }
    }

    private void drop(Connection c, String reason) {
        if (c.closed) {
            return;
        }
        if (reason != null) {
            LOG.warn("closing client {}: {}", c.clientId, reason);
        }
        closeQuietly(c);
        dropped.add(c.clientId);
    }

    /** Tells the engine of every dropped client; its cleanup may drop more (failed writes), which are told too. */
    private void disconnectDropped() {
        Long clientId;
        while ((clientId = dropped.poll()) != null) {
            engine.disconnect(clientId);
        }
    }

    private void closeQuietly(Connection c) {
        c.closed = true;
        connections.remove(c.clientId);
        c.key.cancel();
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
