package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertIntact;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.RawConnection;
import dev.quiver.client.testing.StoreChild;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * More connections than the store process has file descriptors for: the store must not die of it. It stops
 * accepting for a moment, keeps serving the clients it has, and accepts again once descriptors are free.
 */
class ConnectionFloodTest {
    @TempDir
    Path dir;

    @Test
    void runningOutOfFileDescriptorsDoesNotStopTheStore() throws IOException {
        Path socket = dir.resolve("flooded.sock");
        try (ChildJvm storeJvm = ChildJvm.start(StoreChild.class.getName(),
                List.of("-Dorg.slf4j.simpleLogger.logFile=System.out"), socket.toString(), String.valueOf(1 << 20), "4")) {
            Path arena = Path.of(storeJvm.expect("ready", WAIT));
            try (QuiverClient bystander = QuiverClient.connect(socket, WAIT)) {
                put(bystander, id("before"), 100, 0, 1);
                List<RawConnection> flood = new ArrayList<>();
                try {
                    for (int i = 0; i < 12; i++) {
                        flood.add(RawConnection.open(socket)); // queued by the kernel; the store accepts what it can
                    }
                    awaitLog(storeJvm, "cannot accept");
                    assertThat(bystander.stats().objects()).as("still serving").isEqualTo(1);
                    put(bystander, id("during"), 100, 0, 2);
                } finally {
                    flood.forEach(RawConnection::close);
                }
                // Descriptors come back as the flood's connections end; a new client gets in.
                try (QuiverClient late = QuiverClient.connect(socket, WAIT)) {
                    assertIntact(late, id("before"), 100, 0, 1);
                    assertIntact(late, id("during"), 100, 0, 2);
                    assertThat(late.stats().clients()).isEqualTo(2);
                }
                assertThat(bystander.isConnected()).isTrue();
            } finally {
                storeJvm.send("stop");
                storeJvm.expect("stopped", WAIT);
                Files.deleteIfExists(arena);
            }
        }
    }

    private static void awaitLog(ChildJvm jvm, String text) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!jvm.readLine(Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))).contains(text)) {
            // skip other lines
        }
    }
}
