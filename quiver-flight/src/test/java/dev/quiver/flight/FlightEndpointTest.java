package dev.quiver.flight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.StoredTable;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.arrow.Streams;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.embedded.EmbeddedStore;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.AsyncPutListener;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.table.Table;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A Java FlightClient against a real store with its Flight endpoint: what it serves, and what it refuses. */
class FlightEndpointTest {
    private static final Duration GUARD = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static EmbeddedStore store;
    private static QuiverFlightServer flight;
    private BufferAllocator allocator;
    private QuiverClient local;
    private Shelf shelf;
    private FlightClient remote;

    @BeforeAll
    static void startStore() throws Exception {
        store = EmbeddedStore.start(128L << 20);
        flight = QuiverFlightServer.start(store.socket(), FlightSettings.loopback(0));
    }

    @AfterAll
    static void stopStore() {
        flight.close();
        store.close();
    }

    @BeforeEach
    void connect() {
        allocator = new RootAllocator();
        local = store.connect();
        shelf = Shelf.of(local, allocator);
        shelf.deleteAll();
        remote = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", flight.port())).build();
    }

    @AfterEach
    void disconnect() throws Exception {
        remote.close();
        shelf.close();
        local.close();
        allocator.close();
    }

    /** A table of {@code batches} batches of {@code rows} rows, put on the local shelf under {@code key}. */
    private void putLocal(String key, int batches, int rows) {
        List<VectorSchemaRoot> roots = new ArrayList<>();
        try {
            for (int b = 0; b < batches; b++) {
                roots.add(Tables.batch(allocator, (long) b * rows, rows));
            }
            shelf.putBatches(key, Tables.SCHEMA, roots, null, true);
        } finally {
            roots.forEach(VectorSchemaRoot::close);
        }
    }

    @Test
    void listsShelfTablesAndStreamsWithSchemaRowsAndBytes() throws Exception {
        putLocal("prices", 2, 1000);
        try (StreamWriter w = StreamWriter.open(new ArrowStore(local, allocator), "ticks", Retention.ALL);
             VectorSchemaRoot b = Tables.batch(allocator, 0, 10)) {
            w.append(b);
            w.append(b);
            List<FlightInfo> infos = new ArrayList<>();
            remote.listFlights(Criteria.ALL).forEach(infos::add);

            FlightInfo prices = infos.stream().filter(i -> i.getDescriptor().equals(FlightNames.shelf("prices")))
                    .findFirst().orElseThrow();
            assertThat(prices.getSchema()).isEqualTo(Tables.SCHEMA);
            assertThat(prices.getRecords()).isEqualTo(2000);
            assertThat(prices.getBytes()).isEqualTo(shelf.entry("prices").orElseThrow().bytes());

            FlightInfo ticks = infos.stream().filter(i -> i.getDescriptor().equals(FlightNames.stream("ticks")))
                    .findFirst().orElseThrow();
            assertThat(ticks.getSchema()).isEqualTo(Tables.SCHEMA);
            assertThat(ticks.getBytes()).isEqualTo(Streams.info(local, "ticks").orElseThrow().bytes()).isPositive();
            assertThat(infos).hasSize(2);

            assertThat(remote.getInfo(FlightNames.shelf("prices")).getRecords()).isEqualTo(2000);
            assertThat(remote.getInfo(FlightNames.stream("ticks")).getDescriptor())
                    .isEqualTo(FlightNames.stream("ticks"));
        } finally {
            deleteStream("ticks");
        }
    }

