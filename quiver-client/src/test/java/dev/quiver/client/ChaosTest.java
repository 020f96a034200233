package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertContent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.ChaosClient;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.Patterns;
import dev.quiver.client.testing.RawConnection;
import dev.quiver.client.testing.StoreChild;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.Request;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chaos, in bounded time: client processes SIGKILLed at random points of their work, mutated frames, and hundreds of
 * connections opened and dropped, all against one store in a child JVM whose heap (128 MiB) would not survive
 * unbounded buffering. Afterwards the store's books must be exact: no client but the checker, no reference of a dead
 * client, no unsealed object, used bytes equal to the listed objects, every object's bytes matching its digest,
 * as many file descriptors as before, and the store alive without an OutOfMemoryError.
 */
class ChaosTest {
    private static final long CAPACITY = 32 << 20;
    private static final Duration CHAOS = Duration.ofSeconds(40);
    private static final int KEPT = 8;
    private static final int KEPT_SIZE = 100_000;

    @TempDir
    Path dir;

    @Test
    void theStoreSurvivesChaosWithItsBooksExact() throws Exception {
        long seed = Long.getLong("quiver.chaos.seed", System.nanoTime());
        System.out.println("chaos seed " + seed + " (rerun with -Dquiver.chaos.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        Path socket = dir.resolve("chaos.sock");
        try (ChildJvm store = ChildJvm.start(StoreChild.class.getName(),
                List.of("-Xmx128m", "-Dorg.slf4j.simpleLogger.logFile=System.out"), socket.toString(),
                String.valueOf(CAPACITY))) {
            store.expect("ready", WAIT);
            try (QuiverClient checker = QuiverClient.connect(socket, WAIT)) {
                List<String> keptNames = new ArrayList<>();
                List<ObjectBuffer> keptHeld = new ArrayList<>(); // held, so that eviction cannot take them
                for (int i = 0; i < KEPT; i++) {
                    keptNames.add("kept-" + i);
                    put(checker, id("kept-" + i), KEPT_SIZE, 10, i);
                    keptHeld.add(checker.get(id("kept-" + i), QuiverClient.NO_WAIT).orElseThrow());
                }
                long fdsAtStart = openFiles(store.pid());
                long until = System.nanoTime() + CHAOS.toNanos();

                AtomicInteger fuzzed = new AtomicInteger();
                Fixtures.Call<Void> fuzzer = Fixtures.inThread("fuzzer", () -> {
                    fuzzAndChurn(socket, new SplittableRandom(seed + 1), until, fuzzed);
                    return null;
                });
                int killed = killClientsAtRandom(socket, random, keptNames, until);
                fuzzer.join();
                System.out.println("chaos: " + killed + " clients killed, " + fuzzed.get() + " abusive connections");
                assertThat(killed).isPositive();
                assertThat(fuzzed.get()).isPositive();

                // The store hears of every closed socket; then only the checker is left.
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (checker.stats().clients() != 1 && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // each pass is a round trip to the store
                }
                StoreStats stats = checker.stats();
                assertThat(stats.clients()).as("clients left").isEqualTo(1);
                List<ObjectInfo> all = checker.list();
                assertThat(all).as("no unsealed objects").allMatch(o -> o.state() == ObjectState.SEALED);
                for (ObjectInfo o : all) {
                    boolean kept = keptNames.stream().anyMatch(n -> id(n).equals(o.id()));
                    assertThat(o.refCount()).as("references to %s", o.id()).isEqualTo(kept ? 1 : 0);
                }
                assertThat(stats.used()).as("used bytes").isEqualTo(Fixtures.sumOfBlocks(checker));
                for (int i = 0; i < KEPT; i++) {
                    assertContent(keptHeld.get(i), KEPT_SIZE, 10, i);
                }
                for (ObjectInfo o : all) {
                    try (ObjectBuffer b = checker.get(o.id(), QuiverClient.NO_WAIT).orElse(null)) {
                        if (b != null) {
                            assertThat(Patterns.digest(b)).as("digest of %s", o.id()).isEqualTo(o.digest());
                        }
                    }
                }
                assertThat(openFiles(store.pid())).as("the store's open files").isEqualTo(fdsAtStart);
                keptHeld.forEach(ObjectBuffer::close);
            }
            assertThat(store.isAlive()).isTrue();
            assertThat(store.log()).doesNotContain("OutOfMemoryError").doesNotContain("inconsistent");
            store.send("stop");
            store.expect("stopped", WAIT);
        }
    }

    /** Starts clients two at a time, and SIGKILLs each after a random number of its operations. */
    private static int killClientsAtRandom(Path socket, SplittableRandom random, List<String> kept, long until) {
        int killed = 0;
        while (System.nanoTime() < until) {
            List<ChildJvm> clients = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                List<String> args = new ArrayList<>(List.of(socket.toString(), String.valueOf(random.nextLong())));
                args.addAll(kept);
                clients.add(ChildJvm.start(ChaosClient.class.getName(), List.of("-Xmx64m"),
                        args.toArray(String[]::new)));
            }
            for (ChildJvm c : clients) {
                try (c) {
                    c.expect("ready", WAIT);
                    int ops = 1 + random.nextInt(600);
                    for (int n = 0; n < ops; n++) {
                        String line = c.readLine(WAIT);
                        assertThat(line).as("a chaos client's check").doesNotStartWith("corrupt");
                    }
                    c.kill(); // somewhere in create, write, seal, get, release or delete
                    killed++;
                }
            }
        }
        return killed;
    }

