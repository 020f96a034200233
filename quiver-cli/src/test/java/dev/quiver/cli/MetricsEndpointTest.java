package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.ObjectExistsException;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.StoreStats;
import dev.quiver.client.WritableObject;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics.Metric;
import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics.MetricFamily;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quiver store --http}: {@code /metrics} scraped from a live store and parsed with the Prometheus client's own
 * protobuf classes, compared with {@code client.stats()} and with what a known sequence of requests did; bad HTTP
 * requests that must not disturb the store's clients.
 */
class MetricsEndpointTest {
    private static final long MIB = 1 << 20;
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private StoreServer store;
    private QuiverClient client;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws IOException {
        store = StoreServer.start(StoreConfig.of(4 * MIB, dir.resolve("store.sock"))
                .withHttp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        client = QuiverClient.connect(store.socket());
    }

    @AfterEach
    void stop() {
        client.close();
        store.close();
        http.close();
    }

    private Map<String, MetricFamily> scrape() throws Exception {
        return Scrapes.scrape(http, store.httpUrl());
    }

    private static double gauge(Map<String, MetricFamily> s, String name, String... labels) {
        Metric m = Scrapes.metric(s, name, labels);
        assertThat(m).as("gauge %s %s in %s", name, List.of(labels), s.keySet()).isNotNull();
        return m.getGauge().getValue();
    }

    private static double counter(Map<String, MetricFamily> s, String name, String... labels) {
        Metric m = Scrapes.metric(s, name, labels);
        return m == null ? 0 : m.getCounter().getValue();
    }

    private static long requests(Map<String, MetricFamily> s, String op) {
        Metric m = Scrapes.metric(s, "quiver_request_duration_seconds", "op", op);
        assertThat(m).as("the histogram of op %s", op).isNotNull();
        return m.getHistogram().getSampleCount();
    }

    private static void assertAgrees(Map<String, MetricFamily> s, StoreStats stats) {
        assertThat(gauge(s, "quiver_arena_capacity_bytes")).isEqualTo(stats.capacity());
        assertThat(gauge(s, "quiver_arena_used_bytes")).isEqualTo(stats.used());
        assertThat(gauge(s, "quiver_arena_pinned_bytes")).isEqualTo(stats.pinned());
        assertThat(gauge(s, "quiver_arena_evictable_bytes")).isEqualTo(stats.evictable());
        assertThat(gauge(s, "quiver_arena_free_bytes")).isEqualTo(stats.capacity() - stats.used());
        assertThat(gauge(s, "quiver_objects", "state", "being_written")
                + gauge(s, "quiver_objects", "state", "sealed")
                + gauge(s, "quiver_objects", "state", "deleted_referenced")).isEqualTo(stats.objects());
        assertThat(gauge(s, "quiver_clients")).isEqualTo(stats.clients());
        assertThat(counter(s, "quiver_evictions_total")).isEqualTo(stats.evictedObjects());
        assertThat(counter(s, "quiver_evicted_bytes_total")).isEqualTo(stats.evictedBytes());
    }

    @Test
    void aScrapeAgreesWithStatsAndCountersMoveByExactlyWhatWasDone() throws Exception {
        Map<String, MetricFamily> before = scrape();
        assertAgrees(before, client.stats());

        // Fill the 4 MiB store with four 1 MiB objects: one held (pinned), one still being written, two evictable.
        List<ObjectId> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(ObjectId.random());
        }
        for (int i = 0; i < 3; i++) {
            try (WritableObject o = client.create(ids.get(i), MIB)) {
                o.seal();
            }
        }
        WritableObject writing = client.create(ids.get(3), MIB);
        ObjectBuffer held = client.get(ids.get(0), 0).orElseThrow();
        assertThat(client.contains(ids.get(1))).isTrue();
        assertThat(client.contains(ObjectId.random())).isFalse();
        try {
            client.create(ids.get(1), 10);
            throw new AssertionError("a second create of one id must fail");
        } catch (ObjectExistsException expected) {
            // counted as an error of op create
        }
        client.flush();
        Map<String, MetricFamily> full = scrape();
        StoreStats fullStats = client.stats();
        assertAgrees(full, fullStats);
        assertThat(gauge(full, "quiver_arena_used_bytes")).isEqualTo(4 * MIB);
        assertThat(gauge(full, "quiver_arena_pinned_bytes")).isEqualTo(2 * MIB);
        assertThat(gauge(full, "quiver_objects", "state", "being_written")).isEqualTo(1);
        assertThat(gauge(full, "quiver_objects", "state", "sealed")).isEqualTo(3);

        // A fifth object needs room: the least recently released evictable object goes.
        try (WritableObject o = client.create(ObjectId.random(), MIB)) {
            o.seal();
        }
        client.flush();
        Map<String, MetricFamily> after = scrape();
        assertAgrees(after, client.stats());

        assertThat(requests(after, "create") - requests(before, "create")).isEqualTo(6); // 5 made, 1 refused
        assertThat(requests(after, "seal") - requests(before, "seal")).isEqualTo(4);
        assertThat(requests(after, "get") - requests(before, "get")).isEqualTo(1);
        assertThat(requests(after, "contains") - requests(before, "contains")).isEqualTo(2);
        assertThat(requests(after, "stats") - requests(before, "stats")).isEqualTo(2);
        assertThat(counter(after, "quiver_request_errors_total", "op", "create", "status", "object_exists")
                - counter(before, "quiver_request_errors_total", "op", "create", "status", "object_exists"))
                .isEqualTo(1);
        assertThat(counter(after, "quiver_evictions_total") - counter(before, "quiver_evictions_total")).isEqualTo(1);
        assertThat(counter(after, "quiver_evicted_bytes_total") - counter(before, "quiver_evicted_bytes_total"))
                .isEqualTo(MIB);
        held.close();
        writing.abort();
    }