    @Test
    void listFlightsCriteriaSelectByKindAndNamePrefix() throws Exception {
        putLocal("prices-eu", 1, 10);
        putLocal("prices-us", 1, 10);
        putLocal("orders", 1, 10);
        try (StreamWriter w = StreamWriter.open(new ArrowStore(local, allocator), "prices-live", Retention.ALL);
             VectorSchemaRoot b = Tables.batch(allocator, 0, 10)) {
            w.append(b);
            assertThat(listed(Criteria.ALL)).containsExactlyInAnyOrder("shelf/prices-eu", "shelf/prices-us",
                    "shelf/orders", "stream/prices-live");
            assertThat(listed(criteria("{}"))).hasSize(4);
            assertThat(listed(criteria("{\"prefix\": \"prices-\"}"))).containsExactlyInAnyOrder("shelf/prices-eu",
                    "shelf/prices-us", "stream/prices-live");
            assertThat(listed(criteria("{\"kind\": \"shelf\"}"))).containsExactlyInAnyOrder("shelf/prices-eu",
                    "shelf/prices-us", "shelf/orders");
            assertThat(listed(FlightNames.listCriteria("stream", "prices-"))).containsExactly("stream/prices-live");
            assertThat(listed(FlightNames.listCriteria(null, "nothing-"))).isEmpty();

            // criteria that are not understood are refused, not taken for "everything"
            for (String bad : List.of("prices-", "{\"kind\": \"table\"}", "{\"prefix\": 3}",
                    "{\"name\": \"prices\"}")) {
                assertThatThrownBy(() -> listed(criteria(bad))).as(bad)
                        .isInstanceOfSatisfying(FlightRuntimeException.class,
                                e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.INVALID_ARGUMENT))
                        .hasMessageContaining("{\"kind\": \"shelf\"");
            }
        } finally {
            deleteStream("prices-live");
        }
    }

    private static Criteria criteria(String json) {
        return new Criteria(json.getBytes(StandardCharsets.UTF_8));
    }

    /** What ListFlights lists, as "shelf/KEY" and "stream/NAME". */
    private List<String> listed(Criteria criteria) {
        List<String> names = new ArrayList<>();
        remote.listFlights(criteria).forEach(i -> names.add(String.join("/", i.getDescriptor().getPath())));
        return names;
    }

    @Test
    void getsATableEqualToTheSource() throws Exception {
        putLocal("prices", 3, 5000);
        FlightInfo info = remote.getInfo(FlightNames.shelf("prices"));
        try (FlightStream s = remote.getStream(info.getEndpoints().getFirst().getTicket())) {
            int batches = 0;
            while (s.next()) {
                try (VectorSchemaRoot expected = Tables.batch(allocator, (long) batches * 5000, 5000)) {
                    assertThat(s.getRoot().equals(expected)).as("batch %d", batches).isTrue();
                }
                batches++;
            }
            assertThat(batches).isEqualTo(3);
        }
    }

    @Test
    void getsAnObjectHoldingAnArrowIpcStreamByItsId() throws Exception {
        ObjectId id = ObjectId.random();
        List<VectorSchemaRoot> roots = new ArrayList<>();
        try {
            for (int b = 0; b < 3; b++) {
                roots.add(Tables.batch(allocator, b * 4000L, 4000));
            }
            new ArrowStore(local, allocator).write(id, Tables.SCHEMA, roots, null);
        } finally {
            roots.forEach(VectorSchemaRoot::close);
        }
        assertTimeoutPreemptively(GUARD, () -> {
            try (FlightStream s = remote.getStream(FlightNames.objectTicket(id))) {
                assertThat(s.getSchema()).isEqualTo(Tables.SCHEMA);
                int batches = 0;
                while (s.next()) {
                    try (VectorSchemaRoot expected = Tables.batch(allocator, batches * 4000L, 4000)) {
                        assertThat(s.getRoot().equals(expected)).as("batch %d", batches).isTrue();
                    }
                    batches++;
                }
                assertThat(batches).isEqualTo(3);
            }
            // the same object by a hand-written ticket, its id in capitals
            try (FlightStream s = remote.getStream(new Ticket(("{\"object\": \"" + id.toString().toUpperCase(Locale.ROOT)
                    + "\"}").getBytes(StandardCharsets.UTF_8)))) {
                long rows = 0;
                while (s.next()) {
                    rows += s.getRoot().getRowCount();
                }
                assertThat(rows).isEqualTo(12_000);
            }
            while (!referenced().isEmpty()) {
                Thread.onSpinWait(); // the endpoint lets the object go once gRPC has written its last buffer
            }
        });
        assertThat(local.contains(id)).isTrue();
        local.delete(id);
    }

    @Test
    void badUnknownUnsealedAndNonArrowObjectsAreRefusedAndLeftAsTheyWere() throws Exception {
        // not an id
        assertThatThrownBy(() -> drain(remote.getStream(ticket("{\"object\": \"xyz\"}"))))
                .isInstanceOfSatisfying(FlightRuntimeException.class,
                        e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.INVALID_ARGUMENT))
                .hasMessageContaining("40 hex digits");
        assertThat(statusOf(() -> drain(remote.getStream(ticket("{\"object\": 7}")))))
                .isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
        assertThat(statusOf(() -> drain(remote.getStream(ticket("{\"object\": \"" + ObjectId.random()
                + "\", \"shelf\": \"prices\"}"))))).isEqualTo(FlightStatusCode.INVALID_ARGUMENT);

        // an id the store does not have
        ObjectId unknown = ObjectId.random();
        assertThatThrownBy(() -> drain(remote.getStream(FlightNames.objectTicket(unknown))))
                .isInstanceOfSatisfying(FlightRuntimeException.class,
                        e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.NOT_FOUND))
                .hasMessageContaining("no sealed object " + unknown);

        // an object still being written
        ObjectId unsealed = ObjectId.random();
        try (WritableObject w = local.create(unsealed, 64)) {
            assertThat(statusOf(() -> drain(remote.getStream(FlightNames.objectTicket(unsealed)))))
                    .isEqualTo(FlightStatusCode.NOT_FOUND);
            w.abort();
        }

        // an object whose bytes are not an Arrow IPC stream: refused, the object as it was, nothing held
        ObjectId raw = ObjectId.random();
        byte[] text = "plain bytes, not an Arrow IPC stream".getBytes(StandardCharsets.UTF_8);
        try (WritableObject w = local.create(raw, text.length)) {
            w.data().copyFrom(MemorySegment.ofArray(text));
            w.seal();
        }
        assertTimeoutPreemptively(GUARD, () -> {
            assertThatThrownBy(() -> drain(remote.getStream(FlightNames.objectTicket(raw))))
                    .isInstanceOfSatisfying(FlightRuntimeException.class,
                            e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.INVALID_ARGUMENT));
            while (!referenced().isEmpty()) {
                Thread.onSpinWait(); // the endpoint's reference goes with the failed call
            }
        });
        try (ObjectBuffer b = local.get(raw, QuiverClient.NO_WAIT).orElseThrow()) {
            assertThat(b.data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(text);
        }
        local.delete(raw);
    }

    private static Ticket ticket(String json) {
        return new Ticket(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aPutTableIsSeenZeroCopyByALocalReaderUnderItsKey() throws Exception {
        putLocal("uploaded", 1, 10); // replaced by the put
        try (VectorSchemaRoot root = VectorSchemaRoot.create(Tables.SCHEMA, allocator)) {
            FlightClient.ClientStreamListener put = remote.startPut(FlightNames.shelf("uploaded"), root,
                    new AsyncPutListener());
            for (int b = 0; b < 4; b++) {
                Tables.fill(root, b * 2500L, 2500);
                put.putNext();
            }
            put.completed();
            put.getResult();
        }
        try (StoredTable t = shelf.getArrow("uploaded"); ObjectBuffer object = shelf.object("uploaded")) {
            assertThat(t.rowCount()).isEqualTo(10_000);
            assertThat(t.batches()).hasSize(4);
            for (int b = 0; b < 4; b++) {
                try (VectorSchemaRoot expected = Tables.batch(allocator, b * 2500L, 2500)) {
                    assertThat(t.batches().get(b).equals(expected)).isTrue();
                }
            }
            // zero-copy: the local reader's vectors lie inside the store object of the key
            MemorySegment data = object.data();
            long address = t.batches().getFirst().getVector("id").getDataBuffer().memoryAddress();
            assertThat(address).isBetween(data.address(), data.address() + data.byteSize());
        }
    }

    @Test
    void followsALiveStreamEveryBatchInOrderThenTheEnd() throws Exception {
        int total = 40;
        try (StreamWriter w = StreamWriter.open(new ArrowStore(local, allocator), "live", Retention.ALL)) {
            BlockingQueue<Long> received = new LinkedBlockingQueue<>();
            CompletableFuture<List<Long>> follower = CompletableFuture.supplyAsync(() -> {
                List<Long> seqs = new ArrayList<>();
                try (FlightStream s = remote.getStream(FlightNames.streamTicket("live", "earliest"))) {
                    while (s.next()) {
                        long seq = metadata(s.getLatestMetadata()).get("seq").asLong();
                        assertThat(Tables.firstId(s.getRoot())).isEqualTo(seq * 100);
                        assertThat(s.getRoot().getRowCount()).isEqualTo(100);
                        seqs.add(seq);
                        received.add(seq);
                    }
                } catch (Throwable e) {
                    received.add(-1L); // the test thread waits for the first batch: wake it
                    throw new RuntimeException(e);
                }
                return seqs;
            });
            assertTimeoutPreemptively(GUARD, () -> {
                for (int i = 0; i < total; i++) {
                    try (VectorSchemaRoot b = Tables.batch(allocator, i * 100L, 100)) {
                        w.append(b);
                    }
                    if (i == 0 && received.take() != 0) { // the follower is live before the rest is written
                        follower.join(); // throws what the follower met
                    }
                }
                w.end();
                List<Long> seqs = follower.get();
                List<Long> expected = new ArrayList<>();
                for (long i = 0; i < total; i++) {
                    expected.add(i);
                }
                assertThat(seqs).isEqualTo(expected);
            });
        } finally {
            deleteStream("live");
        }
    }

    @Test
    void batchesLostToRetentionAreReportedInTheNextBatchsMetadata() throws Exception {
        try (StreamWriter w = StreamWriter.open(new ArrowStore(local, allocator), "short", Retention.batches(2))) {
            for (int i = 0; i < 30; i++) {
                try (VectorSchemaRoot b = Tables.batch(allocator, i * 20_000L, 20_000)) {
                    w.append(b);
                }
            }
            w.end();
            long firstKept = Streams.info(local, "short").orElseThrow().firstSeq();
            assertThat(firstKept).as("retention dropped batches").isPositive();
            try (FlightStream s = remote.getStream(FlightNames.streamTicket("short", "0"))) {
                assertThat(s.next()).isTrue();
                JsonNode first = metadata(s.getLatestMetadata());
                assertThat(first.get("seq").asLong()).isEqualTo(firstKept);
                assertThat(first.get("lostFrom").asLong()).isZero();
                assertThat(first.get("lostTo").asLong()).isEqualTo(firstKept);
                long expected = firstKept + 1;
                while (s.next()) {
                    JsonNode m = metadata(s.getLatestMetadata());
                    assertThat(m.get("seq").asLong()).isEqualTo(expected++);
                    assertThat(m.has("lostFrom")).isFalse();
                }
                assertThat(expected).isEqualTo(30);
            }
        } finally {
            deleteStream("short");
        }
    }

    @Test
    void actionsDeleteAKeyAndDescribeTheStore() {
        putLocal("doomed", 1, 10);
        JsonNode deleted = action("delete", "doomed");
        assertThat(deleted.get("deleted").asBoolean()).isTrue();
        assertThat(shelf.contains("doomed")).isFalse();
        assertThat(action("delete", "doomed").get("deleted").asBoolean()).isFalse();

        JsonNode d = action("describe", "");
        assertThat(d.get("capacity").asLong()).isEqualTo(store.capacity());
        assertThat(d.get("shelfTables").asInt()).isZero();

        assertThat(statusOf(() -> action("format-disk", ""))).isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
    }

    // ------------------------------------------------------------------------------------------ bad input

    @Test
    void unknownTicketsAndMalformedDescriptorsGetClearStatuses() {
        assertThat(statusOf(() -> drain(remote.getStream(new Ticket("nonsense".getBytes(StandardCharsets.UTF_8))))))
                .isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
        assertThat(statusOf(() -> drain(remote.getStream(new Ticket("{\"shelf\": 3}".getBytes(StandardCharsets.UTF_8))))))
                .isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
        assertThat(statusOf(() -> drain(remote.getStream(FlightNames.shelfTicket("missing")))))
                .isEqualTo(FlightStatusCode.NOT_FOUND);
        assertThat(statusOf(() -> drain(remote.getStream(FlightNames.streamTicket("no-such-stream", "earliest")))))
                .isEqualTo(FlightStatusCode.NOT_FOUND);
        assertThat(statusOf(() -> remote.getInfo(FlightDescriptor.path("tables", "x"))))
                .isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
        assertThat(statusOf(() -> remote.getInfo(FlightDescriptor.command("SELECT 1".getBytes(StandardCharsets.UTF_8)))))
                .isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
        assertThat(statusOf(() -> remote.getInfo(FlightDescriptor.path("shelf", "prices", "now"))))
                .isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
        assertThat(statusOf(() -> remote.getInfo(FlightNames.shelf("missing")))).isEqualTo(FlightStatusCode.NOT_FOUND);
        assertThatThrownBy(() -> remote.getInfo(FlightDescriptor.path("tables", "x")))
                .hasMessageContaining("[\"shelf\", KEY]");
    }

    @Test
    void aSchemaChangeInTheMiddleOfAPutLeavesTheShelfAsItWas() throws Exception {
        putLocal("kept", 1, 100);
        long version = shelf.entry("kept").orElseThrow().version();
        for (String key : List.of("kept", "fresh")) {
            try (VectorSchemaRoot root = Tables.batch(allocator, 0, 50);
                 VectorSchemaRoot other = VectorSchemaRoot.create(Tables.OTHER, allocator)) {
                FlightClient.ClientStreamListener put = remote.startPut(FlightNames.shelf(key), root,
                        new AsyncPutListener());
                put.putNext();
                other.allocateNew();
                other.setRowCount(0);
                put.start(other, null); // a second schema message in the same put
                put.putNext();
                put.completed();
                assertThat(statusOf(put::getResult)).isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
            }
        }
        assertThat(shelf.entry("kept").orElseThrow().version()).isEqualTo(version);
        assertThat(shelf.entry("kept").orElseThrow().rows()).isEqualTo(100);
        assertThat(shelf.contains("fresh")).isFalse();
        assertThat(local.list().stream().filter(o -> o.state() != dev.quiver.protocol.ObjectState.SEALED)).isEmpty();
    }

    @Test
    void aClientThatFailsInTheMiddleOfAPutLeavesNothingOnTheShelf() throws Exception {
        try (VectorSchemaRoot root = Tables.batch(allocator, 0, 50)) {
            FlightClient.ClientStreamListener put = remote.startPut(FlightNames.shelf("half"), root,
                    new AsyncPutListener());
            put.putNext();
            put.error(CallStatus.CANCELLED.withDescription("the client gave up").toRuntimeException());
            assertThat(statusOf(put::getResult)).isEqualTo(FlightStatusCode.CANCELLED);
        }
        // the endpoint still serves, and nothing of the failed put is there
        putRemote("whole", 2);
        assertThat(shelf.listKeys()).containsExactly("whole");
    }

    @Test
    void aPutThatCreatesRefusesATakenKey() throws Exception {
        putLocal("taken", 1, 10);
        try (VectorSchemaRoot root = Tables.batch(allocator, 0, 5)) {
            FlightClient.ClientStreamListener put = remote.startPut(
                    FlightDescriptor.path("shelf", "taken", "create"), root, new AsyncPutListener());
            put.putNext();
            put.completed();
            assertThat(statusOf(put::getResult)).isEqualTo(FlightStatusCode.ALREADY_EXISTS);
        }
        assertThat(shelf.entry("taken").orElseThrow().rows()).isEqualTo(10);
    }

    @Test
    void aPutLargerThanTheStoreOrItsFreeMemoryIsRefusedWithResourceExhausted() throws Exception {
        try (EmbeddedStore small = EmbeddedStore.start(16L << 20);
             QuiverFlightServer smallFlight = QuiverFlightServer.start(small.socket(), FlightSettings.loopback(0));
             FlightClient c = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1",
                     smallFlight.port())).build();
             QuiverClient smallLocal = small.connect();
             Shelf smallShelf = Shelf.of(smallLocal, allocator)) {
            // larger than the whole store
            FlightRuntimeException tooLarge = putExpectingFailure(c, "huge", 20, 100_000); // ~20 x 1.6 MB
            assertThat(tooLarge.status().code()).isEqualTo(FlightStatusCode.RESOURCE_EXHAUSTED);
            assertThat(tooLarge.getMessage()).contains("larger than the whole store");

            // fits in the store, not in what a pinned table leaves free
            List<VectorSchemaRoot> roots = List.of(Tables.batch(allocator, 0, 500_000));
            smallShelf.putBatches("pinned", Tables.SCHEMA, roots, null, false);
            roots.forEach(VectorSchemaRoot::close);
            try (StoredTable held = smallShelf.getArrow("pinned")) {
                FlightRuntimeException noRoom = putExpectingFailure(c, "big", 4, 100_000);
                assertThat(noRoom.status().code()).isEqualTo(FlightStatusCode.RESOURCE_EXHAUSTED);
                assertThat(held.rowCount()).isEqualTo(500_000);
            }
            assertThat(smallShelf.listKeys()).containsExactly("pinned");
            assertThat(smallLocal.list().stream().filter(o -> o.state() != dev.quiver.protocol.ObjectState.SEALED))
                    .isEmpty();
        }
    }

    @Test
    void aSecondStreamWriterIsRefusedWhileTheFirstHoldsTheStream() throws Exception {
        try (StreamWriter w = StreamWriter.open(new ArrowStore(local, allocator), "owned", Retention.ALL);
             VectorSchemaRoot root = Tables.batch(allocator, 0, 5)) {
            FlightClient.ClientStreamListener put = remote.startPut(FlightNames.stream("owned"), root,
                    new AsyncPutListener());
            put.putNext();
            put.completed();
            FlightRuntimeException e = (FlightRuntimeException) catchThrowable(put::getResult);
            assertThat(e.status().code()).isEqualTo(FlightStatusCode.UNAVAILABLE);
            assertThat(w.nextSeq()).isZero();
        } finally {
            deleteStream("owned");
        }
    }

    @Test
    void aRemoteWriterAppendsToAStreamAndEndsIt() throws Exception {
        try (VectorSchemaRoot root = VectorSchemaRoot.create(Tables.SCHEMA, allocator)) {
            FlightClient.ClientStreamListener put = remote.startPut(FlightDescriptor.path("stream", "up", "end"),
                    root, new AsyncPutListener());
            for (int i = 0; i < 5; i++) {
                Tables.fill(root, i * 10L, 10);
                put.putNext();
            }
            put.completed();
            put.getResult();
        }
        var info = Streams.info(local, "up").orElseThrow();
        assertThat(info.ended()).isTrue();
        assertThat(info.length()).isEqualTo(5);
        deleteStream("up");
    }

    @Test
    void aReaderThatDisconnectsReleasesWhatTheEndpointHeldForIt() throws Exception {
        putLocal("big", 20, 10_000);
        try (StreamWriter w = StreamWriter.open(new ArrowStore(local, allocator), "idle", Retention.ALL);
             VectorSchemaRoot b = Tables.batch(allocator, 0, 10)) {
            w.append(b);
        } // the writer goes without ending the stream: a follower waits for more
        assertTimeoutPreemptively(GUARD, () -> {
            FlightStream table = remote.getStream(FlightNames.shelfTicket("big"));
            assertThat(table.next()).isTrue();
            FlightStream stream = remote.getStream(FlightNames.streamTicket("idle", "earliest"));
            assertThat(stream.next()).isTrue();
            assertThat(referenced()).isNotEmpty();
            table.cancel("enough", null);
            stream.cancel("enough", null);
            table.close();
            stream.close();
            // The endpoint keeps the table for the next DoGet of its key (ServedTables), with one reference; the
            // stream's segment and what the calls held go.
            ObjectId big = shelf.entry("big").orElseThrow().id();
            while (!referenced().stream().map(o -> o.id() + "/" + o.refCount()).toList().equals(List.of(big + "/1"))) {
                Thread.onSpinWait(); // until the endpoint has let go of the calls' batches and the stream's segment
            }
            assertThat(shelf.delete("big")).isTrue();
            while (!referenced().isEmpty()) {
                Thread.onSpinWait(); // the key changed: the endpoint lets go of the table at its next sweep
            }
        });
        deleteStream("idle");
    }

    @Test
    void aDoGetAfterALocalReplaceOrDeleteNeverGetsTheOldTable() throws Exception {
        for (int version = 0; version < 10; version++) {
            putLocal("prices", 1, 100 + version); // replaces: the rows tell the versions apart
            for (int read = 0; read < 2; read++) { // the second read is served from what the endpoint kept
                try (FlightStream s = remote.getStream(FlightNames.shelfTicket("prices"))) {
                    assertThat(s.next()).isTrue();
                    assertThat(s.getRoot().getRowCount()).as("version %d, read %d", version, read)
                            .isEqualTo(100 + version);
                    assertThat(s.next()).isFalse();
                }
            }
        }
        assertThat(shelf.delete("prices")).isTrue();
        Throwable e = catchThrowable(() -> drain(remote.getStream(FlightNames.shelfTicket("prices"))));
        assertThat(e).isInstanceOf(FlightRuntimeException.class);
        assertThat(((FlightRuntimeException) e).status().code()).isEqualTo(FlightStatusCode.NOT_FOUND);
    }

    private void deleteStream(String name) {
        if (Streams.info(local, name).isPresent()) {
            Streams.delete(local, name);
        }
    }

    /** Objects some client holds a reference to. */
    private List<ObjectInfo> referenced() {
        return local.list().stream().filter(o -> o.refCount() > 0).toList();
    }

    private void putRemote(String key, int batches) throws Exception {
        try (VectorSchemaRoot root = VectorSchemaRoot.create(Tables.SCHEMA, allocator)) {
            FlightClient.ClientStreamListener put = remote.startPut(FlightNames.shelf(key), root,
                    new AsyncPutListener());
            for (int b = 0; b < batches; b++) {
                Tables.fill(root, b * 10L, 10);
                put.putNext();
            }
            put.completed();
            put.getResult();
        }
    }

    private FlightRuntimeException putExpectingFailure(FlightClient c, String key, int batches, int rows) {
        try (VectorSchemaRoot root = VectorSchemaRoot.create(Tables.SCHEMA, allocator)) {
            FlightClient.ClientStreamListener put = c.startPut(FlightNames.shelf(key), root, new AsyncPutListener());
            try {
                for (int b = 0; b < batches; b++) {
                    Tables.fill(root, (long) b * rows, rows);
                    put.putNext();
                }
                put.completed();
            } catch (FlightRuntimeException e) {
                // the server may answer before the client has sent everything
            }
            return (FlightRuntimeException) catchThrowable(put::getResult);
        }
    }

    private JsonNode action(String type, String body) {
        var results = remote.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)));
        Result r = results.next();
        try {
            return JSON.readTree(r.getBody());
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static JsonNode metadata(ArrowBuf buf) throws java.io.IOException {
        byte[] bytes = new byte[Math.toIntExact(buf.capacity())];
        buf.getBytes(0, bytes);
        return JSON.readTree(bytes);
    }

    private static void drain(FlightStream s) throws Exception {
        try (s) {
            while (s.next()) {
                // read to the end, or to the error
            }
        }
    }

    private interface Call {
        void run() throws Exception;
    }

    private static Throwable catchThrowable(Call c) {
        try {
            c.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    private static FlightStatusCode statusOf(Call c) {
        Throwable t = catchThrowable(c);
        assertThat(t).isInstanceOf(FlightRuntimeException.class);
        return ((FlightRuntimeException) t).status().code();
    }
}
