package dev.quiver.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link QuiverClient} connects and how long it waits for the store. Immutable; start from
 * {@link #defaults()}:
 *
 * <pre>{@code
 * QuiverClient c = QuiverClient.connect(socket, ClientOptions.defaults().withRequestTimeout(Duration.ofSeconds(5)));
 * }</pre>
 *
 * <p><b>Deadlines.</b> Every call ends: with the store's answer, or with {@link StoreUnavailableException} when the
 * store does not answer in time (a stopped or wedged store process). A call that waits on purpose, a
 * {@link QuiverClient#get(java.util.List, long) get} or a {@link QuiverClient#create(dev.quiver.protocol.ObjectId,
 * long, long, long) create} with a timeout, is given its own timeout plus a margin of
 * {@code min(requestTimeout, 2 s)}; every other call, and the handshake, is given the request timeout. Only
 * {@link QuiverClient#WAIT_FOREVER} waits without a deadline. A missed deadline ends the connection, exactly as if
 * the store had closed it: the late reply would carry references the client could no longer account for.
 *
 * <p><b>Transport.</b> Requests and replies travel through the Unix socket ({@link Transport#SOCKET}, the default)
 * or through shared-memory command rings ({@link Transport#RINGS}); operations, semantics and errors are the same on
 * both. The default can be changed without code with the system property {@value #TRANSPORT_PROPERTY}
 * ({@code socket} or {@code rings}).
 *
 * <p><b>When views end.</b> By default closing an {@link ObjectBuffer} ends its views and returns its reference
 * before it returns. That costs a JVM-wide handshake per buffer (closing a shared {@link java.lang.foreign.Arena},
 * 20–80 µs), more than the rest of a small get. With {@link #withBatchedViewEnds(boolean)} the buffers obtained
 * together share one scope, ended off the caller's thread once all of them are closed, and their references go back
 * in one message: within about a millisecond, or at once on {@link QuiverClient#flush()}. The store still reuses
 * nothing a view can read; what changes is when the store hears of a close, and a buffer left open holds back the
 * others of its generation (see {@link QuiverClient#flush()}).
 *
 * @param connectRetry      how long {@code connect} keeps retrying while nothing listens on the socket
 * @param requestTimeout    how long any call waits for the store's reply, beyond the time it asked the store to wait
 * @param transport         how requests reach the store's engine and replies come back
 * @param batchedViewEnds   whether closed buffers end their views and return their references in batches
 */
public record ClientOptions(Duration connectRetry, Duration requestTimeout, Transport transport,
        boolean batchedViewEnds) {
    /** The system property that chooses {@link #defaults()}'s transport: {@code socket} or {@code rings}. */
    public static final String TRANSPORT_PROPERTY = "quiver.transport";

    /** How a client's requests reach the store's engine, and its replies come back. */
    public enum Transport {
        /** Frames over the Unix socket: every request and reply crosses the kernel. */
        SOCKET,
        /**
         * Shared-memory command rings (Agrona ring buffers in a file the store makes for this client): requests and
         * replies do not cross the kernel; the socket stays for the handshake, liveness, frames too large for a ring,
         * and the doorbell that wakes a sleeping store or client. Needs
         * {@code --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED} (Agrona's access to shared memory). A store
         * that cannot make rings answers without them, and the client stays on the socket (the log says so).
         */
        RINGS;

        /** {@code socket} or {@code rings}, any case. */
        public static Transport parse(String name) {
            return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "socket" -> SOCKET;
                case "rings" -> RINGS;
                default -> throw new IllegalArgumentException("unknown transport '" + name
                        + "'; use socket or rings");
            };
        }
    }
    /**
     * 30 s: a healthy store answers in microseconds and serves one request at a time in a single thread, so even a
     * listing of a full store or a long GC pause in its JVM stays far below this; a store that has not answered in
     * 30 s is stopped or wedged, and a caller is better served by an error than by waiting on.
     */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** The most a blocking get or create waits beyond its own timeout for the store's answer to arrive. */
    public static final Duration MAX_WAIT_MARGIN = Duration.ofSeconds(2);

    public ClientOptions {
        Objects.requireNonNull(connectRetry, "connectRetry");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(transport, "transport");
        if (connectRetry.isNegative()) {
            throw new IllegalArgumentException("connectRetry " + connectRetry + " is negative; use 0 to try once");
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("requestTimeout " + requestTimeout + " must be positive; the default "
                    + "is " + DEFAULT_REQUEST_TIMEOUT);
        }
    }

    /** Options without a transport use the socket. */
    public ClientOptions(Duration connectRetry, Duration requestTimeout) {
        this(connectRetry, requestTimeout, Transport.SOCKET);
    }

    /** Options whose buffers end their views one by one, as they close. */
    public ClientOptions(Duration connectRetry, Duration requestTimeout, Transport transport) {
        this(connectRetry, requestTimeout, transport, false);
    }

    /**
     * Retry connecting for {@link QuiverClient#DEFAULT_CONNECT_RETRY}; a request timeout of 30 s; the socket
     * transport, unless the system property {@value #TRANSPORT_PROPERTY} says {@code rings}.
     *
     * @throws IllegalArgumentException if that property names no transport
     */
    public static ClientOptions defaults() {
        String chosen = System.getProperty(TRANSPORT_PROPERTY);
        return new ClientOptions(QuiverClient.DEFAULT_CONNECT_RETRY, DEFAULT_REQUEST_TIMEOUT,
                chosen == null || chosen.isBlank() ? Transport.SOCKET : Transport.parse(chosen));
    }

    /** These options with another connect retry. */
    public ClientOptions withConnectRetry(Duration retry) {
        return new ClientOptions(retry, requestTimeout, transport, batchedViewEnds);
    }

    /** These options with another request timeout (must be positive). */
    public ClientOptions withRequestTimeout(Duration timeout) {
        return new ClientOptions(connectRetry, timeout, transport, batchedViewEnds);
    }

    /** These options with another transport. */
    public ClientOptions withTransport(Transport transport) {
        return new ClientOptions(connectRetry, requestTimeout, transport, batchedViewEnds);
    }

    /**
     * These options with buffers whose views end, and whose references go back, in batches ({@code true}) or each
     * before its close returns ({@code false}, the default).
     */
    public ClientOptions withBatchedViewEnds(boolean batched) {
        return new ClientOptions(connectRetry, requestTimeout, transport, batched);
    }

    /** The margin a blocking call waits beyond its own timeout: {@code min(requestTimeout, 2 s)}. */
    Duration waitMargin() {
        return requestTimeout.compareTo(MAX_WAIT_MARGIN) < 0 ? requestTimeout : MAX_WAIT_MARGIN;
    }
}
