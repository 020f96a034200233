package dev.quiver.client;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Seal and delete events from the store, on a connection of its own. A new subscription first receives every
 * object already sealed, oldest first, then each seal and deletion as it happens, in the store's order.
 *
 * <p>Events wait in a bounded queue; when the reader falls far behind, the socket fills and the store drops the
 * subscription (it does not slow down for one subscriber): {@link #next} then throws
 * {@link StoreUnavailableException}.
 *
 * <p>{@link #next(Duration)} waits for events, not for answers, so it has no deadline of its own: a stopped store
 * looks like a quiet one. The subscription's socket stays open after the connection is lost, until {@link #close()}.
 */
public final class Subscription implements AutoCloseable {
    private static final int QUEUE = 65_536;
    private final BlockingQueue<ObjectEvent> events = new ArrayBlockingQueue<>(QUEUE);
    private final Connection connection;
    /** Queued when the connection is gone. */
    private static final ObjectEvent END = new ObjectEvent(ObjectEvent.Kind.DELETED, null, -1, -1, 0);
    private volatile boolean endPending;

    private Subscription(Path socket, ClientOptions options) {
        this.connection = Connection.open(socket, options.connectRetry(), this::enqueue);
        connection.requestTimeout(options.requestTimeout());
    }

    /** Connects and subscribes; the handshake and the subscribe request each wait at most the request timeout. */
    static Subscription open(Path socket, ClientOptions options) {
        Subscription s = new Subscription(socket, options);
        try {
            s.connection.call(new Request.Connect(FrameCodec.PROTOCOL_VERSION, "subscription",
                    ProcessHandle.current().pid()));
            s.connection.call(new Request.Subscribe());
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * The next event, waiting up to {@code timeout}.
     *
     * @return the event, or empty if none came in time
     * @throws StoreUnavailableException if the connection is gone and no event is left
     */
    public Optional<ObjectEvent> next(Duration timeout) {
        if (endPending && events.isEmpty()) {
            endPending = false;
            events.offer(END);
        }
        ObjectEvent e;
        try {
            e = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new QuiverException("interrupted while waiting for an event", ex);
        }
        if (e == END) {
            events.offer(END); // every later call sees the end too
            throw new StoreUnavailableException("the subscription's connection to " + connection.socket()
                    + " is closed");
        }
        return Optional.ofNullable(e);
    }

    /** The next event, waiting as long as it takes. */
    public ObjectEvent next() {
        while (true) {
            Optional<ObjectEvent> e = next(Duration.ofDays(1));
            if (e.isPresent()) {
                return e.get();
            }
        }
    }

    /** Stops the subscription. */
    @Override
    public void close() {
        connection.close();
    }

    private void enqueue(Reply.Notification n) {
        if (n == null) {
            if (!events.offer(END)) {
                endPending = true; // full: next() queues the end once it has drained the events before it
            }
            return;
        }
        ObjectEvent e = new ObjectEvent(ObjectEvent.Kind.valueOf(n.kind().name()), n.id(), n.dataSize(),
                n.metadataSize(), n.digest());
        try {
            events.put(e); // blocks the reader when full: the socket fills and the store drops us
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
