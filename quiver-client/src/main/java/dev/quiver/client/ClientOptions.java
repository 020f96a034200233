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
 * @param connectRetry   how long {@code connect} keeps retrying while nothing listens on the socket
 * @param requestTimeout how long any call waits for the store's reply, beyond the time it asked the store to wait
 */
public record ClientOptions(Duration connectRetry, Duration requestTimeout) {
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
        if (connectRetry.isNegative()) {
            throw new IllegalArgumentException("connectRetry " + connectRetry + " is negative; use 0 to try once");
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("requestTimeout " + requestTimeout + " must be positive; the default "
                    + "is " + DEFAULT_REQUEST_TIMEOUT);
        }
    }

    /** Retry connecting for {@link QuiverClient#DEFAULT_CONNECT_RETRY}; a request timeout of 30 s. */
    public static ClientOptions defaults() {
        return new ClientOptions(QuiverClient.DEFAULT_CONNECT_RETRY, DEFAULT_REQUEST_TIMEOUT);
    }

    /** These options with another connect retry. */
    public ClientOptions withConnectRetry(Duration retry) {
        return new ClientOptions(retry, requestTimeout);
    }

    /** These options with another request timeout (must be positive). */
    public ClientOptions withRequestTimeout(Duration timeout) {
        return new ClientOptions(connectRetry, timeout);
    }

    /** The margin a blocking call waits beyond its own timeout: {@code min(requestTimeout, 2 s)}. */
    Duration waitMargin() {
        return requestTimeout.compareTo(MAX_WAIT_MARGIN) < 0 ? requestTimeout : MAX_WAIT_MARGIN;
    }
}
