package dev.quiver.flight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfKeyNotFoundException;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.store.IdleMode;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ServedTables}: a kept table is served again without a request to the store (counted by the store's own
 * metrics), never after its key changed, and let go when its key changes, when idle, or past the size limit; a call's
 * batches stay valid however the kept table goes. Time is a fake clock; sweeps are called by the test.
 */
class ServedTablesTest {
    private static final int ROWS = 1000;

    @TempDir
    Path dir;
    StoreServer store;
    QuiverClient client;
    BufferAllocator allocator;
    Shelf shelf;
    ServedTables tables;
    long now;

    @BeforeEach
    void start() throws Exception {
        store = StoreServer.start(new StoreConfig(64L << 20, dir.resolve("store.sock"), StoreConfig.DEFAULT_DIRECTORY,
                false, 0, IdleMode.BACKOFF, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        client = QuiverClient.connect(store.socket());
        allocator = new RootAllocator();
        shelf = Shelf.of(client, allocator);
        tables = keeping(16L << 20);
    }

    @AfterEach
    void stop() {
        tables.close();
        shelf.close();
        client.close();
        allocator.close();
        store.close();
    }

    private ServedTables keeping(long maxTotalBytes) {
        return new ServedTables(shelf, allocator, maxTotalBytes, () -> now);
    }

    /** A table of two batches whose ids start at {@code first}. */
    private void put(String key, long first) {
        try (VectorSchemaRoot a = Tables.batch(allocator, first, ROWS);
             VectorSchemaRoot b = Tables.batch(allocator, first + ROWS, ROWS)) {
            shelf.putBatches(key, Tables.SCHEMA, List.of(a, b), null, true);
        }
    }

    /** Opens the key through the tables and checks that its batches are the table put with {@code first}. */
    private List<ArrowRecordBatch> open(String key, long first) throws Exception {
        ServedTables.Opened opened = tables.open(key);
        assertThat(opened.reader()).as("kept, not read afresh").isNull();
        assertThat(opened.batches()).hasSize(2);
        try (VectorSchemaRoot root = VectorSchemaRoot.create(opened.schema(), allocator)) {
            for (int b = 0; b < 2; b++) {
                new VectorLoader(root).load(opened.batches().get(b));
                try (VectorSchemaRoot expected = Tables.batch(allocator, first + (long) b * ROWS, ROWS)) {
                    assertThat(root.equals(expected)).as("batch %s of %s", b, key).isTrue();
                }
            }
        }
        return opened.batches();
    }

    private static void close(List<ArrowRecordBatch> batches) {
        batches.forEach(ArrowRecordBatch::close);
    }

    private static long address(List<ArrowRecordBatch> batches) {
        return batches.getFirst().getBuffers().get(1).memoryAddress();
    }

    /** How many GET requests the store's engine has handled, from its Prometheus metrics. */
    private long getRequests() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(store.httpUrl() + "metrics")).build(), HttpResponse.BodyHandlers.ofString());
        return r.body().lines().filter(l -> l.startsWith("quiver_request_duration_seconds_count{op=\"get\"}"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private Optional<ObjectInfo> object(ObjectId id) {
        return client.list().stream().filter(o -> o.id().equals(id)).findFirst();
    }

    @Test
    void aKeptTableIsServedAgainWithoutAskingTheStore() throws Exception {
        put("prices", 0);
        List<ArrowRecordBatch> first = open("prices", 0);
        long gets = getRequests();
        assertThat(gets).as("the first open looked the key up").isPositive();
        List<ArrowRecordBatch> second = open("prices", 0);
        assertThat(getRequests()).as("no request for the second").isEqualTo(gets);
        assertThat(address(second)).as("the same bytes in the arena").isEqualTo(address(first));
        assertThat(tables.keys()).containsExactly("prices");
        close(first);
        close(second);
    }

    @Test
    void aReplacedOrDeletedKeyIsReadAgainAtOnceNeverServedStale() throws Exception {
        put("prices", 0);
        close(open("prices", 0));
        for (int version = 1; version <= 20; version++) {
            put("prices", version * 10_000L); // replaces: the kept version is now stale
            close(open("prices", version * 10_000L));
        }
        assertThat(shelf.delete("prices")).isTrue();
        assertThatThrownBy(() -> tables.open("prices")).isInstanceOf(ShelfKeyNotFoundException.class);
        assertThat(tables.keys()).isEmpty();
    }

    @Test
    void aSweepLetsGoOfDeletedAndIdleTablesAndTheStoreGetsTheirMemoryBack() throws Exception {
        put("gone", 0);
        put("idle", 0);
        ObjectId gone = shelf.entry("gone").orElseThrow().id();
        ObjectId idle = shelf.entry("idle").orElseThrow().id();
        close(open("gone", 0));
        close(open("idle", 0));
        assertThat(object(idle).orElseThrow().refCount()).as("kept: held").isEqualTo(1);
        assertThat(shelf.delete("gone")).isTrue();
        assertThat(object(gone)).as("deferred while kept").isPresent();

        tables.sweep();
        assertThat(tables.keys()).containsExactly("idle");
        assertThat(object(gone)).as("freed once let go").isEmpty();

        now += ServedTables.IDLE.toNanos();
        tables.sweep();
        assertThat(tables.keys()).as("served %s ago: not idle yet", ServedTables.IDLE).containsExactly("idle");
        now += 1;
        tables.sweep();
        assertThat(tables.keys()).isEmpty();
        assertThat(object(idle).orElseThrow().refCount()).as("idle: let go, and evictable again").isZero();
    }

    @Test
    void pastTheLimitTheLeastRecentlyServedGoFirstAndATableLargerThanItIsNotKept() throws Exception {
        List<String> keys = List.of("a", "b", "c", "d");
        for (String k : keys) {
            put(k, 0);
        }
        long bytes = shelf.entry("a").orElseThrow().bytes();
        tables.close();
        tables = keeping(3 * bytes);
        for (String k : List.of("a", "b", "c", "a", "d")) {
            close(open(k, 0));
        }
        assertThat(tables.keys()).as("b was served least recently").containsExactly("c", "a", "d");
        assertThat(object(shelf.entry("b").orElseThrow().id()).orElseThrow().refCount()).isZero();

        tables.close();
        tables = keeping(bytes / 2);
        ServedTables.Opened opened = tables.open("a");
        assertThat(opened.batches()).isNull();
        try (var reader = opened.reader()) {
            assertThat(reader.loadNextBatch()).isTrue();
        }
        assertThat(tables.keys()).isEmpty();
    }

    @Test
    void aCallsBatchesStayValidAfterTheKeptTableIsLetGo() throws Exception {
        put("prices", 0);
        ObjectId id = shelf.entry("prices").orElseThrow().id();
        List<ArrowRecordBatch> call = open("prices", 0);
        assertThat(shelf.delete("prices")).isTrue();
        tables.sweep(); // the kept table goes; the call still reads
        assertThat(tables.keys()).isEmpty();
        assertThat(object(id)).as("held by the call").isPresent();
        try (VectorSchemaRoot root = VectorSchemaRoot.create(Tables.SCHEMA, allocator);
             VectorSchemaRoot expected = Tables.batch(allocator, ROWS, ROWS)) {
            new VectorLoader(root).load(call.get(1));
            assertThat(root.equals(expected)).isTrue();
        }
        close(call);
        assertThat(object(id)).as("freed with the call's last batch").isEmpty();
    }
}
