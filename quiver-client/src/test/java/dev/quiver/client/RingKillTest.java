package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertContent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.client.testing.ChaosClient;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.store.StoreServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client processes on the command rings, SIGKILLed in the middle of their ring traffic (a request half claimed, a
 * reply half read, a marker without its socket frame, a thread asleep waiting for the doorbell), many times. After
 * each kill the store must be checked: it serves the other clients at once (no hang), it holds no reference and no
 * unsealed object of the dead client once it read its EOF (no leak), and the next client, on fresh rings, reads only
 * its own replies with the right bytes (no stale or torn reply read as valid).
 */
class RingKillTest {
    private static final long CAPACITY = 32 << 20;
    private static final int KEPT = 4;
    private static final int KEPT_SIZE = 50_000;
    private static final int KILLS = 12;

    @TempDir
    Path dir;

    @Test
    void clientsKilledInTheMiddleOfRingOperationsLeaveTheStoreExact() {
        long seed = Long.getLong("quiver.kill.seed", System.nanoTime());
        System.out.println("ring kill seed " + seed + " (rerun with -Dquiver.kill.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        ClientOptions rings = ClientOptions.defaults().withTransport(ClientOptions.Transport.RINGS);
        StoreServer store = Fixtures.store(dir, CAPACITY);
        try (QuiverClient checker = QuiverClient.connect(store.socket(), rings)) {
            assertThat(checker.transport()).isEqualTo(ClientOptions.Transport.RINGS);
            List<String> kept = new ArrayList<>();
            List<ObjectBuffer> keptHeld = new ArrayList<>();
            for (int i = 0; i < KEPT; i++) {
                kept.add("kept-" + i);
                put(checker, id("kept-" + i), KEPT_SIZE, 10, i);
                keptHeld.add(checker.get(id("kept-" + i), QuiverClient.NO_WAIT).orElseThrow());
            }
            for (int k = 0; k < KILLS; k++) {
                List<String> args = new ArrayList<>(List.of(store.socket().toString(),
                        String.valueOf(random.nextLong())));
                args.addAll(kept);
                try (ChildJvm child = ChildJvm.start(ChaosClient.class.getName(),
                        List.of("-Xmx64m", "-D" + ClientOptions.TRANSPORT_PROPERTY + "=rings"),
                        args.toArray(String[]::new))) {
                    assertThat(child.expect("ready", WAIT)).as("the child is on the rings").isEqualTo("RINGS");
                    int ops = 1 + random.nextInt(400);
                    for (int n = 0; n < ops; n++) {
                        assertThat(child.readLine(WAIT)).as("a chaos client's check of the bytes it reads")
                                .doesNotStartWith("corrupt").doesNotStartWith("error");
                    }
                    child.kill();
                }
                int round = k;
                assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                    // No hang: the store answers the others at once.
                    put(checker, id("after-kill-" + round), 1000, 0, 100 + round);
                    // No leak: once the store has read the dead child's EOF, nothing of it is left.
                    Fixtures.awaitCondition(() -> checker.stats().clients() == 1, WAIT);
                    List<ObjectInfo> all = checker.list();
                    assertThat(all).as("no unsealed object of the dead client")
                            .allMatch(o -> o.state() == ObjectState.SEALED);
                    for (ObjectInfo o : all) {
                        boolean isKept = kept.stream().anyMatch(n -> id(n).equals(o.id()));
                        assertThat(o.refCount()).as("references to %s after kill %d", o.id(), round)
                                .isEqualTo(isKept ? 1 : 0);
                    }
                    assertThat(checker.stats().used()).isEqualTo(Fixtures.sumOfBlocks(checker));
                    for (int i = 0; i < KEPT; i++) {
                        assertContent(keptHeld.get(i), KEPT_SIZE, 10, i);
                    }
                    try (ObjectBuffer b = checker.get(id("after-kill-" + round), QuiverClient.NO_WAIT)
                            .orElseThrow()) {
                        assertContent(b, 1000, 0, 100 + round);
                    }
                });
            }
            keptHeld.forEach(ObjectBuffer::close);
        } finally {
            store.close();
        }
        assertThat(store.failure()).isNull();
    }
}
