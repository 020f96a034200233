package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.StoreChild;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resource check, not a timing assertion: a store whose clients (one on the command rings, one on the socket) stay
 * connected but send nothing for 10 s must use at most 2% of one core over those 10 s with the default idle mode,
 * read from the store process's {@code /proc/PID/stat} (user + system time). A store that kept polling the rings
 * (the spin mode) would use a whole core.
 */
class IdleStoreCpuTest {
    private static final Duration QUIET = Duration.ofSeconds(10);
    /** Clock ticks per second of /proc's times (USER_HZ): 100 on Linux. */
    private static final long TICKS_PER_SECOND = 100;

    @TempDir
    Path dir;

    @Test
    void anIdleStoreWithConnectedRingClientsUsesAtMostTwoPercentOfACore() throws Exception {
        Path socket = dir.resolve("store.sock");
        try (ChildJvm store = ChildJvm.start(StoreChild.class, socket.toString(), String.valueOf(8 << 20))) {
            Path arena = Path.of(store.expect("ready", WAIT));
            try (QuiverClient ring = QuiverClient.connect(socket,
                    ClientOptions.defaults().withTransport(ClientOptions.Transport.RINGS));
                 QuiverClient plain = QuiverClient.connect(socket,
                         ClientOptions.defaults().withTransport(ClientOptions.Transport.SOCKET))) {
                assertThat(ring.transport()).isEqualTo(ClientOptions.Transport.RINGS);
                for (int i = 0; i < 2000; i++) { // traffic first, so that the engine has spun, parked and slept
                    put(ring, id("o" + i), 256, 0, i);
                    ring.get(id("o" + i), QuiverClient.NO_WAIT).orElseThrow().close();
                    assertThat(plain.contains(id("o" + i))).isTrue();
                }
                long before = cpuTicks(store.pid());
                long start = System.nanoTime();
                TimeUnit.NANOSECONDS.sleep(QUIET.toNanos()); // the measurement window itself, not a synchronisation
                long used = cpuTicks(store.pid()) - before;
                double seconds = (System.nanoTime() - start) / 1e9;
                double share = used / (double) TICKS_PER_SECOND / seconds;
                System.out.printf("idle store: %d ticks in %.1f s = %.2f%% of a core%n", used, seconds, 100 * share);
                assertThat(share).as("CPU share of one core used by an idle store over %.1f s", seconds)
                        .isLessThanOrEqualTo(0.02);
                assertThat(ring.contains(id("o1"))).as("the store still serves the ring client").isTrue();
            }
            store.send("stop");
            store.expect("stopped", WAIT);
            Files.deleteIfExists(arena);
        }
    }

    /** utime + stime of a process, in clock ticks: fields 14 and 15 of /proc/PID/stat (after the command's ")"). */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            List<String> fields = List.of(stat.substring(stat.lastIndexOf(')') + 2).split(" "));
            return Long.parseLong(fields.get(11)) + Long.parseLong(fields.get(12)); // fields 14, 15 counted from 1
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
