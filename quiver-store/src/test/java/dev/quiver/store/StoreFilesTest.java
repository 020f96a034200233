package dev.quiver.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store touches only files it made: what it finds at the socket's and the lock's paths, and in the arena
 * directory, and how it tells a live store's arena from a dead one's.
 */
class StoreFilesTest {
    /** Larger than any pid (pid_max is at most 2^22): no process has it. */
    private static final long DEAD_PID = 999_999_999L;

    @TempDir
    Path dir;

    /** A private arena directory on tmpfs, so that stores of other tests on this machine do not meet ours. */
    private Path arenas;

    @BeforeEach
    void arenaDirectory() throws IOException {
        arenas = Files.createTempDirectory(Path.of("/dev/shm"), "quiver-test-");
    }

    @AfterEach
    void removeArenaDirectory() throws IOException {
        try (Stream<Path> files = Files.walk(arenas)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private StoreServer start(Path socket) throws IOException {
        return StoreServer.start(new StoreConfig(1 << 20, socket, arenas, false));
    }

    private void assertNothingCreated(Path socket) throws IOException {
        assertThat(socket.resolveSibling(socket.getFileName() + ".lock")).doesNotExist();
        try (Stream<Path> left = Files.list(arenas)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void aRegularFileAtTheSocketPathIsRefusedAndKept() throws IOException {
        Path socket = Files.writeString(dir.resolve("store.sock"), "someone's notes");

        assertThatThrownBy(() -> start(socket)).isInstanceOf(StoreStartException.class)
                .hasMessageContaining(socket + " is a regular file, not the socket of a Quiver store that is gone")
                .hasMessageContaining("left it alone").hasMessageContaining("another -s");
        assertThat(socket).hasContent("someone's notes");
        assertNothingCreated(socket);
    }

    @Test
    void aSymbolicLinkAtTheSocketPathIsRefusedAndKept() throws IOException {
        Path target = Files.writeString(dir.resolve("target"), "precious");
        Path socket = Files.createSymbolicLink(dir.resolve("store.sock"), target);

        assertThatThrownBy(() -> start(socket)).isInstanceOf(StoreStartException.class)
                .hasMessageContaining(socket + " is a symbolic link");
        assertThat(Files.isSymbolicLink(socket)).isTrue();
        assertThat(target).hasContent("precious");
        assertNothingCreated(socket);
    }

    @Test
    void aDirectoryAtTheSocketPathIsRefusedAndKept() throws IOException {
        Path socket = Files.createDirectory(dir.resolve("store.sock"));

        assertThatThrownBy(() -> start(socket)).isInstanceOf(StoreStartException.class)
                .hasMessageContaining(socket + " is a directory");
        assertThat(socket).isEmptyDirectory();
        assertNothingCreated(socket);
    }

    @Test
    void aSymbolicLinkAtTheLockPathIsNotFollowed() throws IOException {
        Path target = Files.writeString(dir.resolve("target"), "precious");
        Path socket = dir.resolve("store.sock");
        Path lock = Files.createSymbolicLink(dir.resolve("store.sock.lock"), target);

        assertThatThrownBy(() -> start(socket)).isInstanceOf(StoreStartException.class)
                .hasMessageContaining(lock + " is a symbolic link, not the lock file of a Quiver store");
        assertThat(target).hasContent("precious");
        assertThat(Files.isSymbolicLink(lock)).isTrue();
        assertThat(socket).doesNotExist();
    }

    @Test
    void aDirectoryAtTheLockPathIsRefusedAndKept() throws IOException {
        Path socket = dir.resolve("store.sock");
        Path lock = Files.createDirectory(dir.resolve("store.sock.lock"));

        assertThatThrownBy(() -> start(socket)).isInstanceOf(StoreStartException.class)
                .hasMessageContaining("cannot open " + lock).hasMessageContaining("refusing to start");
        assertThat(lock).isEmptyDirectory();
        assertThat(socket).doesNotExist();
    }

    @Test
    void theSocketOfAStoreThatIsGoneIsReplaced() throws IOException {
        Path socket = dir.resolve("store.sock");
        ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket)).close();
        assertThat(socket).exists(); // closing a listening channel leaves its socket file, as a killed store does

        try (StoreServer store = start(socket);
             SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertThat(client.isConnected()).isTrue();
            assertThat(Files.getAttribute(socket, "unix:mode")).isEqualTo(0140600); // a socket, owner-only
        }
        assertThat(socket).doesNotExist();
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty(); // no lock file, no directory the socket was bound in
        }
    }

    @Test
    void aMissingArenaDirectoryIsAClearErrorAndCreatesNothing() {
        Path socket = dir.resolve("store.sock");
        Path missing = dir.resolve("no-such-dir");

        assertThatThrownBy(() -> StoreServer.start(new StoreConfig(1 << 20, socket, missing, false)))
                .isInstanceOf(StoreStartException.class)
                .hasMessageContaining("arena directory " + missing + " does not exist");
        assertThat(socket).doesNotExist();
        assertThat(dir.resolve("store.sock.lock")).doesNotExist();
    }

    @Test
    void anArenaNamedWithTwentyDigitsDoesNotStopTheStoreAndIsLeftAlone() throws IOException {
        Path odd = Files.createFile(arenas.resolve("quiver-99999999999999999999-0.arena"));

        try (StoreServer store = start(dir.resolve("store.sock"))) {
            assertThat(store.arenaPath().getParent()).isEqualTo(arenas);
        }
        assertThat(odd).exists();
    }

    @Test
    void anArenaOfAnotherUserIsLeftAlone() throws IOException {
        Path foreign = Files.createFile(arenas.resolve(arenaName(DEAD_PID)));
        try {
            Files.setAttribute(foreign, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            Assumptions.abort("cannot give a file to another user here (needs root): " + e);
        }

        try (StoreServer store = start(dir.resolve("store.sock"))) {
            assertThat(foreign).exists();
        }
        assertThat(foreign).exists();
    }

    @Test
    void anUnlockedArenaIsStaleEvenIfItsPidIsAliveAgain() throws IOException {
        // The pid of a dead store may belong to another process by now: this test's JVM, say.
        Path stale = Files.createFile(arenas.resolve(arenaName(ProcessHandle.current().pid())));

        try (StoreServer store = start(dir.resolve("store.sock"))) {
            assertThat(stale).doesNotExist();
            assertThat(store.arenaPath()).exists();
        }
    }

    @Test
    void aLockedArenaIsLiveEvenIfItsPidIsUnknownHere() throws IOException {
        // A store in another PID namespace sharing this directory: its pid means nothing here, its lock does.
        Path live = Files.createFile(arenas.resolve(arenaName(DEAD_PID)));
        try (LockedFile otherStore = LockedFile.open(live, false)) {
            assertThat(otherStore.tryLock()).isTrue();

            try (StoreServer store = start(dir.resolve("store.sock"))) {
                assertThat(live).exists();
            }
            assertThat(live).exists();
        }
    }

    @Test
    void aStoreHoldsTheLockOfItsArenaUntilItStops() throws IOException {
        Path arena;
        try (StoreServer store = start(dir.resolve("store.sock"))) {
            arena = store.arenaPath();
            try (LockedFile other = LockedFile.open(arena, false)) {
                assertThat(other.tryLock()).as("another store's view of a live arena").isFalse();
            }
            assertThat(ArenaFile.removeStale(arenas)).isZero();
            assertThat(arena).exists();
        }
        assertThat(arena).doesNotExist();
    }

    private static String arenaName(long pid) {
        return "quiver-" + pid + "-0123456789abcdef.arena";
    }
}
