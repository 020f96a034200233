package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertIntact;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.RawConnection;
import dev.quiver.client.testing.StoreChild;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Request;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No client can exhaust the store's memory. The store runs in a child JVM with a 96 MiB heap, so that buffering what
 * clients announce, or everything they ask for, would end it with an OutOfMemoryError; each test then checks that it
 * still serves a bystander, and says in its log whom it dropped and why.
 */
class ConnectionMemoryTest {
    private static final long CAPACITY = 8 << 20;
    private static final AtomicInteger ROUND = new AtomicInteger();

    @TempDir
    Path dir;
    ChildJvm storeJvm;
    Path socket;
    QuiverClient bystander;
    ObjectId kept;

    @BeforeEach
    void startStore() {
        socket = dir.resolve("bounded.sock");
        storeJvm = ChildJvm.start(StoreChild.class.getName(),
                List.of("-Xmx96m", "-Dorg.slf4j.simpleLogger.logFile=System.out"), socket.toString(),
                String.valueOf(CAPACITY));
        storeJvm.expect("ready", WAIT);
        bystander = QuiverClient.connect(socket, WAIT);
        kept = id("kept-" + ROUND.incrementAndGet());
        put(bystander, kept, 5000, 0, ROUND.get());
    }

    @AfterEach
    void storeServesOn() {
        try {
            assertThat(storeJvm.isAlive()).as("the store process is alive").isTrue();
            assertThat(storeJvm.log()).doesNotContain("OutOfMemoryError");
            assertIntact(bystander, kept, 5000, 0, ROUND.get());
            ObjectId after = id("after-" + ROUND.get());
            put(bystander, after, 1000, 0, 7);
            assertIntact(bystander, after, 1000, 0, 7);
            bystander.close();
        } finally {
            storeJvm.close();
        }
    }

    @Test
    void connectionsThatAnnounceLargeFramesAndNeverSendThemHoldOnlyWhatArrived() {
        List<RawConnection> announcers = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) { // 40 × 8 MiB announced: 320 MiB, three times the store's heap
                RawConnection raw = RawConnection.open(socket);
                raw.handshake();
                raw.write(RawConnection.frame(FrameCodec.MAX_FRAME, 0x03, 0, 2, new byte[0]));
                announcers.add(raw);
            }
            // Each announcer's frame header has been read once a later request on another connection is answered
            // (the store serves connections in turn); the stats call proves it is still serving.
            assertThat(bystander.stats().clients()).isEqualTo(41);
        } finally {
            announcers.forEach(RawConnection::close);
        }
    }

    @Test
    void aClientThatPipelinesWaitingGetsIsDroppedPastItsShare() {
        try (RawConnection raw = RawConnection.open(socket)) {
            long clientId = raw.handshake().clientId();
            List<ObjectId> missing = IntStream.range(0, 10_000).mapToObj(i -> id("never-" + i)).toList();
            ByteBuffer get = FrameCodec.encode(2, new Request.Get(missing, -1));
            // 100 waiting gets of 10,000 ids each would hold about 160 MB of the store's heap.
            for (int i = 0; i < 100 && !raw.sawEof(); i++) {
                if (!writeAll(raw, get.duplicate())) {
                    break; // dropped: the store no longer reads
                }
            }
            raw.readUntilEof(WAIT);
            assertThat(raw.sawEof()).isTrue();
            storeJvm.awaitLine("dropping client " + clientId + ": ", "more than its share", WAIT);
        }
    }

    @Test
    void clientsThatNeverReadTheirRepliesCannotPileThemUp() {
        List<RawConnection> silent = new ArrayList<>();
        try {
            ByteBuffer stats = FrameCodec.encode(3, new Request.Stats());
            for (int i = 0; i < 8; i++) {
                RawConnection raw = RawConnection.open(socket);
                raw.handshake();
                silent.add(raw);
                // Up to 200,000 requests (17 MB of replies) each, as long as the store takes them.
                int stalled = 0;
                for (int n = 0; n < 200_000 && stalled < 1000; ) {
                    ByteBuffer b = stats.duplicate();
                    if (raw.writeSome(b) == 0) {
                        stalled++;
                        bystander.contains(kept); // a round trip: the store reads and writes meanwhile
                        continue;
                    }
                    while (b.hasRemaining()) {
                        raw.writeSome(b);
                    }
                    n++;
                }
            }
            assertThat(bystander.stats().clients()).isGreaterThanOrEqualTo(1);
        } finally {
            silent.forEach(RawConnection::close);
        }
    }

    /** Writes a whole frame unless the store stops taking bytes (it dropped this client and reads no more). */
    private boolean writeAll(RawConnection raw, ByteBuffer frame) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (frame.hasRemaining()) {
            if (raw.writeSome(frame) == 0) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                bystander.contains(kept); // let the store work meanwhile
            }
        }
        return true;
    }

}