    @Test
    void theTextFormatNamesEveryFamilyWithItsType() throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(store.httpUrl() + "metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String line : List.of("# TYPE quiver_arena_used_bytes gauge", "# TYPE quiver_evictions_total counter",
                "# TYPE quiver_request_duration_seconds histogram", "# TYPE quiver_engine_busy_seconds_total counter",
                "# TYPE quiver_shelf_keys gauge", "# TYPE quiver_waiting_gets gauge")) {
            assertThat(text).contains(line);
        }
    }

    @Test
    void unknownPathsAre404AndOtherMethods405() throws Exception {
        HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(store.httpUrl() + "no/such"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("this port serves /, /metrics and /api/status");
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(store.httpUrl() + "api/status"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(client.stats().clients()).isEqualTo(1);
    }

    @Test
    void hugeHeadersAreRefusedAndTheStoreServesOn() throws Exception {
        assertTimeoutPreemptively(HANG_GUARD, () -> {
            InetSocketAddress a = store.httpAddress();
            try (Socket s = new Socket(a.getAddress(), a.getPort())) {
                OutputStream out = s.getOutputStream();
                out.write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                String big = "X-Big: " + "a".repeat(64 * 1024) + "\r\n";
                try {
                    for (int i = 0; i < 64; i++) { // 4 MiB of headers
                        out.write(big.getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    String answer = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                    assertThat(answer).as("the server's answer to 4 MiB of headers").doesNotContain(" 200");
                } catch (IOException closedOnUs) {
                    // the server closed the connection: refused too
                }
            }
            assertServing();
        });
    }

    @Test
    void slowClientsThatNeverFinishTheirRequestDelayNobody() throws Exception {
        assertTimeoutPreemptively(HANG_GUARD, () -> {
            InetSocketAddress a = store.httpAddress();
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    Socket s = new Socket(a.getAddress(), a.getPort());
                    s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(
                            StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    slow.add(s);
                }
                assertServing();
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
        });
    }

    /** The store's client is answered, and a scrape and the page still work. */
    private void assertServing() throws Exception {
        ObjectId id = ObjectId.random();
        try (WritableObject o = client.create(id, 100)) {
            o.seal();
        }
        assertThat(client.contains(id)).isTrue();
        assertAgrees(scrape(), client.stats());
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(store.httpUrl())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<title>Quiver store</title>");
    }

    @Test
    void aNonLoopbackAddressIsServedWithAWarningAndABadOneIsAUsageError() throws Exception {
        Path socket = dir.resolve("wide.sock");
        try (ChildJvm wide = ChildJvm.start(QuiverCommand.class.getName(), List.of(), "store", "-m", "4m", "-s",
                socket.toString(), "--http", "0.0.0.0:0")) {
            String line = wide.expect("quiver store: status page", HANG_GUARD);
            assertThat(line).contains("http://0.0.0.0:");
            assertThat(wide.log()).contains("which is not a loopback address");
        }
        Cli bad = Cli.run("store", "-m", "4m", "-s", dir.resolve("bad.sock").toString(), "--http", "localhost:99999");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--http localhost:99999: expected [HOST:]PORT with a port from 0 to 65535");
        assertThat(dir.resolve("bad.sock")).doesNotExist();
    }

    @Test
    void withoutHttpTheStoreServesNoPort() {
        try (StoreServer plain = StoreServer.start(StoreConfig.of(MIB, dir.resolve("plain.sock")))) {
            assertThat(plain.httpAddress()).isNull();
            assertThat(plain.httpUrl()).isNull();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
