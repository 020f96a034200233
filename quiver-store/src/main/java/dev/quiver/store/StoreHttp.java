package dev.quiver.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's HTTP port ({@code quiver store --http}): {@code /metrics} in the Prometheus exposition formats (the
 * Prometheus client's own handler), {@code /api/status} as JSON, and the live status page at {@code /}.
 *
 * <p>Every request runs on a virtual thread of its own, never on the engine thread: a figure comes from a
 * {@link StoreSnapshot} the engine thread makes when asked, so a slow or broken HTTP client costs the store's clients
 * nothing. Requests that take too long to arrive are closed by the JDK's server ({@code sun.net.httpserver.maxReqTime},
 * set here to {@value #MAX_REQUEST_SECONDS} s unless given), and it refuses oversized headers itself.
 */
final class StoreHttp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StoreHttp.class);
    /** How long a snapshot may take before a request is answered 503 (a stopped or stuck engine thread). */
    static final long SNAPSHOT_TIMEOUT_MILLIS = 5_000;
    static final int MAX_REQUEST_SECONDS = 30;
    static final int MAX_CONNECTIONS = 64;
    /** The page's files, from this package's resources. */
    private static final Map<String, String> FILES = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/status.js", "status.js",
            "/chart.umd.min.js", "chart.umd.min.js");

    private final HttpServer server;
    private final ExecutorService executor;
    private final SocketTransport transport;
    private final ObjectMapper json = new ObjectMapper();

    private StoreHttp(HttpServer server, ExecutorService executor, SocketTransport transport) {
        this.server = server;
        this.executor = executor;
        this.transport = transport;
    }

    /** Binds {@code address} and serves; the engine records request metrics in {@code registry} meanwhile. */
    static StoreHttp start(InetSocketAddress address, SocketTransport transport, PrometheusRegistry registry)
            throws IOException {
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", Integer.toString(MAX_REQUEST_SECONDS));
        System.getProperties().putIfAbsent("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new StoreStartException("cannot serve HTTP on " + address + ": " + e.getMessage()
                    + "; choose another --http port, or stop what uses it");
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        StoreHttp http = new StoreHttp(server, executor, transport);
        registry.register(new SnapshotCollector(http::snapshot));
        server.setExecutor(executor);
        server.createContext("/metrics", new MetricsHandler(registry));
        server.createContext("/api/status", http::status);
        server.createContext("/", http::file);
        server.start();
        InetSocketAddress bound = server.getAddress();
        if (!bound.getAddress().isLoopbackAddress()) {
            LOG.warn("serving metrics and the status page on {}, which is not a loopback address: anyone who can"
                    + " reach it sees the store's clients, objects and shelf keys. Give --http a loopback address,"
                    + " or put a firewall or an authenticating proxy in front", bound);
        }
        return http;
    }

    /** The address served (with the port chosen, if 0 was asked). */
    InetSocketAddress address() {
        return server.getAddress();
    }

    private StoreSnapshot snapshot() {
        try {
            return transport.snapshot().get(SNAPSHOT_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the engine thread did not answer within " + SNAPSHOT_TIMEOUT_MILLIS
                    + " ms (stopped or overloaded)");
        } catch (ExecutionException e) {
            throw new IllegalStateException("no snapshot: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a snapshot");
        }
    }

    private void status(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!readOnly(exchange)) {
                return;
            }
            byte[] body;
            try {
                body = json.writeValueAsBytes(snapshot());
            } catch (IllegalStateException e) {
                send(exchange, 503, "text/plain; charset=utf-8", e.getMessage().getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(exchange, 200, "application/json", body);
        }
    }

    private void file(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!readOnly(exchange)) {
                return;
            }
            String name = FILES.get(exchange.getRequestURI().getPath());
            if (name == null) {
                send(exchange, 404, "text/plain; charset=utf-8", ("no such page: " + exchange.getRequestURI().getPath()
                        + "; this port serves /, /metrics and /api/status\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            byte[] body;
            try (InputStream in = StoreHttp.class.getResourceAsStream("web/" + name)) {
                if (in == null) {
                    throw new UncheckedIOException(new IOException("resource web/" + name + " missing from the jar"));
                }
                body = in.readAllBytes();
            }
            String type = name.endsWith(".html") ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8";
            send(exchange, 200, type, body);
        }
    }

    /** Only GET and HEAD; anything else is answered 405. */
    private static boolean readOnly(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            return true;
        }
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        send(exchange, 405, "text/plain; charset=utf-8", "only GET and HEAD\n".getBytes(StandardCharsets.UTF_8));
        return false;
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
