package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default socket: $QUIVER_SOCKET, else $XDG_RUNTIME_DIR/quiver.sock, else a private /tmp/quiver-$UID. */
class DefaultSocketTest {
    private static final long UID = DefaultSocket.uid();

    @TempDir
    Path tmp;

    @Test
    void quiverSocketWinsOverEverything() throws IOException {
        Path runtime = Files.createDirectory(tmp.resolve("run"));
        Map<String, String> env = Map.of("QUIVER_SOCKET", "/somewhere/q.sock", "XDG_RUNTIME_DIR", runtime.toString());
        assertThat(DefaultSocket.resolve(env, UID, tmp, true)).isEqualTo(Path.of("/somewhere/q.sock"));
        assertThat(tmp.resolve("quiver-" + UID)).doesNotExist();
    }

    @Test
    void theRuntimeDirectoryOfTheUserIsNext() throws IOException {
        Path runtime = Files.createDirectory(tmp.resolve("run"));
        assertThat(DefaultSocket.resolve(Map.of("XDG_RUNTIME_DIR", runtime.toString()), UID, tmp, true))
                .isEqualTo(runtime.resolve("quiver.sock"));
    }

    @Test
    void aRuntimeDirectoryOfAnotherUserOrMissingIsPassedOver() throws IOException {
        Path missing = tmp.resolve("no-such-dir");
        assertThat(DefaultSocket.resolve(Map.of("XDG_RUNTIME_DIR", missing.toString()), UID, tmp, false))
                .isEqualTo(tmp.resolve("quiver-" + UID).resolve("quiver.sock"));
        Path runtime = Files.createDirectory(tmp.resolve("run"));
        assertThat(DefaultSocket.resolve(Map.of("XDG_RUNTIME_DIR", runtime.toString()), UID + 1, tmp, false))
                .isEqualTo(tmp.resolve("quiver-" + (UID + 1)).resolve("quiver.sock"));
    }

    @Test
    void theStoreCreatesAPrivateDirectoryInTmp() throws IOException {
        Path socket = DefaultSocket.resolve(Map.of(), UID, tmp, true);

        Path dir = tmp.resolve("quiver-" + UID);
        assertThat(socket).isEqualTo(dir.resolve("quiver.sock"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(DefaultSocket.resolve(Map.of(), UID, tmp, false)).isEqualTo(socket); // the client accepts it
    }

    @Test
    void aDirectoryOpenToOthersIsRefusedByStoreAndClientAndLeftAsItIs() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("quiver-" + UID));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));

        for (boolean store : new boolean[] {true, false}) {
            assertThatThrownBy(() -> DefaultSocket.resolve(Map.of(), UID, tmp, store))
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("refusing the default socket directory " + dir)
                    .hasMessageContaining("open to others (mode 777, needs 700)")
                    .hasMessageContaining("-s or $QUIVER_SOCKET");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwxrwxrwx");
    }

    @Test
    void aDirectoryOfAnotherUserIsRefused() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("quiver-" + UID));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        try {
            Files.setAttribute(dir, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | SecurityException e) {
            Assumptions.abort("cannot give a directory to another user here (needs root): " + e);
        }

        assertThatThrownBy(() -> DefaultSocket.resolve(Map.of(), UID, tmp, true))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("owned by uid 65534, not by you (uid " + UID + ")");
    }

    @Test
    void aSymbolicLinkOrAFileInsteadOfTheDirectoryIsRefused() throws IOException {
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rwx------"));
        Path dir = Files.createSymbolicLink(tmp.resolve("quiver-" + UID), elsewhere);

        assertThatThrownBy(() -> DefaultSocket.resolve(Map.of(), UID, tmp, true))
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("a symbolic link");

        Files.delete(dir);
        Files.createFile(dir);
        assertThatThrownBy(() -> DefaultSocket.resolve(Map.of(), UID, tmp, true))
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("not a directory");
    }
}
