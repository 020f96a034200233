package dev.quiver.store;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.MalformedFrameException;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Sizes;
import dev.quiver.protocol.Status;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport: one thread runs a selector over the listening socket and every connection, polls the command rings
 * of the clients that asked for them ({@link CommandRings}), decodes frames and ring messages, and calls the
 * {@link Engine} on that same thread.
 *
 * <p><b>Duty cycle.</b> Each turn: read up to {@link #RING_MESSAGES_PER_TURN} messages of every client's request ring
 * (fairness: a busy client cannot starve the others), handle socket events ({@code selectNow}), expire deadlines,
 * produce chunks of long replies, move replies that did not fit a full reply ring into it, ring the doorbells of
 * clients waiting for replies. A turn without work goes to the {@link EngineIdler}: it spins, yields or parks as the
 * {@link IdleMode} says, and eventually blocks in {@code select}. Before blocking it sets the engine's "asleep" word
 * in every client's rings, fences, and looks at the rings once more (a request committed before the client read the
 * word is seen here; one committed after finds the word set, and the client rings the doorbell: a doorbell frame on
 * its socket, which wakes the selector). Without ring clients the engine blocks at once, as it always did.
 *
 * <p><b>Memory.</b> Everything the store holds for its connections is bounded by one figure, the connection memory:
 * the bytes of frames being read (a buffer grows with the bytes that have arrived, never with the length a header
 * announces), the replies queued for clients that do not read them, and the engine's waiting gets and creates. One
 * connection may hold at most a quarter of it (and at most 64 MiB); past that, or when all connections together pass
 * the bound, the connection holding the most is dropped, with the reason in the log. Long replies ({@code LIST},
 * {@code RANGE}, a new subscriber's first notifications) are produced a chunk at a time as the client reads them.
 *
 * <p><b>Dropping a connection</b> (a malformed frame, a protocol violation, a client past its share of memory, a
 * failed write, an internal error) never frees memory the client may still be reading: the store stops reading its
 * requests and sending it replies, shuts down its side for writing (the client reads end-of-stream), and keeps what
 * the client holds (references, unsealed objects) until the client's socket closes: when the client has closed it
 * or its process has died. Only then is the engine told the client is gone ({@link Engine#disconnect}).
 *
 * <p><b>Failures.</b> An unexpected exception in the engine drops the connection being served, after checking the
 * engine's invariants ({@link Engine#checkInvariants()}); if they no longer hold, the transport stops with an
 * {@link EngineStateException} that reports them, rather than serve on from state it cannot trust.
 */
final class SocketTransport implements Engine.Outbox {
    private static final Logger LOG = LoggerFactory.getLogger(SocketTransport.class);
    /** The most one connection may hold, if a quarter of the connection memory is more. */
    static final long MAX_CONNECTION_SHARE = 64L << 20;
    /** The shared buffer every connection's bytes are read into. */
    private static final int READ_BUFFER = 64 << 10;
    /** The least a connection's own buffer for a partial frame holds. */
    private static final int MIN_PARTIAL_BUFFER = 4 << 10;
    /** Chunked replies are produced while less than this is queued for their client. */
    private static final long PUMP_BELOW = 1 << 20;
    /** A client with this much queued for it is not read from until it has read some of it. */
    private static final long PAUSE_READING_ABOVE = 4 << 20;
    /** What a queued frame costs beyond its bytes: its buffer's object and array headers. */
    private static final int QUEUED_FRAME_OVERHEAD = 80;
    /** The most request-ring messages read from one client in one turn of the duty cycle. */
    static final int RING_MESSAGES_PER_TURN = 64;
    /** How long accepting pauses after an accept failed (the process is out of file descriptors, typically). */
    private static final long ACCEPT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ServerSocketChannel server;
    private final Selector selector;
    private final SelectionKey acceptKey;
    private final Engine engine;
    private final long memoryBound;
    private final long connectionBound;
    private final Map<Long, Connection> connections = new HashMap<>();
    /** Connections with a chunked reply in progress. */
    private final Set<Connection> pumping = new LinkedHashSet<>();
    /**
     * What the engine must still hear of dropped and closed connections, in order. A drop can happen inside an
     * engine callback ({@link #send}); the engine must not be re-entered from there (it may be iterating its
     * subscribers, or halfway through a seal), so it hears of it once it has returned: see {@link #settle()}.
     */
    private final ArrayDeque<Runnable> engineNotices = new ArrayDeque<>();
    /** Bytes of every open connection's read buffer and queued replies. */
    private long buffered;
    /**
     * Where bytes are read into, for every connection: complete frames are handled straight from it, and only a
     * frame that has not fully arrived moves to a buffer of its connection's own. An idle connection holds no buffer.
     */
    private final ByteBuffer scratch = ByteBuffer.allocate(READ_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private volatile boolean running = true;
    /** Snapshots asked for by other threads (the HTTP server's), made at the end of the next turn. */
    private final ConcurrentLinkedQueue<CompletableFuture<StoreSnapshot>> snapshotRequests =
            new ConcurrentLinkedQueue<>();
    /** The arena, read-only, for the snapshots' look at shelf metadata; or null. */
    private volatile MemorySegment arenaView;
    private final long startNanos = System.nanoTime();
    /** Time the loop spent blocked in the selector waiting for work, and the figures at the previous snapshot. */
    private long blockedNanos;
    private long lastSnapshotNanos = startNanos;
    private long lastSnapshotBlocked;
    private boolean acceptPaused;
    private long acceptResumes;
    /** Where rings are made, or null if this store makes none. */
    private final Rings rings;
    private final EngineIdler idler;
    /** Connections with command rings, open or not yet closed. */
    private final Set<Connection> ringClients = new LinkedHashSet<>();
    /** The same, as an array the duty cycle walks without allocating. */
    private Connection[] ringArray = new Connection[0];
    /** Ring connections that got replies in this turn: their doorbells are rung at its end if they sleep. */
    private final Set<Connection> repliedTo = new LinkedHashSet<>();

    /**
     * Where and how the transport makes command rings.
     *
     * @param directory       where rings files are made (next to the arena)
     * @param arenaFileName   the arena's file name, which every rings file's name starts with
     * @param requestCapacity each client's request ring, a power of two
     * @param replyCapacity   each client's reply ring, a power of two
     */
    record Rings(Path directory, String arenaFileName, int requestCapacity, int replyCapacity) {}

    /** A request of a ring client that came on the socket, and the bytes it came in. */
    private record SocketRequest(FrameCodec.Frame<Request> frame, int bytes) {}

    private enum State {
        /** Served. */
        OPEN,
        /** Dropped by the store; its references are kept until its socket closes. */
        DRAINING,
        /** Closed; the engine has been (or is about to be) told. */
        CLOSED
    }

    /** One client connection: a frame that has partly arrived, replies not yet written. */
    private final class Connection {
        final long clientId;
        final SocketChannel channel;
        final SelectionKey key;
        /** The part of a frame received so far (in write mode), or null. */
        ByteBuffer in;
        final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        long queuedBytes;
        State state = State.OPEN;
        /** The client asked for rings in its CONNECT. */
        boolean wantsRings;
        /** Its rings, once made (from the CONNECTED on, every request and reply goes through them). */
        CommandRings rings;
        /** Requests that came on the socket, waiting for their markers in the request ring. */
        final ArrayDeque<SocketRequest> socketRequests = new ArrayDeque<>();
        /** Bytes of {@link #socketRequests}, as they came (they count toward the connection's memory). */
        long socketRequestBytes;
        /** The request ring stopped at a marker whose frame has not arrived. */
        boolean ringStalled;
        /** Reply frames (whole) waiting for room in the reply ring, in order. */
        final ArrayDeque<ByteBuffer> ringBacklog = new ArrayDeque<>();
        /** What its request ring's messages go to (made once: the duty cycle runs millions of times a second). */
        final CommandRings.Handler ringHandler = new CommandRings.Handler() {
            @Override
            public boolean request(int requestId, Request request) {
                engineCall(Connection.this, () -> engine.handle(clientId, requestId, request));
                return state == State.OPEN;
            }

            @Override
            public boolean onSocket(int requestId) {
                SocketRequest next = socketRequests.peek();
                if (next == null) {
                    ringStalled = true;
                    return false;
                }
                FrameCodec.Frame<Request> frame = next.frame();
                if (frame.requestId() != requestId) {
                    throw new CommandRings.RingViolation("the request ring's marker names request " + requestId
                            + " but the next frame on the socket is request " + frame.requestId());
                }
                socketRequests.poll();
                socketRequestBytes -= next.bytes();
                buffered -= next.bytes();
                engineCall(Connection.this, () -> engine.handle(clientId, requestId, frame.message()));
                return state == State.OPEN;
            }
        };

        Connection(long clientId, SocketChannel channel, SelectionKey key) {
            this.clientId = clientId;
            this.channel = channel;
            this.key = key;
        }

        /** Bytes held for it: its read buffer, its queued replies, its waiting requests in the engine. */
        long usage() {
            return (in == null ? 0 : in.capacity()) + queuedBytes + socketRequestBytes + engine.pendingBytes(clientId);
        }

        @Override
        public String toString() {
            return "client " + clientId;
        }
    }

    /**
     * @param memoryBound bytes that all connections together may hold (see the class comment)
     * @param rings       where to make command rings for the clients that ask, or null to make none
     * @param idle        what the engine does between turns without work while ring clients are connected
     */
    SocketTransport(ServerSocketChannel server, long memoryBound, Function<Engine.Outbox, Engine> engineFactory,
                    Rings rings, IdleMode idle) throws IOException {
        this.server = server;
        this.rings = rings;
        this.idler = new EngineIdler(idle);
        this.memoryBound = memoryBound;
        this.connectionBound = Math.min(MAX_CONNECTION_SHARE, memoryBound / 4);
        this.engine = engineFactory.apply(this);
        this.selector = Selector.open();
        server.configureBlocking(false);
        this.acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
    }

    /**
     * Serves until {@link #stop()}.
     *
     * @throws EngineStateException if the engine's state became inconsistent after an unexpected error
     */
    void run() throws IOException {
        try {
            boolean block = false;
            while (running) {
                int work = pollRings();
                if (block && work == 0 && !canPump()) {
                    sleep();
                } else {
                    selector.selectNow();
                }
                work += selector.selectedKeys().size();
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
                        if (c.state == State.OPEN && key.isValid() && key.isWritable()) {
                            flush(c);
                        }
                    }
                    settle();
                }
                selector.selectedKeys().clear();
                engineCall(null, engine::expire);
                pump();
                work += flushRingBacklogs();
                settle();
                holdMemoryBound();
                answerSnapshots();
                ringDoorbells(); // last: every reply of this turn is in its ring
                if (acceptPaused && System.nanoTime() - acceptResumes >= 0) {
                    acceptPaused = false;
                    acceptKey.interestOps(SelectionKey.OP_ACCEPT);
                }
                // Without ring clients nothing arrives but through the selector: block at once.
                block = ringClients.isEmpty() || idler.shouldBlock(work + (canPump() ? 1 : 0));
            }
        } finally {
            running = false;
            failSnapshots();
            for (Connection c : connections.values().toArray(Connection[]::new)) {
                close(c);
            }
            selector.close();
        }
    }

    /**
     * Blocks in the selector until a socket event (a doorbell among them), the next deadline, or {@link #stop()}; with
     * ring clients, announces it in their "asleep" words first and looks at their rings once more after a full fence,
     * so that no request committed meanwhile is left waiting.
     */
    private void sleep() throws IOException {
        long deadline = engine.nextDeadline();
        if (acceptPaused) {
            deadline = Math.min(deadline, acceptResumes);
        }
        for (Connection c : ringClients) {
            if (c.state == State.OPEN) {
                c.rings.engineAsleep(true);
            }
        }
        VarHandle.fullFence(); // the stores of the words before the loads of the rings (Dekker, with the client's side)
        boolean pending = false;
        for (Connection c : ringClients) {
            pending |= c.state == State.OPEN && !c.ringStalled && c.rings.hasRequests();
        }
        long blockedFrom = System.nanoTime();
        if (pending) {
            selector.selectNow();
        } else if (deadline == Long.MAX_VALUE) {
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
        blockedNanos += System.nanoTime() - blockedFrom;
        for (Connection c : ringClients) {
            if (c.state == State.OPEN) {
                c.rings.engineAsleep(false);
            }
        }
        idler.woke();
    }

    /** Reads every open client's request ring, up to {@link #RING_MESSAGES_PER_TURN} messages each. */
    private int pollRings() {
        int read = 0;
        for (Connection c : ringArray) {
            if (c.state != State.OPEN || c.ringStalled) {
                continue;
            }
            try {
                read += c.rings.read(c.ringHandler, RING_MESSAGES_PER_TURN);
            } catch (RuntimeException e) { // a corrupt ring: garbage lengths, positions, types, frames
                if (c.state == State.OPEN) {
                    send(c.clientId, 0, new Reply.Error(Status.PROTOCOL_ERROR, "corrupt request ring: " + e));
                    drop(c, "corrupt request ring: " + e, null);
                }
            }
            settle();
        }
        return read;
    }

    /** Moves replies waiting for room into their reply rings, in order; returns how many went. */
    private int flushRingBacklogs() {
        int moved = 0;
        for (Connection c : ringClients) {
            while (c.state == State.OPEN && !c.ringBacklog.isEmpty() && offerToRing(c, c.ringBacklog.peek())) {
                ByteBuffer sent = c.ringBacklog.poll();
                int bytes = sent.capacity() + QUEUED_FRAME_OVERHEAD;
                c.queuedBytes -= bytes;
                buffered -= bytes;
                moved++;
            }
        }
        return moved;
    }

    /** Rings the doorbell of every client that got replies in this turn and has a thread asleep waiting for them. */
    private void ringDoorbells() {
        for (Connection c : repliedTo) {
            if (c.state == State.OPEN && c.rings.clientSleeping()) {
                socketSend(c, FrameCodec.doorbell());
            }
        }
        repliedTo.clear();
    }

    /** Makes {@link #run()} return; callable from any thread. */
    void stop() {
        running = false;
        selector.wakeup();
    }

    /** Lets snapshots read shelf objects' metadata from {@code arena} (a read-only view). */
    void arenaView(MemorySegment arena) {
        this.arenaView = arena;
    }

    /**
     * Asks the engine thread for a snapshot of the store: it is made at the end of the loop's next turn (the loop is
     * woken if it sleeps), so the asking thread never touches engine state. Fails if the store stops first.
     */
    CompletableFuture<StoreSnapshot> snapshot() {
        CompletableFuture<StoreSnapshot> f = new CompletableFuture<>();
        snapshotRequests.add(f);
        if (!running) {
            failSnapshots();
        }
        selector.wakeup();
        return f;
    }

    private void answerSnapshots() {
        if (snapshotRequests.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        long elapsed = now - lastSnapshotNanos;
        double ratio = elapsed <= 0 ? 0 : 1 - (double) (blockedNanos - lastSnapshotBlocked) / elapsed;
        StoreSnapshot snapshot;
        try {
            snapshot = engine.snapshot(arenaView, (now - startNanos - blockedNanos) / 1e9,
                    Math.max(0, Math.min(1, ratio)));
        } catch (RuntimeException e) {
            LOG.error("making a snapshot for the status page failed", e);
            CompletableFuture<StoreSnapshot> f;
            while ((f = snapshotRequests.poll()) != null) {
                f.completeExceptionally(e);
            }
            return;
        }
        lastSnapshotNanos = now;
        lastSnapshotBlocked = blockedNanos;
        CompletableFuture<StoreSnapshot> f;
        while ((f = snapshotRequests.poll()) != null) {
            f.complete(snapshot);
        }
    }

    private void failSnapshots() {
        CompletableFuture<StoreSnapshot> f;
        while ((f = snapshotRequests.poll()) != null) {
            f.completeExceptionally(new IllegalStateException("the store has stopped"));
        }
    }

    int connectionCount() {
        return connections.size();
    }

    /** Bytes the open connections' buffers hold now (read buffers and queued replies). */
    long bufferedBytes() {
        return buffered;
    }

    Engine engine() {
        return engine;
    }

    @Override
    public void send(long clientId, int requestId, Reply reply) {
        Connection c = connections.get(clientId);
        if (c == null || c.state != State.OPEN) {
            return;
        }
        if (reply instanceof Reply.Connected hello && c.wantsRings && c.rings == null) {
            reply = withRings(c, hello);
        }
        ByteBuffer frame = FrameCodec.encode(requestId, reply);
        if (c.rings != null && !(reply instanceof Reply.Connected)) {
            ringSend(c, frame);
            return;
        }
        socketSend(c, frame);
    }

    /**
     * Makes a client's rings and adds them to its CONNECTED; without them if they cannot be made (the client then
     * stays on the socket path, and the log says why).
     */
    private Reply.Connected withRings(Connection c, Reply.Connected hello) {
        if (rings == null) {
            return hello;
        }
        try {
            c.rings = CommandRings.create(rings.directory(), rings.arenaFileName(), c.clientId,
                    rings.requestCapacity(), rings.replyCapacity());
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot make command rings for client {} in {}: {}; it stays on the socket", c.clientId,
                    rings.directory(), e.toString());
            return hello;
        }
        ringClients.add(c);
        ringArray = ringClients.toArray(Connection[]::new);
        return new Reply.Connected(hello.protocolVersion(), hello.clientId(), hello.capacity(), hello.arenaPath(),
                new Reply.Rings(c.rings.path().toString(), c.rings.requestCapacity(), c.rings.replyCapacity()));
    }

    /** A reply to a ring client: into its reply ring, behind whatever waits for room there. */
    private void ringSend(Connection c, ByteBuffer frame) {
        if (c.ringBacklog.isEmpty() && offerToRing(c, frame)) {
            return;
        }
        c.ringBacklog.add(frame);
        int bytes = frame.capacity() + QUEUED_FRAME_OVERHEAD;
        c.queuedBytes += bytes;
        buffered += bytes;
        if (c.usage() > connectionBound) {
            drop(c, "it holds " + Sizes.format(c.usage()) + " of the store's memory, more than its share of "
                    + Sizes.format(connectionBound) + " (" + Sizes.format(c.queuedBytes)
                    + " of replies it has not read)", null);
        }
    }

    /**
     * Puts a reply into the reply ring, or, if it is larger than a ring message may be, a marker there and the frame
     * on the socket. False if the ring has no room now.
     */
    private boolean offerToRing(Connection c, ByteBuffer frame) {
        if (c.rings.fits(frame)) {
            if (!c.rings.offer(frame)) {
                return false;
            }
        } else {
            if (!c.rings.offerMarker(frame.getInt(FrameCodec.LENGTH_BYTES + 4))) {
                return false;
            }
            socketSend(c, frame);
        }
        repliedTo.add(c);
        return true;
    }

    /** Writes a frame to a client's socket, or queues it while the socket is full. */
    private void socketSend(Connection c, ByteBuffer frame) {
        if (c.state != State.OPEN) {
            return;
        }
        if (c.out.isEmpty()) {
            try {
                c.channel.write(frame);
            } catch (IOException e) {
                drop(c, null, "write failed: " + e.getMessage());
                return;
            }
            if (!frame.hasRemaining()) {
                return;
            }
        }
        c.out.add(frame);
        c.queuedBytes += frame.remaining() + QUEUED_FRAME_OVERHEAD;
        buffered += frame.remaining() + QUEUED_FRAME_OVERHEAD;
        if (c.usage() > connectionBound) {
            drop(c, "it holds " + Sizes.format(c.usage()) + " of the store's memory, more than its share of "
                    + Sizes.format(connectionBound) + " (" + Sizes.format(c.queuedBytes)
                    + " of replies it has not read)", null);
            return;
        }
        c.key.interestOps(c.queuedBytes > PAUSE_READING_ABOVE ? SelectionKey.OP_WRITE
                : SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }

    @Override
    public void close(long clientId, String reason) {
        Connection c = connections.get(clientId);
        if (c != null) {
            drop(c, reason, null);
        }
    }

    @Override
    public void more(long clientId) {
        Connection c = connections.get(clientId);
        if (c != null && c.state == State.OPEN) {
            pumping.add(c);
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
        if (c.state == State.DRAINING) {
            drain(c);
            return;
        }
        ByteBuffer buf = c.in != null ? c.in : scratch.clear();
        int n;
        try {
            n = c.channel.read(buf);
        } catch (IOException e) {
            LOG.info("client {} gone: read failed: {}", c.clientId, e.getMessage());
            close(c);
            return;
        }
        if (n < 0) {
            if (c.in != null) {
                LOG.warn("closing client {}: disconnected in the middle of a frame ({} bytes of it received)", c.clientId,
                        c.in.position());
            } else {
                LOG.debug("client {} disconnected", c.clientId);
            }
            close(c);
            return;
        }
        buf.flip();
        try {
            while (c.state == State.OPEN && buf.remaining() >= FrameCodec.LENGTH_BYTES) {
                int length = FrameCodec.checkLength(buf.getInt(buf.position()));
                int total = FrameCodec.LENGTH_BYTES + length;
                if (buf.remaining() < total) {
                    break;
                }
                ByteBuffer body = buf.slice(buf.position() + FrameCodec.LENGTH_BYTES, length);
                buf.position(buf.position() + total);
                if (FrameCodec.isDoorbell(body)) {
                    continue; // it woke the selector: that was all it had to do
                }
                FrameCodec.Frame<Request> frame = FrameCodec.decodeRequest(body);
                if (c.rings != null) { // too large for the ring: its marker there says when to handle it
                    c.socketRequests.add(new SocketRequest(frame, total));
                    c.socketRequestBytes += total;
                    buffered += total;
                    c.ringStalled = false;
                    continue;
                }
                if (frame.message() instanceof Request.Connect hello && hello.rings()) {
                    c.wantsRings = true;
                }
                engineCall(c, () -> engine.handle(c.clientId, frame.requestId(), frame.message()));
            }
        } catch (MalformedFrameException e) {
            send(c.clientId, 0, new Reply.Error(Status.PROTOCOL_ERROR, e.getMessage()));
            drop(c, "malformed frame: " + e.getMessage(), null);
            return;
        }
        if (c.state != State.OPEN) {
            return;
        }
        keepPartialFrame(c, buf);
        if (c.usage() > connectionBound) {
            drop(c, "it holds " + Sizes.format(c.usage()) + " of the store's memory, more than its share of "
                    + Sizes.format(connectionBound) + " (waiting requests " + Sizes.format(
                    engine.pendingBytes(c.clientId)) + ", replies it has not read " + Sizes.format(c.queuedBytes)
                    + ")", null);
        }
    }

    /**
     * Keeps the start of a frame that has not fully arrived in a buffer of the connection's own, sized by what has
     * arrived, never by the length the frame's header announces: at most twice the bytes received (at least
     * {@link #MIN_PARTIAL_BUFFER}), and never more than the frame. A connection with nothing pending holds none.
     */
    private void keepPartialFrame(Connection c, ByteBuffer buf) {
        int before = c.in == null ? 0 : c.in.capacity();
        int rest = buf.remaining();
        if (rest == 0) {
            c.in = null;
        } else if (buf == c.in && rest < buf.capacity()) {
            buf.compact(); // room left for more of the frame
        } else {
            // Lengths of at least 4 bytes were checked in read(): the frame is longer than what is here.
            long frameTotal = rest >= FrameCodec.LENGTH_BYTES
                    ? FrameCodec.LENGTH_BYTES + (long) buf.getInt(buf.position()) : Long.MAX_VALUE;
            int capacity = (int) Math.min(frameTotal, Math.max(MIN_PARTIAL_BUFFER, 2L * rest));
            ByteBuffer own = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
            own.put(buf);
            c.in = own;
        }
        buffered += (c.in == null ? 0 : c.in.capacity()) - before;
    }

    /** Reads and ignores what a dropped client still sends, until its end of stream. */
    private void drain(Connection c) {
        try {
            int n;
            do {
                n = c.channel.read(scratch.clear());
            } while (n > 0);
            if (n < 0) {
                LOG.debug("dropped client {} closed its connection", c.clientId);
                close(c);
            }
        } catch (IOException e) {
            close(c);
        }
    }

    private void flush(Connection c) {
        try {
            while (!c.out.isEmpty()) {
                ByteBuffer head = c.out.peek();
                int written = c.channel.write(head);
                c.queuedBytes -= written;
                buffered -= written;
                if (head.hasRemaining()) {
                    break;
                }
                c.out.poll();
                c.queuedBytes -= QUEUED_FRAME_OVERHEAD;
                buffered -= QUEUED_FRAME_OVERHEAD;
            }
        } catch (IOException e) {
            drop(c, null, "write failed: " + e.getMessage());
            return;
        }
        if (c.key.isValid()) {
            int ops = c.out.isEmpty() ? 0 : SelectionKey.OP_WRITE;
            c.key.interestOps(c.queuedBytes > PAUSE_READING_ABOVE ? ops : ops | SelectionKey.OP_READ);
        }
    }

    /** True if a connection with a chunked reply in progress can take its next chunk now. */
    private boolean canPump() {
        for (Connection c : pumping) {
            if (c.queuedBytes < PUMP_BELOW) {
                return true;
            }
        }
        return false;
    }

    /** One chunk for every connection with a chunked reply in progress that can take it. */
    private void pump() {
        for (Connection c : pumping.toArray(Connection[]::new)) {
            if (c.state != State.OPEN) {
                pumping.remove(c);
            } else if (c.queuedBytes < PUMP_BELOW) {
                boolean[] more = {false};
                engineCall(c, () -> more[0] = engine.pump(c.clientId));
                if (!more[0]) {
                    pumping.remove(c);
                }
            }
        }
    }

    /** While all connections together hold more than the bound, drops the one holding the most. */
    private void holdMemoryBound() {
        while (buffered + engine.pendingBytes() > memoryBound) {
            Connection largest = null;
            for (Connection c : connections.values()) {
                if (c.state == State.OPEN && (largest == null || c.usage() > largest.usage())) {
                    largest = c;
                }
            }
            if (largest == null) {
                return;
            }
            drop(largest, "the store's connections hold " + Sizes.format(buffered + engine.pendingBytes())
                    + ", more than the bound of " + Sizes.format(memoryBound) + " (--connection-memory), and this "
                    + "client holds the most: " + Sizes.format(largest.usage()), null);
            settle();
        }
    }

    /**
     * Runs an engine call. An unexpected exception in it drops the connection being served, unless the engine's
     * invariants no longer hold: then serving on could hand out memory twice, and the store stops with a report.
     */
    private void engineCall(Connection c, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.error("unexpected error in the engine{}", c == null ? "" : " while serving client " + c.clientId, e);
            List<String> problems;
            try {
                problems = engine.checkInvariants();
            } catch (RuntimeException again) {
                problems = List.of("the invariant check itself failed: " + again);
            }
            if (!problems.isEmpty()) {
                throw new EngineStateException("the store's state is inconsistent after an unexpected error ("
                        + e + "); stopping rather than risk giving one client's memory to another. What does not "
                        + "hold:\n  " + String.join("\n  ", problems), e);
            }
            LOG.warn("the engine's invariants hold after that error; serving on");
            if (c != null) {
                drop(c, "internal error while serving it: " + e, null);
            }
        }
    }

    /**
     * Drops a connection that is still open: its queued replies go if they can be written at once (an error frame
     * explaining why, typically), its buffers are freed, the store shuts down its side for writing, and the engine
     * suspends the client, keeping its references until the socket closes ({@link #drain}).
     *
     * @param violation why, for a client that broke a rule or a limit (logged as a warning); or null
     * @param gone      why, for a client that went away (logged at info); or null
     */
    private void drop(Connection c, String violation, String gone) {
        if (c.state != State.OPEN) {
            return;
        }
        if (violation != null) {
            LOG.warn("dropping client {}: {}; it keeps its references until it closes its socket", c.clientId,
                    violation);
        } else if (gone != null) {
            LOG.info("client {} gone: {}", c.clientId, gone);
        }
        if (gone == null) {
            flushOnce(c);
        }
        c.state = State.DRAINING;
        release(c);
        pumping.remove(c);
        try {
            c.channel.shutdownOutput();
        } catch (IOException ignored) {
            // the peer may be gone already
        }
        if (c.key.isValid()) {
            c.key.interestOps(SelectionKey.OP_READ);
        }
        engineNotices.add(() -> engine.suspend(c.clientId));
    }

    /** Closes a connection for good; the engine then undoes everything the client held. */
    private void close(Connection c) {
        if (c.state == State.CLOSED) {
            return;
        }
        c.state = State.CLOSED;
        release(c);
        pumping.remove(c);
        connections.remove(c.clientId);
        c.key.cancel();
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (c.rings != null) {
            ringClients.remove(c);
            ringArray = ringClients.toArray(Connection[]::new);
            repliedTo.remove(c);
            c.rings.close();
        }
        engineNotices.add(() -> engine.disconnect(c.clientId));
    }

    /** Frees a connection's buffers (its rings stay mapped until it is closed: a ring read may be under way). */
    private void release(Connection c) {
        buffered -= (c.in == null ? 0 : c.in.capacity()) + c.queuedBytes + c.socketRequestBytes;
        c.in = null;
        c.out.clear();
        c.queuedBytes = 0;
        c.ringBacklog.clear();
        c.socketRequests.clear();
        c.socketRequestBytes = 0;
    }

    /** Writes what is queued as far as the socket takes it now, without waiting. */
    private void flushOnce(Connection c) {
        try {
            for (ByteBuffer b : c.out) {
                c.channel.write(b);
                if (b.hasRemaining()) {
                    return;
                }
            }
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** Tells the engine of every dropped and closed connection, in order, outside any engine call. */
    private void settle() {
        Runnable notice;
        while ((notice = engineNotices.poll()) != null) {
            engineCall(null, notice);
        }
    }
}
