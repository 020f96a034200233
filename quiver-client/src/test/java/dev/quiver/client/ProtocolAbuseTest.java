package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertIntact;
import static dev.quiver.client.Fixtures.awaitEvent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static dev.quiver.client.QuiverClient.NO_WAIT;
import static dev.quiver.client.QuiverClient.WAIT_FOREVER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.Blocking;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.Patterns;
import dev.quiver.client.testing.RawConnection;
import dev.quiver.client.testing.StoreChild;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bytes no client should send, through a raw socket to a store running in a child JVM (its log read as lines): each
 * closes that one connection, with a logged reason (and an error frame where one makes sense), while a client
 * connected all along keeps working, before and after, its waiting get included.
 */
class ProtocolAbuseTest {
    private static final long CAPACITY = 2 << 20;
    private static final AtomicInteger ROUND = new AtomicInteger();

    @TempDir
    static Path dir;
    static ChildJvm storeJvm;
    static Path socket;
    static Path arena;
    static QuiverClient bystander;

    ObjectId held;
    ObjectBuffer heldBuffer;
    ObjectId awaited;
    Fixtures.Call<Optional<ObjectBuffer>> waiting;

    @BeforeAll
    static void startStore() {
        socket = dir.resolve("abused.sock");
        storeJvm = ChildJvm.start(StoreChild.class.getName(), List.of("-Dorg.slf4j.simpleLogger.logFile=System.out"),
                socket.toString(), String.valueOf(CAPACITY));
        arena = Path.of(storeJvm.expect("ready", WAIT));
        bystander = QuiverClient.connect(socket, WAIT);
    }

    @AfterAll
    static void stopStore() throws IOException {
        try {
            bystander.close();
            storeJvm.send("stop");
            storeJvm.expect("stopped", WAIT);
            assertThat(storeJvm.waitFor(WAIT)).isZero();
            assertThat(arena).doesNotExist();
        } finally {
            storeJvm.close();
            Files.deleteIfExists(arena);
        }
    }

    /** The bystander holds an object and waits for another while the abuse happens. */
    @BeforeEach
    void bystanderIsBusy() {
        int round = ROUND.incrementAndGet();
        held = id("held-" + round);
        put(bystander, held, 3000, 30, round);
        heldBuffer = bystander.get(held, NO_WAIT).orElseThrow();
        awaited = id("awaited-" + round);
        waiting = Fixtures.inThread("waiting-get", () -> bystander.get(awaited, WAIT_FOREVER));
        Blocking.awaitBlockedInStoreCall(waiting.thread(), WAIT);
        bystander.contains(awaited);
    }

    /** ... and is undisturbed afterwards. */
    @AfterEach
    void bystanderIsUndisturbed() {
        int round = ROUND.get();
        assertThat(bystander.isConnected()).isTrue();
        Fixtures.assertContent(heldBuffer, 3000, 30, round);
        heldBuffer.close();
        assertIntact(bystander, held, 3000, 30, round);
        assertThat(waiting.result()).isNotDone();
        put(bystander, awaited, 100, 0, round);
        try (ObjectBuffer b = waiting.join().orElseThrow()) {
            Fixtures.assertContent(b, 100, 0, round);
        }
        StoreStats stats = bystander.stats();
        assertThat(stats.clients()).as("only the bystander is left").isEqualTo(1);
        assertThat(stats.pinned()).isZero();
        assertThat(stats.used()).isEqualTo(Fixtures.sumOfBlocks(bystander));
        assertThat(storeJvm.isAlive()).isTrue();
    }

