package dev.quiver.client;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.MalformedFrameException;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One socket to the store: sends requests from any thread, and a reader thread completes each request's future
 * when its reply (matched by request id) arrives. Requests are pipelined: many may be in flight.
 *
 * <p>Every wait has a deadline: a caller waits for its reply at most until the deadline it passes (the request
 * timeout unless it says otherwise), and a write into a full socket (a store that stopped reading) waits at most the
 * request timeout. The channel is non-blocking for that reason: the reader thread waits in a selector, and a writer
 * that finds the socket full waits in a selector of its own with a timeout.
 *
 * <p><b>Command rings.</b> After a handshake that made them ({@link #useRings}), requests go into the request ring
 * and replies come from the reply ring; a caller drains the reply ring itself while it waits, spinning briefly, then
 * counts itself asleep and blocks, and the store then rings the doorbell (a doorbell frame on the socket, which the
 * reader thread answers by draining the ring). A request too large for the ring goes on the socket, with a marker in
 * the ring at its place; so do large replies. The socket stays the connection's identity and liveness.
 *
 * <p><b>Losing the connection</b> (EOF, a failed read or write, a malformed reply, a missed deadline) fails every
 * pending request and tells the listener ({@link #onLost}), but does <em>not</em> close the socket: the store keeps
 * this connection's references until it reads EOF, so memory still reachable through pinned buffers is not reused.
 * The owner closes the socket ({@link #close()}) once nothing of the store's memory is in use.
 */
final class Connection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    private final Path socket;
    private final SocketChannel channel;
    /** The reader thread waits here for bytes to read. */
    private final Selector readSelector;
    /** A writer waits here for room in the socket; made on first need (a store that reads slowly is rare). */
    private Selector writeSelector;
    /** Guards the making and closing of {@link #writeSelector}, so that close never misses one. */
    private final Object selectorLock = new Object();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicInteger nextRequestId = new AtomicInteger(1);
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    /** Receives notifications, then null once when the connection is lost; null for a plain request connection. */
    private final Consumer<Reply.Notification> notifications;
    private final Thread reader;
    private final AtomicBoolean lost = new AtomicBoolean();
    private final AtomicBoolean listenerCalled = new AtomicBoolean();
    private volatile Consumer<String> lostListener;
    private volatile Duration requestTimeout = ClientOptions.DEFAULT_REQUEST_TIMEOUT;
    private volatile boolean closed;
    private volatile String lostReason;
    /** The command rings, or null on the socket path. */
    private volatile ClientRings rings;
    /** How long a caller polls the reply ring before it sleeps until the doorbell. */
    private static final long RING_SPIN_NANOS = 50_000;

    /** A request in flight; a listing gathers several frames. */
    private static final class Pending {
        final CompletableFuture<Reply> future = new CompletableFuture<>();
        List<ObjectInfo> listing;
    }

    /**
     * When a caller gives up waiting for a reply: {@code limit} after {@code startNanos}, or never if {@code limit}
     * is null.
     */
    record Deadline(long startNanos, Duration limit) {
        /** Longer limits count as this (100 years), so that nanosecond arithmetic cannot overflow. */
        private static final Duration LONGEST = Duration.ofDays(36_500);

        static Deadline after(Duration limit) {
            return new Deadline(System.nanoTime(), capped(limit));
        }

        static Duration capped(Duration limit) {
            return limit.compareTo(LONGEST) > 0 ? LONGEST : limit;
        }

        static Deadline never() {
            return new Deadline(System.nanoTime(), null);
        }

        boolean isNever() {
            return limit == null;
        }

        long remainingNanos() {
            return limit.toNanos() - (System.nanoTime() - startNanos);
        }
    }

    private Connection(Path socket, SocketChannel channel, Consumer<Reply.Notification> notifications)
            throws IOException {
        this.socket = socket;
        this.channel = channel;
        this.notifications = notifications;
        try {
            channel.configureBlocking(false);
            this.readSelector = Selector.open();
            channel.register(readSelector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        this.reader = Thread.ofPlatform().daemon().name("quiver-client-reader").unstarted(this::readLoop);
    }

    /**
     * Connects, retrying while nothing listens on the socket (a store may be starting), for at most {@code retryFor}.
     */
    static Connection open(Path socket, Duration retryFor, Consumer<Reply.Notification> notifications) {
        long deadline = System.nanoTime() + retryFor.toNanos();
        long backoffNanos = 10_000_000;
        IOException last;
        while (true) {
            try {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    refuseForeignStore(ch, socket);
                } catch (IOException | StoreUnavailableException e) {
                    ch.close();
                    throw e;
                }
                Connection c = new Connection(socket, ch, notifications);
                c.reader.start();
                return c;
            } catch (IOException e) {
                last = e;
            }
            if (System.nanoTime() + backoffNanos > deadline) {
                break;
            }
            LockSupport.parkNanos(backoffNanos); // idle strategy between connection attempts, not a synchronisation
            backoffNanos = Math.min(backoffNanos * 2, 200_000_000);
        }
        String why = Files.exists(socket) ? "nothing accepts connections there (" + last.getMessage() + ")"
                : "the socket does not exist";
        throw new StoreUnavailableException("no Quiver store at " + socket + ": " + why + ", after retrying for "
                + retryFor.toMillis() + " ms; start one with `quiver store -m 1g -s " + socket + "`", last);
    }

    /**
     * Refuses a store run by another user: on a shared directory anyone can put a socket at a well-known path, and
     * a client would then write its data into that user's arena. SO_PEERCRED names the process that bound it.
     */
    private static void refuseForeignStore(SocketChannel ch, Path socket) throws IOException {
        UserPrincipal store = ch.getOption(ExtendedSocketOptions.SO_PEERCRED).user();
        long uid = DefaultSocket.uid();
        if (!store.equals(Me.PRINCIPAL)) {
            throw new StoreUnavailableException("refusing the store at " + socket + ": it is run by user "
                    + store.getName() + ", not by you (uid " + uid + "), and would receive everything you store;"
                    + " start a store of your own (`quiver store -m 1g -s SOCKET`) and connect to its socket");
        }
    }

    /** This process's user as a principal (looked up once: it may ask the name service). */
    private static final class Me {
        static final UserPrincipal PRINCIPAL;

        static {
            try { // a number that names no user is taken as a uid; principals are equal when their uids are
                PRINCIPAL = FileSystems.getDefault().getUserPrincipalLookupService()
                        .lookupPrincipalByName(Long.toString(DefaultSocket.uid()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot look up this process's user", e);
            }
        }
    }

    /**
     * Moves this connection to the command rings the store announced in its {@code CONNECTED}: from now on requests
     * and replies go through them.
     *
     * @throws IOException if the rings cannot be mapped or are not what the store announced
     */
    void useRings(Reply.Rings announced, long clientId) throws IOException {
        rings = ClientRings.attach(announced, clientId, this::dispatch, this::ringCorrupt);
    }

    /** True if requests go through command rings. */
    boolean usesRings() {
        return rings != null;
    }

    private void ringCorrupt(String reason) {
        LOG.error("giving up the connection to {}: {}", socket, reason);
        connectionLost(reason);
    }

    /** The deadline of calls that do not say otherwise; asynchronous writes also wait at most this long. */
    void requestTimeout(Duration timeout) {
        this.requestTimeout = timeout;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    /**
     * Calls {@code listener} with the reason once the connection is lost or closed (at once if it is already). It
     * runs in the thread that noticed: the reader, a caller whose deadline passed, or the closing thread.
     */
    void onLost(Consumer<String> listener) {
        lostListener = listener;
        if (lost.get()) {
            callListener();
        }
    }

    /** Sends a request and waits at most the request timeout for its reply; an error reply becomes its exception. */
    Reply call(Request request) {
        return call(request, Deadline.after(requestTimeout));
    }

    /** Sends a request and waits for its reply until {@code deadline}; an error reply becomes its exception. */
    Reply call(Request request, Deadline deadline) {
        return await(request, send(request, deadline), deadline);
    }

    /**
     * Waits for a reply until {@code deadline}; an error reply becomes the matching exception. A missed deadline
     * loses the connection: the reply may still come, with references the caller could no longer account for.
     *
     * @throws StoreUnavailableException if the deadline passed or the connection is lost, naming the call, the
     *                                   deadline and the socket
     * @throws QuiverException           if interrupted: the reply will still arrive, and the caller must undo its
     *                                   effect
     */
    Reply await(Request request, CompletableFuture<Reply> reply, Deadline deadline) {
        try {
            return check(waitFor(reply, deadline));
        } catch (TimeoutException e) {
            String why = "no answer to " + name(request) + " within " + format(deadline.limit());
            connectionLost(why);
            throw new StoreUnavailableException("the store at " + socket + " did not answer " + name(request)
                    + " within " + format(deadline.limit()) + "; the connection is closed and every view it handed"
                    + " out is invalid. Check that the store process runs and is not stopped, or allow more time"
                    + " (ClientOptions.withRequestTimeout, or --timeout on the command line)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QuiverException("interrupted while waiting for the store", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof QuiverException q ? q : new QuiverException(e.getCause().toString(), e);
        }
    }

    /**
     * Waits at most {@code nanos} for a reply to come, without the consequences of a missed deadline: true if it
     * came (an error reply included), false if not yet.
     */
    boolean awaitDone(CompletableFuture<Reply> reply, long nanos) {
        try {
            waitFor(reply, Deadline.after(Duration.ofNanos(nanos)));
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return reply.isDone();
        } catch (ExecutionException e) {
            return true;
        }
    }

    /**
     * Waits for a reply until {@code deadline}. On the rings it drains the reply ring for a while, then counts itself
     * asleep, so that the store rings the doorbell after writing replies, and blocks.
     */
    private Reply waitFor(CompletableFuture<Reply> reply, Deadline deadline)
            throws TimeoutException, InterruptedException, ExecutionException {
        ClientRings r = rings;
        boolean asleep = false;
        if (r != null && !reply.isDone()) {
            pollRing(r, reply, deadline);
            if (!reply.isDone()) {
                r.sleeping(true); // a full fence: a reply written before this is seen by the drain below
                asleep = true;
                r.drain();
            }
        }
        try {
            return deadline.isNever() ? reply.get()
                    : reply.get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
        } finally {
            if (asleep) {
                r.sleeping(false);
            }
        }
    }

    /**
     * Runs {@code action} with a reply when it comes, even if no call of this client drains the reply ring in the
     * meantime: on the rings, the client counts itself asleep until then, so that the engine rings the doorbell after
     * writing it, and the socket's reader thread drains it.
     */
    void whenAnswered(CompletableFuture<Reply> reply, Consumer<Reply> action) {
        ClientRings r = rings;
        if (r != null && !reply.isDone()) {
            r.sleeping(true); // a full fence: a reply written before this is seen by the drain below
            reply.thenRun(() -> r.sleeping(false)); // not on a lost connection: its rings may be unmapped by then
            r.drain();
        }
        reply.thenAccept(action);
    }

    /** Drains the reply ring until {@code reply} is done, for at most {@link #RING_SPIN_NANOS} (and the deadline). */
    private static void pollRing(ClientRings r, CompletableFuture<Reply> reply, Deadline deadline) {
        long start = System.nanoTime();
        for (int i = 0; ; i++) {
            r.drain();
            if (reply.isDone()) {
                return;
            }
            long spent = System.nanoTime() - start;
            if (spent > RING_SPIN_NANOS || (!deadline.isNever() && deadline.remainingNanos() <= 0)) {
                return;
            }
            if (i < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // a shared machine: let the store's engine run
            }
        }
    }

    /**
     * Sends a request without waiting for its reply; the write itself waits at most the request timeout for room in
     * the socket. The future completes with the reply (error replies included).
     */
    CompletableFuture<Reply> send(Request request) {
        return send(request, Deadline.after(requestTimeout));
    }

    /**
     * Sends a request; the future completes with its reply (error replies included). The write waits for room in the
     * socket until {@code deadline} or the request timeout, whichever comes first; past it the connection is lost.
     */
    CompletableFuture<Reply> send(Request request, Deadline deadline) {
        Duration writeLimit = Deadline.capped(deadline.isNever() || deadline.limit().compareTo(requestTimeout) > 0
                ? requestTimeout : deadline.limit());
        long writeDeadline = deadline.startNanos() + writeLimit.toNanos();
        int id = nextRequestId.getAndUpdate(i -> i == Integer.MAX_VALUE ? 1 : i + 1);
        Pending p = new Pending();
        pending.put(id, p);
        ByteBuffer frame = FrameCodec.encode(id, request);
        // An interrupted thread that does I/O on a channel closes it (and with it every reference this client
        // holds): clear the flag around the write, and restore it for the caller.
        boolean interrupted = Thread.interrupted();
        ClientRings r = rings;
        try {
            if (r != null && r.fits(frame)) {
                if (closed) { // checked after the pending entry went in: a loss fails it, or is seen here
                    throw lost();
                }
                if (!ringWrite(r, frame, writeDeadline)) {
                    throw writeTimedOut(request, writeLimit, "the request ring is full");
                }
                if (r.shouldRing() && !doorbell(writeDeadline)) {
                    throw writeTimedOut(request, writeLimit, "the socket is full");
                }
                r.drain(); // replies nobody waits for (releases, say) must not fill the reply ring
                return p.future;
            }
            if (!writeLock.tryLock(Math.max(0, writeDeadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw writeTimedOut(request, writeLimit, "another request's write is stuck");
            }
            try {
                if (closed) {
                    throw lost();
                }
                // Too large for the ring: a marker there keeps its place, under the write lock so that markers and
                // socket frames come in the same order.
                if (r != null && !ringMarker(r, id, writeDeadline)) {
                    throw writeTimedOut(request, writeLimit, "the request ring is full");
                }
                if (!write(frame, writeDeadline)) {
                    throw writeTimedOut(request, writeLimit, "the socket is full");
                }
            } finally {
                writeLock.unlock();
            }
        } catch (IOException | ClosedSelectorException e) {
            pending.remove(id);
            connectionLost("write failed: " + e);
            throw lost();
        } catch (StoreUnavailableException e) {
            pending.remove(id);
            throw e;
        } catch (InterruptedException e) { // interrupted again while waiting for the lock: nothing was sent
            pending.remove(id);
            interrupted = true;
            throw new QuiverException("interrupted while waiting to send " + name(request), e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return p.future;
    }

    /** Writes a request into the ring, waiting for room until {@code deadline}; false if it passed first. */
    private boolean ringWrite(ClientRings r, ByteBuffer frame, long deadline) {
        for (int i = 0; !r.offer(frame); i++) {
            if (closed) {
                throw lost();
            }
            if (deadline - System.nanoTime() <= 0) {
                return false;
            }
            r.drain(); // the engine may be waiting for room in the reply ring before it reads on
            idleWhileFull(i);
        }
        return true;
    }

    private boolean ringMarker(ClientRings r, int requestId, long deadline) {
        for (int i = 0; !r.offerMarker(requestId); i++) {
            if (closed) {
                throw lost();
            }
            if (deadline - System.nanoTime() <= 0) {
                return false;
            }
            r.drain();
            idleWhileFull(i);
        }
        return true;
    }

    /** Waits a little for room in a full ring: spin, yield, then park up to 100 us (the engine is busy). */
    private static void idleWhileFull(int attempt) {
        if (attempt < 100) {
            Thread.onSpinWait();
        } else if (attempt < 200) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(Math.min(100_000, 1_000L << Math.min(7, attempt - 200)));
        }
    }

    /**
     * Wakes the engine: a doorbell frame on the socket.
     *
     * @return false if it could not be written before {@code deadline} (the store is not reading its socket)
     */
    private boolean doorbell(long deadline) throws IOException {
        // The request is in the ring already: an interrupt must not keep the engine from waking, so wait for the
        // write lock (another thread's write is bounded by its own deadline) without being interruptible.
        for (int i = 0; !writeLock.tryLock(); i++) {
            if (deadline - System.nanoTime() <= 0) {
                return false;
            }
            idleWhileFull(i);
        }
        try {
            return closed || write(FrameCodec.doorbell(), deadline);
        } finally {
            writeLock.unlock();
        }
    }

    /** True until the connection is lost or closed. */
    boolean isOpen() {
        return !closed;
    }

    Path socket() {
        return socket;
    }

    /** Why the connection ended, or null while it is open. */
    String lostReason() {
        return lostReason;
    }

    /** The exception for a call made after the connection ended. */
    StoreUnavailableException lost() {
        return new StoreUnavailableException("not connected to the store at " + socket + ": " + lostReason);
    }

    /** Fails what is pending (if not lost already), then closes the socket: the store sees EOF. */
    @Override
    public void close() {
        connectionLost("the client closed its connection");
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        // A non-blocking channel's socket is closed only once no selector holds a key of it: close them too (this
        // also wakes the reader and any writer waiting in them).
        closeQuietly(readSelector);
        synchronized (selectorLock) {
            closeQuietly(writeSelector);
            writeSelector = null;
        }
        if (Thread.currentThread() != reader) {
            try {
                reader.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Turns an error reply into its exception. */
    static Reply check(Reply reply) {
        if (reply instanceof Reply.Error e) {
            throw Errors.toException(e.status(), e.message());
        }
        return reply;
    }

    /** The protocol's name of a request, for messages. */
    static String name(Request request) {
        return switch (request) {
            case Request.Connect c -> "CONNECT";
            case Request.Create c -> "CREATE";
            case Request.CreateBatch c -> "CREATE_BATCH";
            case Request.Seal s -> "SEAL";
            case Request.Abort a -> "ABORT";
            case Request.Publish p -> "PUBLISH";
            case Request.Get g -> "GET";
            case Request.Release r -> "RELEASE";
            case Request.ReleaseHeld r -> "RELEASE_HELD";
            case Request.EndHolds e -> "END_HOLDS";
            case Request.Contains c -> "CONTAINS";
            case Request.Delete d -> "DELETE";
            case Request.ListObjects l -> "LIST";
            case Request.Range r -> "RANGE";
            case Request.Evict e -> "EVICT";
            case Request.Hash h -> "HASH";
            case Request.Subscribe s -> "SUBSCRIBE";
            case Request.Stats s -> "STATS";
            case Request.Clients c -> "CLIENTS";
        };
    }

    /** A duration for messages: {@code 750 ms}, {@code 2.5 s}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        return ms < 1000 ? ms + " ms" : (ms % 1000 == 0 ? ms / 1000 + " s" : ms / 1000.0 + " s");
    }

    /** Writes the whole frame, waiting for room until {@code deadline}; false if the deadline passed first. */
    private boolean write(ByteBuffer frame, long deadline) throws IOException {
        while (frame.hasRemaining()) {
            if (channel.write(frame) > 0) {
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            writeSelector().select(key -> { }, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
        return true;
    }

    private Selector writeSelector() throws IOException {
        synchronized (selectorLock) {
            if (writeSelector == null) {
                Selector s = Selector.open();
                try {
                    channel.register(s, SelectionKey.OP_WRITE); // throws if close() ran: then no selector is left
                } catch (IOException | RuntimeException e) {
                    s.close();
                    throw e;
                }
                writeSelector = s;
            }
            return writeSelector;
        }
    }

    private StoreUnavailableException writeTimedOut(Request request, Duration limit, String why) {
        connectionLost("could not send " + name(request) + " within " + format(limit) + ": " + why);
        return new StoreUnavailableException("could not send " + name(request) + " to the store at " + socket
                + " within " + format(limit) + " (" + why + "; the store is not reading); the connection is closed"
                + " and every view it handed out is invalid. Check that the store process runs and is not stopped,"
                + " or allow more time (ClientOptions.withRequestTimeout, or --timeout on the command line)");
    }

    private void readLoop() {
        ByteBuffer length = ByteBuffer.allocate(FrameCodec.LENGTH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try {
            // After a loss the socket may stay open (pinned buffers): keep draining late replies until it closes.
            while (channel.isOpen()) {
                length.clear();
                if (!readFully(length)) {
                    ClientRings r = rings;
                    if (r != null) { // what the store wrote before it shut the socket, an ERROR say, comes first
                        r.drain();
                    }
                    connectionLost("the store closed the connection");
                    return;
                }
                ByteBuffer body = ByteBuffer.allocate(FrameCodec.checkLength(length.getInt(0)));
                if (!readFully(body)) {
                    connectionLost("the store closed the connection in the middle of a frame");
                    return;
                }
                body.flip();
                ClientRings r = rings;
                if (FrameCodec.isDoorbell(body)) {
                    if (r != null) {
                        r.drain();
                    }
                    continue;
                }
                FrameCodec.Frame<Reply> frame = FrameCodec.decodeReply(body);
                if (r != null) {
                    r.socketFrame(frame); // a reply too large for the ring: its marker says where it belongs
                } else {
                    dispatch(frame);
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            connectionLost(closed ? "closed" : "read failed: " + e);
        } catch (MalformedFrameException e) {
            LOG.error("giving up the connection to {}: malformed reply: {}", socket, e.getMessage());
            connectionLost("malformed reply from the store: " + e.getMessage());
        }
    }

    private void dispatch(FrameCodec.Frame<Reply> frame) {
        if (frame.requestId() == 0) {
            switch (frame.message()) {
                case Reply.Notification n when notifications != null -> {
                    if (!closed) {
                        notifications.accept(n);
                    }
                }
                case Reply.Error e -> LOG.error("the store reports: {} ({})", e.message(), e.status());
                default -> LOG.warn("unexpected message from the store: {}", frame.message());
            }
            return;
        }
        Pending p = pending.get(frame.requestId());
        if (p == null) {
            if (!closed) { // after a loss, replies still in flight find their requests already failed
                LOG.warn("reply to unknown request {}: {}", frame.requestId(), frame.message());
            }
            return;
        }
        if (frame.message() instanceof Reply.Listing l) {
            if (p.listing == null) {
                p.listing = new ArrayList<>();
            }
            p.listing.addAll(l.objects());
            if (!l.last()) {
                return;
            }
            pending.remove(frame.requestId());
            p.future.complete(new Reply.Listing(List.copyOf(p.listing), true));
            return;
        }
        pending.remove(frame.requestId());
        p.future.complete(frame.message());
    }

    private boolean readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            int n = channel.read(b);
            if (n < 0) {
                return false;
            }
            if (n == 0) {
                readSelector.select(key -> { }); // until readable, or until close() closes the selector
            }
        }
        return true;
    }

    /** Ends the connection once: fails every pending request, ends the notifications, tells the listener. */
    private void connectionLost(String reason) {
        if (!lost.compareAndSet(false, true)) {
            return;
        }
        lostReason = reason;
        closed = true;
        if (notifications != null) {
            notifications.accept(null); // end of the event stream
        }
        StoreUnavailableException e = lost();
        for (Integer id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                p.future.completeExceptionally(e);
            }
        }
        callListener();
    }

    private void callListener() {
        Consumer<String> l = lostListener;
        if (l != null && listenerCalled.compareAndSet(false, true)) {
            l.accept(lostReason);
        }
    }

    private static void closeQuietly(Selector s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
