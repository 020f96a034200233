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
 */
final class Connection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    private final Path socket;
    private final SocketChannel channel;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicInteger nextRequestId = new AtomicInteger(1);
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    /** Receives notifications, then null once when the connection is lost; null for a plain request connection. */
    private final Consumer<Reply.Notification> notifications;
    private final Thread reader;
    private volatile boolean closed;
    private volatile String lostReason;

    /** A request in flight; a listing gathers several frames. */
    private static final class Pending {
        final CompletableFuture<Reply> future = new CompletableFuture<>();
        List<ObjectInfo> listing;
    }

    private Connection(Path socket, SocketChannel channel, Consumer<Reply.Notification> notifications) {
        this.socket = socket;
        this.channel = channel;
        this.notifications = notifications;
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

    /** Sends a request and waits for its reply; an error reply becomes the matching exception. */
    Reply call(Request request) {
        return await(send(request));
    }

    /**
     * Waits for a reply; an error reply becomes the matching exception.
     *
     * @throws QuiverException if interrupted: the reply will still arrive, and the caller must undo its effect
     */
    static Reply await(CompletableFuture<Reply> reply) {
        try {
            return check(reply.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QuiverException("interrupted while waiting for the store", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof QuiverException q ? q : new QuiverException(e.getCause().toString(), e);
        }
    }

    /** Sends a request; the future completes with its reply (error replies included). */
    CompletableFuture<Reply> send(Request request) {
        int id = nextRequestId.getAndUpdate(i -> i == Integer.MAX_VALUE ? 1 : i + 1);
        Pending p = new Pending();
        pending.put(id, p);
        ByteBuffer frame = FrameCodec.encode(id, request);
        // An interrupted thread that does I/O on a channel closes it (and with it every reference this client
        // holds): clear the flag around the write, and restore it for the caller.
        boolean interrupted = Thread.interrupted();
        writeLock.lock();
        try {
            if (closed) {
                throw lost();
            }
            while (frame.hasRemaining()) {
                channel.write(frame);
            }
        } catch (IOException e) {
            pending.remove(id);
            connectionLost("write failed: " + e.getMessage());
            throw lost();
        } catch (StoreUnavailableException e) {
            pending.remove(id);
            throw e;
        } finally {
            writeLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return p.future;
    }

    boolean isOpen() {
        return !closed;
    }

    Path socket() {
        return socket;
    }

    @Override
    public void close() {
        connectionLost("the client closed its connection");
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
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

    private void readLoop() {
        ByteBuffer length = ByteBuffer.allocate(FrameCodec.LENGTH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try {
            while (!closed) {
                length.clear();
                if (!readFully(length)) {
                    connectionLost("the store closed the connection");
                    return;
                }
                ByteBuffer body = ByteBuffer.allocate(FrameCodec.checkLength(length.getInt(0)));
                if (!readFully(body)) {
                    connectionLost("the store closed the connection in the middle of a frame");
                    return;
                }
                dispatch(FrameCodec.decodeReply(body.flip()));
            }
        } catch (IOException e) {
            connectionLost(closed ? "closed" : "read failed: " + e.getMessage());
        } catch (MalformedFrameException e) {
            LOG.error("closing the connection to {}: malformed reply: {}", socket, e.getMessage());
            connectionLost("malformed reply from the store: " + e.getMessage());
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void dispatch(FrameCodec.Frame<Reply> frame) {
        if (frame.requestId() == 0) {
            switch (frame.message()) {
                case Reply.Notification n when notifications != null -> notifications.accept(n);
                case Reply.Error e -> LOG.error("the store reports: {} ({})", e.message(), e.status());
                default -> LOG.warn("unexpected message from the store: {}", frame.message());
            }
            return;
        }
        Pending p = pending.get(frame.requestId());
        if (p == null) {
            if (!closed) { // after close, replies still in flight find their requests already failed
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
            if (channel.read(b) < 0) {
                return false;
            }
        }
        return true;
    }

    private void connectionLost(String reason) {
        if (closed) {
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
    }

    private StoreUnavailableException lost() {
        return new StoreUnavailableException("not connected to the store at " + socket + ": " + lostReason);
    }
}
