package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.ForeignUser;
import dev.quiver.client.testing.RunningStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The client talks only to a store of its own user (SO_PEERCRED), whoever owns the socket's path. */
class StoreOwnerTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aStoreOfAnotherUserIsRefusedWithItsName() throws IOException {
        Assumptions.assumeTrue(ForeignUser.available(), "needs root and setpriv to run a process as another user");
        // A shared directory, like /tmp, where another user can put a socket at the path clients use.
        Path shared = Files.createTempDirectory("quiver-shared");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path socket = shared.resolve("quiver.sock");
        try (ChildJvm squatter = ForeignUser.listen(socket)) {
            squatter.expect("listening", WAIT);

            assertTimeoutPreemptively(WAIT, () -> assertThatThrownBy(() -> QuiverClient.connect(socket))
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("refusing the store at " + socket)
                    .hasMessageContaining("run by user nobody")
                    .hasMessageContaining("start a store of your own"));
        } finally {
            try (Stream<Path> files = Files.walk(shared)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void aStoreOfTheSameUserIsAccepted() throws IOException {
        try (RunningStore store = RunningStore.started(1 << 20)) {
            assertThat(store.client().capacity()).isEqualTo(1 << 20);
        }
    }
}
