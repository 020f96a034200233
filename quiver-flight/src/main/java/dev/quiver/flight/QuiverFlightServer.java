package dev.quiver.flight;

import dev.quiver.client.QuiverClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's Arrow Flight endpoint: a Flight server that serves the shelf and the streams of the store on a socket,
 * as one client of that store (it maps the arena like any client, so the engine thread never waits for the network).
 * {@code quiver store --flight [HOST:]PORT} starts one in the store's process; docs/flight.md says what it serves.
 *
 * <pre>{@code
 * try (QuiverFlightServer flight = QuiverFlightServer.start(socket, FlightSettings.loopback(0))) {
 *     System.out.println(flight.uri()); // grpc+tcp://127.0.0.1:PORT
 * }
 * }</pre>
 */
public final class QuiverFlightServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QuiverFlightServer.class);
    /** Bytes gRPC may queue for one call before a sender waits: what a slow reader can hold up, per call. */
    static final int BACKPRESSURE_BYTES = 8 << 20;

    private final QuiverClient client;
    private final BufferAllocator allocator;
    private final QuiverProducer producer;
    private final FlightServer server;
    private final Location location;
    private boolean closed;

    private QuiverFlightServer(QuiverClient client, BufferAllocator allocator, QuiverProducer producer,
                               FlightServer server, Location location) {
        this.client = client;
        this.allocator = allocator;
        this.producer = producer;
        this.server = server;
        this.location = location;
    }

    /**
     * Connects to the store on {@code socket} and serves it as {@code settings} say.
     *
     * @throws IOException if the address cannot be bound (the message names it)
     * @throws IllegalArgumentException if the tokens or the TLS files cannot be read
     */
    public static QuiverFlightServer start(Path socket, FlightSettings settings) throws IOException {
        TokenAuthenticator auth = settings.tokens() == null ? null : TokenAuthenticator.fromFile(settings.tokens());
        InetSocketAddress a = settings.address();
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        Location bind = settings.tls() ? Location.forGrpcTls(host, a.getPort())
                : Location.forGrpcInsecure(host, a.getPort());
        QuiverClient client = QuiverClient.connect(socket);
        BufferAllocator allocator = new RootAllocator();
        QuiverProducer producer = new QuiverProducer(client, allocator);
        try {
            // gRPC reports "not ready" past 32 KiB queued by default, i.e. after every batch of a table: let a few
            // megabytes queue, so the next batch is handed over while the previous one is on the wire.
            FlightServer.Builder b = FlightServer.builder(allocator, bind, producer)
                    .backpressureThreshold(BACKPRESSURE_BYTES);
            if (auth != null) {
                b.headerAuthenticator(auth);
            }
            if (settings.tls()) {
                b.useTls(settings.tlsCert().toFile(), settings.tlsKey().toFile());
            }
            FlightServer server = b.build();
            try {
                server.start();
            } catch (IOException e) {
                closeQuietly(server);
                throw new IOException("cannot serve Flight on " + host + ":" + a.getPort() + ": " + e.getMessage()
                        + " (is the port taken? port 0 picks a free one)", e);
            }
            Location at = settings.tls() ? Location.forGrpcTls(host, server.getPort())
                    : Location.forGrpcInsecure(host, server.getPort());
            LOG.info("Flight endpoint at {} ({}, {})", at.getUri(), auth == null ? "no authentication"
                    : "bearer tokens", settings.tls() ? "TLS" : "no TLS");
            return new QuiverFlightServer(client, allocator, producer, server, at);
        } catch (IOException | RuntimeException e) {
            producer.close();
            client.close();
            allocator.close();
            throw e;
        }
    }

    private static void closeQuietly(FlightServer server) {
        try {
            server.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Where clients connect: {@code grpc+tcp://HOST:PORT}, or {@code grpc+tls://HOST:PORT} with TLS. */
    public URI uri() {
        return location.getUri();
    }

    /** The port served (the one picked, when port 0 was asked for). */
    public int port() {
        return server.getPort();
    }

    /**
     * Stops serving: calls under way end (followers of a stream get UNAVAILABLE), then the connection to the store
     * closes. Later calls do nothing.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        producer.close();
        closeQuietly(server);
        client.close();
        try {
            allocator.close();
        } catch (IllegalStateException e) {
            LOG.warn("the Flight endpoint's allocator still held buffers when it closed: {}", e.getMessage());
        }
    }
}