    /** Mutated frames, and connections opened and dropped at every stage, until the chaos ends. */
    private static void fuzzAndChurn(Path socket, SplittableRandom random, long until, AtomicInteger count) {
        List<ByteBuffer> samples = Stream.of(new Request.Create(id("f"), 100, 10, 0),
                new Request.CreateBatch(List.of(new Request.CreateSpec(id("g"), 5, 5)), 0),
                new Request.Seal(List.of(new Request.SealSpec(id("f"), 7))), new Request.Abort(id("f")),
                new Request.Get(List.of(id("kept-1"), id("f")), 10), new Request.Release(List.of(id("kept-2"))),
                new Request.Contains(List.of(id("kept-3"))), new Request.Delete(List.of(id("nothing"))),
                new Request.ListObjects(), new Request.Evict(1 << 10), new Request.Hash(id("kept-4")),
                new Request.Subscribe(), new Request.Stats()).map(r -> FrameCodec.encode(7, r)).toList();
        while (System.nanoTime() < until && count.get() < 2000) {
            try (RawConnection raw = RawConnection.open(socket)) {
                count.incrementAndGet();
                switch (random.nextInt(4)) {
                    case 0 -> { } // connect and drop
                    case 1 -> raw.write(new byte[] {1, 2, 3}); // drop inside a length field
                    default -> {
                        raw.handshake();
                        for (int i = random.nextInt(4); i >= 0; i--) {
                            raw.write(mutate(samples.get(random.nextInt(samples.size())), random));
                        }
                    }
                }
            }
        }
    }

    private static byte[] mutate(ByteBuffer frame, SplittableRandom random) {
        byte[] b = new byte[frame.remaining()];
        frame.duplicate().get(b);
        switch (random.nextInt(4)) {
            case 0 -> { // flip a few bytes anywhere, header included
                for (int i = 1 + random.nextInt(3); i > 0; i--) {
                    b[random.nextInt(b.length)] ^= (byte) (1 + random.nextInt(255));
                }
            }
            case 1 -> b = java.util.Arrays.copyOf(b, random.nextInt(b.length)); // cut short
            case 2 -> ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, random.nextInt()); // length
            default -> { } // a valid frame
        }
        return b;
    }

    private static long openFiles(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
