package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Sizes;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics.Metric;
import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics.MetricFamily;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stream readers as an operator sees them: in {@code quiver streams} (text and JSON) and in the store's {@code /metrics}
 * (parsed with the Prometheus client's own protobuf classes). The writer and the readers are real child JVMs
 * (quiver-arrow's {@code StreamProducerChild} and {@code StreamConsumerChild}, the latter reading one event per
 * command), so the store and the CLI learn of them only through the store.
 */
class StreamReadersTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration HANG_GUARD = Duration.ofSeconds(120);
    private static final List<String> CHILD_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private StoreServer store;
    private QuiverClient client;
    private String socket;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<ChildJvm> children = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        store = StoreServer.start(StoreConfig.of(16 << 20, dir.resolve("store.sock"))
                .withHttp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        client = QuiverClient.connect(store.socket());
        socket = store.socket().toString();
    }

    @AfterEach
    void stop() {
        children.forEach(ChildJvm::close);
        client.close();
        store.close();
        http.close();
    }

    @Test
    void aReaderThatReadKOfNBatchesShowsLagNMinusKUntilItsProcessIsKilled() {
        assertTimeoutPreemptively(HANG_GUARD, () -> {
            int n = 10;
            int k = 3;
            ChildJvm producer = producer("all");
            send(producer, "open", "opened next=0");
            send(producer, "append " + n, "appended from=0 to=" + (n - 1));
            ChildJvm reader = consumer();
            for (int i = 0; i < k; i++) {
                send(reader, "next", "batch " + i + " ");
            }

            JsonNode ticks = streamsJson().get(0);
            assertThat(ticks.get("name").asText()).isEqualTo("ticks");
            assertThat(ticks.get("nextSeq").asLong()).isEqualTo(n);
            assertThat(ticks.get("readers")).hasSize(1);
            JsonNode r = ticks.get("readers").get(0);
            assertThat(r.get("pid").asLong()).isEqualTo(reader.pid());
            assertThat(r.get("nextSeq").asLong()).isEqualTo(k);
            assertThat(r.get("lagBatches").asLong()).isEqualTo(n - k);
            assertThat(r.get("lagBytes").asLong()).isPositive();
            assertThat(r.get("lostBatches").asLong()).isZero();
            String id = r.get("id").asText();

            Cli text = Cli.run("streams", "-s", socket);
            assertThat(text.exit()).as(text.err()).isZero();
            List<String> lines = text.out().lines().toList();
            int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("STREAM  READER")).findFirst()
                    .orElseThrow(() -> new AssertionError("no readers' table in:\n" + text.out())));
            assertThat(lines.get(header).split("\\s+")).containsExactly("STREAM", "READER", "PID", "AT", "LAG",
                    "BEHIND", "LOST");
            assertThat(lines.get(header + 1).split("\\s{2,}")).containsExactly("ticks", id,
                    String.valueOf(reader.pid()), String.valueOf(k), String.valueOf(n - k),
                    Sizes.format(r.get("lagBytes").asLong()), "0");
            assertThat(lines.getLast()).isEqualTo("1 stream, 1 reader");

            Map<String, MetricFamily> m = scrape();
            String[] labels = {"stream", "ticks", "reader", id, "pid", String.valueOf(reader.pid())};
            assertThat(value(m, "quiver_streams")).isEqualTo(1);
            assertThat(value(m, "quiver_stream_readers", "stream", "ticks")).isEqualTo(1);
            assertThat(value(m, "quiver_stream_writer_alive", "stream", "ticks")).isEqualTo(1);
            assertThat(value(m, "quiver_stream_next_seq", "stream", "ticks")).isEqualTo(n);
            assertThat(value(m, "quiver_stream_reader_lag_batches", labels)).isEqualTo(n - k);
            assertThat(value(m, "quiver_stream_reader_lag_bytes", labels)).as("the store and the Java client agree")
                    .isEqualTo(r.get("lagBytes").asLong());
            assertThat(value(m, "quiver_stream_reader_lost_batches_total", labels)).isZero();

            int clients = client.stats().clients();
            reader.kill(); // SIGKILL: the store seals its cursor at the disconnect
            awaitClients(clients - 1);
            Map<String, MetricFamily> after = scrape();
            assertThat(value(after, "quiver_stream_readers", "stream", "ticks")).isZero();
            assertThat(series(after, "quiver_stream_reader_lag_batches")).isEmpty();
            assertThat(streamsJson().get(0).get("readers")).isEmpty();
            assertThat(Cli.run("streams", "-s", socket).out().lines().toList().getLast()).isEqualTo("1 stream");

            send(producer, "end", "ended batches=" + n);
            assertThat(value(scrape(), "quiver_stream_writer_alive", "stream", "ticks")).isZero();
        });
    }

    @Test
    void aLappedReadersLossesAreCounted() {
        assertTimeoutPreemptively(HANG_GUARD, () -> {
            ChildJvm producer = producer("5");
            send(producer, "open", "opened next=0");
            send(producer, "append 3", "appended from=0 to=2");
            ChildJvm reader = consumer();
            send(reader, "next", "batch 0 ");
            send(reader, "next", "batch 1 "); // and holds it
            send(producer, "append 20", "appended from=3 to=22"); // retention keeps 18..22
            send(reader, "next", "lost 2 18");

            JsonNode r = streamsJson().get(0).get("readers").get(0);
            assertThat(r.get("lostBatches").asLong()).isEqualTo(16);
            assertThat(r.get("losses").asLong()).isEqualTo(1);
            String[] labels = {"stream", "ticks", "reader", r.get("id").asText(), "pid", String.valueOf(reader.pid())};
            Map<String, MetricFamily> m = scrape();
            assertThat(value(m, "quiver_stream_reader_lost_batches_total", labels)).isEqualTo(16);
            assertThat(value(m, "quiver_stream_reader_losses_total", labels)).isEqualTo(1);
            assertThat(value(m, "quiver_stream_reader_lag_batches", labels)).isEqualTo(5);
        });
    }

    @Test
    void objectsThatOnlyLookLikeAStreamsAreNotReadersAndChangeNothing() throws Exception {
        // Published objects with a stream's metadata but bytes of no log: too small, and the wrong magic.
        byte[] prefix = Arrays.copyOf(MessageDigest.getInstance("SHA-1")
                .digest("quiver.stream-cursor/ticks".getBytes(StandardCharsets.UTF_8)), 12);
        byte[] id = Arrays.copyOf(prefix, ObjectId.SIZE);
        id[ObjectId.SIZE - 1] = 7;
        try (WritableObject small = client.create(ObjectId.of(id), 16, metadata("stream-cursor"));
             WritableObject wrong = client.create(ObjectId.random(), 4096, metadata("stream-cursor"));
             WritableObject segment = client.create(ObjectId.random(), 4096, metadata("stream-log"))) {
            for (WritableObject o : List.of(small, wrong, segment)) {
                o.data().fill((byte) 0x5A);
                o.publish();
            }
            long objects = client.stats().objects();
            Map<String, MetricFamily> m = scrape();
            assertThat(value(m, "quiver_streams")).as("named by metadata, but no segment of the format").isEqualTo(1);
            assertThat(value(m, "quiver_stream_readers", "stream", "ticks")).isZero();
            assertThat(value(m, "quiver_stream_segments", "stream", "ticks")).isZero();
            assertThat(series(m, "quiver_stream_next_seq")).isEmpty();
            JsonNode status = JSON.readTree(get("api/status"));
            assertThat(status.get("streams").get(0).get("readers")).isEmpty();
            assertThat(client.stats().objects()).as("nothing deleted").isEqualTo(objects);
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static MemorySegment metadata(String type) {
        return MemorySegment.ofArray(("application/vnd.quiver." + type + "; stream=\"ticks\"")
                .getBytes(StandardCharsets.US_ASCII));
    }

    private ChildJvm producer(String retention) {
        ChildJvm p = ChildJvm.start("dev.quiver.arrow.StreamProducerChild", CHILD_JVM, socket, "ticks", retention);
        children.add(p);
        p.expect("ready", WAIT);
        return p;
    }

    private ChildJvm consumer() {
        ChildJvm c = ChildJvm.start("dev.quiver.arrow.StreamConsumerChild", CHILD_JVM, socket, "ticks",
                "start=earliest", "mode=step");
        children.add(c);
        c.expect("ready", WAIT);
        return c;
    }

    private static void send(ChildJvm c, String command, String answer) {
        c.send(command);
        assertThat(c.readLine(WAIT)).as("answer to " + command).startsWith(answer);
    }

    private JsonNode streamsJson() throws IOException {
        Cli r = Cli.run("streams", "-s", socket, "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        return JSON.readTree(r.out());
    }

    private void awaitClients(int n) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (client.stats().clients() != n) {
            assertThat(System.nanoTime()).as(n + " clients within " + WAIT).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    private String get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(store.httpUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private Map<String, MetricFamily> scrape() throws Exception {
        return Scrapes.scrape(http, store.httpUrl());
    }

    /** The series of a family; none if the family is not exposed (a family without series is left out). */
    private static List<Metric> series(Map<String, MetricFamily> scrape, String name) {
        MetricFamily f = scrape.get(name);
        return f == null ? List.of() : f.getMetricList();
    }

    /** The value of the one series of {@code name} with these labels (a gauge's or a counter's). */
    private static double value(Map<String, MetricFamily> scrape, String name, String... labels) {
        assertThat(scrape).as(name).containsKey(name);
        Metric m = Scrapes.metric(scrape, name, labels);
        assertThat(m).as("a series " + name + " " + List.of(labels) + " in " + scrape.get(name)).isNotNull();
        return m.hasCounter() ? m.getCounter().getValue() : m.getGauge().getValue();
    }
}
