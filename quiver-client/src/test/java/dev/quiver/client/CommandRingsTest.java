package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertContent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.client.testing.RawConnection;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.RingLayout;
import dev.quiver.store.StoreServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command rings: a client that asks for them gets them and leaves no file behind; requests and replies too large
 * for a ring go through the socket in their place; ring and socket clients share a store; a client that writes
 * garbage into its own rings is dropped alone, and the store serves everyone else on.
 */
class CommandRingsTest {
    private static final long CAPACITY = 8 << 20;
    private static final ClientOptions RINGS = ClientOptions.defaults().withTransport(ClientOptions.Transport.RINGS);
    private static final ClientOptions SOCKET =
            ClientOptions.defaults().withTransport(ClientOptions.Transport.SOCKET);

    @TempDir
    Path dir;
    StoreServer store;
    QuiverClient ring;
    QuiverClient plain;

    @BeforeEach
    void start() {
        store = Fixtures.store(dir, CAPACITY);
        ring = QuiverClient.connect(store.socket(), RINGS);
        plain = QuiverClient.connect(store.socket(), SOCKET);
    }

    @AfterEach
    void stop() {
        plain.close();
        ring.close();
        store.close();
        assertThat(store.failure()).isNull();
    }

    @Test
    void aClientThatAsksGetsRingsAndNoRingsFileOutlivesTheHandshake() throws IOException {
        assertThat(ring.transport()).isEqualTo(ClientOptions.Transport.RINGS);
        assertThat(plain.transport()).isEqualTo(ClientOptions.Transport.SOCKET);
        put(ring, id("a"), 1000, 24, 1);
        try (ObjectBuffer b = plain.get(id("a"), QuiverClient.NO_WAIT).orElseThrow()) {
            assertContent(b, 1000, 24, 1);
        }
        try (ObjectBuffer b = ring.get(id("a"), QuiverClient.NO_WAIT).orElseThrow()) {
            assertContent(b, 1000, 24, 1);
        }
        // The store unlinks a client's rings file when the client attaches: its first ring message, read before
        // the put above was answered.
        assertThat(ringsFiles()).isEmpty();
    }

    @Test
    void aBlockedRingGetIsWokenBySealOfASocketClient() throws Exception {
        Fixtures.Call<List<ObjectBuffer>> blocked = Fixtures.inThread("blocked",
                () -> ring.get(List.of(id("later")), QuiverClient.WAIT_FOREVER));
        dev.quiver.client.testing.Blocking.awaitBlockedInStoreCall(blocked.thread(), WAIT);
        put(plain, id("later"), 5000, 0, 7);
        List<ObjectBuffer> got = blocked.join();
        assertContent(got.getFirst(), 5000, 0, 7);
        got.getFirst().close();
    }