    /** One kind of abuse: what to send, and the reason the store must log. */
    record Abuse(String name, boolean connectFirst, byte[] bytes, boolean halfClose, String loggedReason,
                 String errorFrame) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Abuse> abuses() {
        byte[] create = bytes(FrameCodec.encode(9, new Request.Create(id("x"), 10, 0, 0)));
        byte[] stats = bytes(FrameCodec.encode(5, new Request.Stats()));
        byte[] statsWithTrailer = Arrays.copyOf(stats, stats.length + 4);
        statsWithTrailer[0] += 4;
        return Stream.of(
                new Abuse("garbage: an HTTP request", false,
                        "GET / HTTP/1.1\r\nHost: quiver\r\n\r\n".getBytes(StandardCharsets.US_ASCII), false,
                        "malformed frame: frame length 542393671 outside [8, 8388608]", "frame length 542393671"),
                new Abuse("garbage with a plausible length", true,
                        bytes(RawConnection.frame(20, 0x02, 0xBEEF, 7, new byte[12])), false,
                        "malformed frame: flags must be 0, got 0xbeef", "flags must be 0"),
                new Abuse("oversized frame (8 MiB + 1)", true,
                        bytes(RawConnection.frame(FrameCodec.MAX_FRAME + 1, 0x0E, 0, 3, new byte[0])), false,
                        "malformed frame: frame length 8388609 outside [8, 8388608]", "frame length 8388609"),
                new Abuse("length field of 2^32 - 1", true,
                        bytes(RawConnection.frame(-1, 0x0E, 0, 3, new byte[0])), false,
                        "malformed frame: frame length 4294967295 outside", "frame length 4294967295"),
                new Abuse("length shorter than a header", false,
                        bytes(RawConnection.frame(4, 0x0E, 0, 3, new byte[0])), false,
                        "malformed frame: frame length 4 outside", "frame length 4"),
                new Abuse("unknown message type", true,
                        bytes(RawConnection.frame(8, 0x7777, 0, 4, new byte[0])), false,
                        "malformed frame: unknown request type 0x7777", "unknown request type 0x7777"),
                new Abuse("a reply type sent as a request", true,
                        bytes(RawConnection.frame(8, 0x81, 0, 4, new byte[0])), false,
                        "malformed frame: unknown request type 0x81", "unknown request type 0x81"),
                new Abuse("truncated payload", true,
                        bytes(RawConnection.frame(12, 0x02, 0, 4, new byte[4])), false,
                        "malformed frame: truncated payload for request type 0x2", "truncated payload"),
                new Abuse("trailing bytes", true, statsWithTrailer, false,
                        "malformed frame: 4 unexpected trailing bytes after Stats", "unexpected trailing bytes"),
                new Abuse("a request before Connect", false, stats, false,
                        "the first request must be Connect, got Stats", "the first request must be Connect"),
                new Abuse("an unsupported protocol version", false,
                        bytes(FrameCodec.encode(1, new Request.Connect(99, "future", 1))), false,
                        "protocol version 99 not supported", "protocol version 99 not supported"),
                new Abuse("disconnect in the middle of a frame", true, Arrays.copyOf(create, 10), true,
                        "disconnected in the middle of a frame (10 bytes of it received)", null),
                new Abuse("disconnect inside the length field", true, Arrays.copyOf(create, 2), true,
                        "disconnected in the middle of a frame (2 bytes of it received)", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("abuses")
    void abuseClosesOnlyThatConnection(Abuse abuse) {
        try (RawConnection raw = RawConnection.open(socket)) {
            String client = "client ";
            if (abuse.connectFirst()) {
                client += raw.handshake().clientId() + ": ";
            }
            raw.write(abuse.bytes());
            if (abuse.halfClose()) {
                raw.shutdownOutput();
            }
            List<FrameCodec.Frame<Reply>> frames = raw.readUntilEof(WAIT);
            assertThat(raw.sawEof()).isTrue();
            if (abuse.errorFrame() == null) {
                assertThat(frames).isEmpty();
            } else {
                assertThat(frames).hasSize(1);
                Reply.Error error = (Reply.Error) frames.getFirst().message();
                assertThat(error.status()).isEqualTo(Status.PROTOCOL_ERROR);
                assertThat(error.message()).contains(abuse.errorFrame());
            }
            storeJvm.awaitLine(client, abuse.loggedReason(), WAIT);
        }
    }

    @Test
    void theLargestAllowedFrameIsReadWholeThenRejected() {
        try (RawConnection raw = RawConnection.open(socket)) {
            long clientId = raw.handshake().clientId();
            raw.write(RawConnection.frame(FrameCodec.MAX_FRAME, 0x7778, 0, 4, new byte[FrameCodec.MAX_FRAME - 8]));
            List<FrameCodec.Frame<Reply>> frames = raw.readUntilEof(WAIT);
            assertThat(((Reply.Error) frames.getFirst().message()).message()).contains("unknown request type 0x7778");
            storeJvm.awaitLine("client " + clientId + ": ", "unknown request type 0x7778", WAIT);
        }
    }

    @Test
    void subscribersThatStoppedReadingAreDroppedWithoutDisturbingOthers() {
        // Two subscriptions that stop reading (their store-side writes fail with EPIPE), then a healthy one.
        List<RawConnection> stalled = List.of(RawConnection.open(socket), RawConnection.open(socket));
        try (Subscription healthy = openAfter(stalled)) {
            for (RawConnection r : stalled) {
                r.shutdownInput();
            }
            ObjectId sealed = id("sealed-while-subscribers-stalled");
            put(bystander, sealed, 200, 0, 77); // the store notifies the stalled subscribers first
            assertThat(awaitEvent(healthy, ObjectEvent.Kind.SEALED, sealed).digest())
                    .isEqualTo(Patterns.digest(200, 0, 77));
            assertIntact(bystander, sealed, 200, 0, 77);
            storeJvm.awaitLine(" gone: ", "write failed", WAIT);
            storeJvm.awaitLine(" gone: ", "write failed", WAIT);
        } finally {
            stalled.forEach(RawConnection::close);
        }
    }

    private static Subscription openAfter(List<RawConnection> stalled) {
        for (RawConnection r : stalled) {
            r.handshake();
            r.write(FrameCodec.encode(2, new Request.Subscribe()));
            FrameCodec.Frame<Reply> ok = r.readFrame(WAIT);
            assertThat(ok.message()).isInstanceOf(Reply.Ok.class);
        }
        return bystander.subscribe();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