    @Test
    void requestsAndRepliesTooLargeForTheRingsGoOnTheSocketInTheirPlace() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int n = 3000; // a GET of 3000 ids is 60 KB (ring messages: 8 KiB), its answer 75 KB (32 KiB)
            List<ObjectId> ids = IntStream.range(0, n).mapToObj(i -> id("big-" + i)).toList();
            List<QuiverClient.ObjectData> objects = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                objects.add(new QuiverClient.ObjectData(ids.get(i), java.lang.foreign.MemorySegment.ofArray(
                        dev.quiver.client.testing.Patterns.data(64, i)), java.lang.foreign.MemorySegment.NULL));
            }
            ring.createAndSeal(objects);
            // Small requests from other threads interleave with the large ones; every answer must fit its request.
            Fixtures.Call<Void> small = Fixtures.inThread("small", () -> {
                for (int i = 0; i < 500; i++) {
                    assertThat(ring.contains(ids.get(i))).isTrue();
                    assertThat(ring.contains(id("absent-" + i))).isFalse();
                }
                return null;
            });
            for (int round = 0; round < 5; round++) {
                List<ObjectBuffer> got = ring.get(ids, QuiverClient.NO_WAIT);
                assertThat(got).hasSize(n);
                for (int i = 0; i < n; i += 97) {
                    assertContent(got.get(i), 64, 0, i);
                }
                got.forEach(ObjectBuffer::close);
                List<ObjectInfo> listed = ring.list(); // one chunk of 4096 entries: 266 KB, on the socket
                assertThat(listed).extracting(ObjectInfo::id).containsExactlyElementsOf(plain.list().stream()
                        .map(ObjectInfo::id).toList());
            }
            small.join();
            ring.stats(); // answered after the ring client's releases: another client's listing then shows them
            assertThat(plain.list()).allSatisfy(o -> assertThat(o.refCount()).isZero());
        });
    }

    @Test
    void manyThreadsShareOneClientsRings() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            List<Fixtures.Call<Void>> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                threads.add(Fixtures.inThread("t" + t, () -> {
                    for (int i = 0; i < 300; i++) {
                        ObjectId oid = id("t" + thread + "-" + i);
                        put(ring, oid, 256, 8, thread * 1000L + i);
                        try (ObjectBuffer b = ring.get(oid, QuiverClient.NO_WAIT).orElseThrow()) {
                            assertContent(b, 256, 8, thread * 1000L + i);
                        }
                    }
                    return null;
                }));
            }
            for (Fixtures.Call<Void> t : threads) {
                t.join();
            }
            ring.stats(); // answered after the ring client's releases: another client's listing then shows them
            assertThat(plain.list()).hasSize(1200).allSatisfy(o -> assertThat(o.refCount()).isZero());
        });
    }

    /** Ways a client can break its own request ring; each must drop that client and no other. */
    @ParameterizedTest
    @ValueSource(strings = {"unknown type", "too long", "huge length", "malformed frame", "second attach",
            "marker without frame on the socket", "wrong marker", "marker of the wrong size", "head moved"})
    void aClientThatCorruptsItsRingsIsDroppedAloneAndChangesNothing(String corruption) {
        put(plain, id("kept"), 3000, 0, 3);
        long usedBefore = plain.stats().used();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (RawConnection raw = RawConnection.open(store.socket())) {
                RawRings rings = RawRings.attach(raw);
                switch (corruption) {
                    case "unknown type" -> rings.write(0x7777, new byte[8]);
                    case "too long" -> rings.rawRecord(RingLayout.DEFAULT_REQUEST_RING / 4, 0x06);
                    case "huge length" -> rings.rawRecord(0x7FFF_FFF0, 0x06);
                    case "malformed frame" -> rings.write(0x07, new byte[] {1, 0, 0, 0, (byte) 0xFF, 0x7F, 0, 0});
                    case "second attach" -> rings.write(RingLayout.ATTACHED, new byte[8]);
                    case "marker without frame on the socket" -> {
                        rings.write(RingLayout.ON_SOCKET, new byte[] {9, 0, 0, 0});
                        // a frame on the socket for a request the marker does not name
                        raw.write(FrameCodec.encode(10, new Request.Stats()));
                    }
                    case "wrong marker" -> {
                        raw.write(FrameCodec.encode(5, new Request.Stats()));
                        rings.write(RingLayout.ON_SOCKET, new byte[] {6, 0, 0, 0});
                    }
                    case "marker of the wrong size" -> rings.write(RingLayout.ON_SOCKET, new byte[8]);
                    case "head moved" -> rings.corruptHead();
                    default -> throw new IllegalArgumentException(corruption);
                }
                raw.write(FrameCodec.doorbell());
                // The store drops the client: it shuts its side of the socket (the client reads EOF).
                raw.drainUntilEof(WAIT);
            }
            // Everyone else is served on, and nothing changed.
            put(ring, id("after"), 100, 0, 4);
            try (ObjectBuffer b = plain.get(id("kept"), QuiverClient.NO_WAIT).orElseThrow()) {
                assertContent(b, 3000, 0, 3);
            }
            assertThat(ringsFiles()).isEmpty();
        });
        assertThat(plain.stats().used()).isEqualTo(usedBefore + 128);
        assertThat(store.failure()).isNull();
    }

    @Test
    void garbageAllOverARingNeverHangsTheStore() {
        SplittableRandom random = new SplittableRandom(Long.getLong("quiver.rings.seed", 42));
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int round = 0; round < 30; round++) {
                try (RawConnection raw = RawConnection.open(store.socket())) {
                    RawRings rings = RawRings.attach(raw);
                    rings.scribble(random);
                    raw.write(FrameCodec.doorbell());
                    // Dropped, or stuck at a record that never completes: either way only this client is affected.
                    put(ring, id("round-" + round), 100, 0, round);
                    assertThat(plain.contains(id("round-" + round))).isTrue();
                }
            }
            Fixtures.awaitCondition(() -> plain.stats().clients() == 2, WAIT);
        });
    }

    @Test
    void aClientStuckInTheMiddleOfAClaimStallsOnlyItself() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (RawConnection raw = RawConnection.open(store.socket())) {
                RawRings rings = RawRings.attach(raw);
                rings.claimWithoutCommit();
                raw.write(FrameCodec.doorbell());
                for (int i = 0; i < 100; i++) {
                    put(ring, id("meanwhile-" + i), 100, 0, i);
                }
                assertThat(plain.stats().clients()).isEqualTo(3);
            }
            Fixtures.awaitCondition(() -> plain.stats().clients() == 2, WAIT);
        });
    }

    /** Rings files of this store left in its directory (there should be none once clients attached). */
    private List<Path> ringsFiles() throws IOException {
        String prefix = store.arenaPath().getFileName() + ".rings-";
        try (Stream<Path> files = Files.list(store.arenaPath().getParent())) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList();
        }
    }

    /** A client's rings, mapped by a test that writes what no well-behaved client would. */
    private record RawRings(MappedByteBuffer mapping, ManyToOneRingBuffer requests, int capacity) {
        static RawRings attach(RawConnection raw) throws IOException {
            raw.write(FrameCodec.encode(1, new Request.Connect(FrameCodec.PROTOCOL_VERSION, "raw-rings", 1, true)));
            FrameCodec.Frame<Reply> f = raw.readFrame(WAIT);
            Reply.Rings announced = ((Reply.Connected) f.message()).rings();
            assertThat(announced).isNotNull();
            MappedByteBuffer mapping;
            try (FileChannel ch = FileChannel.open(Path.of(announced.path()), StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                mapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
            }
            int capacity = announced.requestRingBytes();
            ManyToOneRingBuffer requests = new ManyToOneRingBuffer(new UnsafeBuffer(mapping,
                    RingLayout.requestRingOffset(), capacity + RingLayout.TRAILER_LENGTH));
            UnsafeBuffer id = new UnsafeBuffer(new byte[8]);
            id.putLong(0, ((Reply.Connected) f.message()).clientId());
            assertThat(requests.write(RingLayout.ATTACHED, id, 0, 8)).isTrue();
            raw.write(FrameCodec.doorbell());
            // The store unlinks the file when it has read ATTACHED: from then on it reads what the test writes.
            Fixtures.awaitCondition(() -> !Files.exists(Path.of(announced.path())), WAIT);
            return new RawRings(mapping, requests, capacity);
        }

        void write(int type, byte[] payload) {
            assertThat(requests.write(type, new UnsafeBuffer(payload), 0, payload.length)).isTrue();
        }

        /** A committed record header at the ring's tail, with any length. */
        void rawRecord(int length, int type) {
            ByteBuffer ring = ring();
            int at = (int) requests.producerPosition() & (capacity - 1);
            ring.putInt(at + 4, type);
            ring.putInt(at, length);
        }

        /**
         * The consumer's head moved (HEAD_POSITION_OFFSET of Agrona's trailer) to a record that runs past the ring's
         * end: the record first, then the head, so that the store sees either nothing yet or all of it.
         */
        void corruptHead() {
            ring().putInt(capacity - 8 + 4, 0x0E);
            ring().putInt(capacity - 8, 64);
            ring().putLong(capacity + 384, capacity - 8);
        }

        /** Claims a record and never commits it, as a client killed mid-write leaves it. */
        void claimWithoutCommit() {
            int index = requests.tryClaim(0x0E, 4);
            assertThat(index).isPositive();
        }

        /** Random bytes over the request ring and its trailer. */
        void scribble(SplittableRandom random) {
            write(0x0E, new byte[4]);
            ByteBuffer ring = ring();
            int n = 1 + random.nextInt(64);
            for (int i = 0; i < n; i++) {
                int at = random.nextInt(capacity + RingLayout.TRAILER_LENGTH - 8) & ~3;
                ring.putInt(at, random.nextInt(4) == 0 ? random.nextInt(64) : random.nextInt());
            }
        }

        private ByteBuffer ring() {
            return mapping.slice(RingLayout.requestRingOffset(), capacity + RingLayout.TRAILER_LENGTH)
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}
