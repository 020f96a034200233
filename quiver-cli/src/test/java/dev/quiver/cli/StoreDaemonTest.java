package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quiver store} as a real daemon process: files, permissions, exclusivity, signals, stale files. */
class StoreDaemonTest {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Pattern ARENA = Pattern.compile("arena (\\S+),");

    @TempDir
    Path dir;

    private ChildJvm startStore(Path socket, String memory) {
        return ChildJvm.start(QuiverCommand.class.getName(), List.of(), "store", "-m", memory, "-s",
                socket.toString());
    }

    private static Path arenaOf(String servingLine) {
        Matcher m = ARENA.matcher(servingLine);
        assertThat(m.find()).as("arena path in: %s", servingLine).isTrue();
        return Path.of(m.group(1));
    }

    @Test
    void socketAndArenaAreOwnerOnlyAndSigtermRemovesEveryFile() throws Exception {
        Path socket = dir.resolve("store.sock");
        try (ChildJvm store = startStore(socket, "32m")) {
            String serving = store.expect("quiver store: serving", START);
            Path arena = arenaOf(serving);
            assertThat(serving).contains("pre-faulted in");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(arena))).isEqualTo("rw-------");
            assertThat(Files.size(arena)).isEqualTo(32L << 20);
            try (QuiverClient c = QuiverClient.connect(socket)) {
                assertThat(c.capacity()).isEqualTo(32L << 20);
            }

            store.terminate();
            assertThat(store.waitFor(Duration.ofSeconds(30))).as("exit status after SIGTERM").isIn(0, 143);
            assertThat(socket).doesNotExist();
            assertThat(arena).doesNotExist();
            assertThat(dir.resolve("store.sock.lock")).doesNotExist();
        }
    }

    @Test
    void aSecondStoreOnAServedSocketIsRefusedAndTheFirstKeepsServing() throws Exception {
        Path socket = dir.resolve("store.sock");
        try (ChildJvm first = startStore(socket, "16m")) {
            first.expect("quiver store: serving", START);
            ObjectId id = ObjectId.random();
            try (QuiverClient c = QuiverClient.connect(socket)) {
                c.createAndSeal(id, java.lang.foreign.MemorySegment.ofArray(new byte[] {1, 2, 3}),
                        java.lang.foreign.MemorySegment.NULL);
            }

            Cli second = Cli.run("store", "-m", "16m", "-s", socket.toString());

            assertThat(second.exit()).isEqualTo(1);
            assertThat(second.err()).contains("already serves " + socket).contains("pid " + first.pid());
            try (QuiverClient c = QuiverClient.connect(socket);
                 ObjectBuffer b = c.get(id, 0).orElseThrow()) {
                assertThat(b.data().byteSize()).isEqualTo(3);
            }
        }
    }

    @Test
    void filesOfAKilledStoreAreCleanedUpByTheNextStore() throws Exception {
        Path socket = dir.resolve("store.sock");
        Path staleArena;
        try (ChildJvm killed = startStore(socket, "16m")) {
            staleArena = arenaOf(killed.expect("quiver store: serving", START));
            killed.kill();
        }
        assertThat(socket).exists();
        assertThat(staleArena).exists();

        try (ChildJvm next = startStore(socket, "16m")) {
            Path arena = arenaOf(next.expect("quiver store: serving", START));
            assertThat(staleArena).doesNotExist();
            assertThat(arena).isNotEqualTo(staleArena).exists();
            try (QuiverClient c = QuiverClient.connect(socket); WritableObject o = c.create(ObjectId.random(), 10)) {
                o.seal();
            }
            assertThat(next.log()).contains("removed the socket of a store that is gone")
                    .contains("removed the arena of a store that is gone");
        }
    }

    @Test
    void memoryBeyondTheFreeSpaceIsRefusedWithTheLimitAndNothingIsLeftBehind() throws IOException {
        Path arenas = Files.createDirectories(dir.resolve("arenas"));
        Path socket = dir.resolve("store.sock");

        Cli r = Cli.run("store", "-m", "100t", "-s", socket.toString(), "-d", arenas.toString());

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("refusing to start: -m 100.0 TiB exceeds the").contains("free in " + arenas)
                .contains("choose -m");
        assertThat(socket).doesNotExist();
        assertThat(dir.resolve("store.sock.lock")).doesNotExist();
        try (Stream<Path> left = Files.list(arenas)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void badSizesAndMissingOptionsAreClearErrors() {
        Cli bad = Cli.run("store", "-m", "lots", "-s", dir.resolve("s.sock").toString());
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("'lots' is not a size").contains("512m");

        Cli missing = Cli.run("store", "-s", dir.resolve("s.sock").toString());
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err()).contains("Missing required option").contains("--memory");
    }

    @Test
    void hugePagesOnAnOrdinaryDirectoryAreRefused() {
        Cli r = Cli.run("store", "-m", "4m", "-s", dir.resolve("s.sock").toString(), "-d", dir.toString(), "-h");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("-h:").contains("not a hugepage mount");
        assertThat(dir.resolve("s.sock")).doesNotExist();
    }

    @Test
    void hugePagesOnATmpfsMountedWithHugeAlways() throws Exception {
        Path mount = Files.createDirectories(dir.resolve("huge"));
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "huge=always,size=64m,mode=0700", "tmpfs",
                mount.toString()).redirectErrorStream(true).start();
        Assumptions.assumeTrue(m.waitFor() == 0, "cannot mount tmpfs with huge=always here (needs root)");
        try (StoreServer store = StoreServer.start(new StoreConfig(5 << 20, dir.resolve("h.sock"), mount, true));
             QuiverClient c = QuiverClient.connect(store.socket())) {
            assertThat(store.arenaPath().getParent()).isEqualTo(mount);
            assertThat(c.capacity()).isEqualTo(6L << 20); // rounded up to whole 2 MiB pages
            ObjectId id = ObjectId.random();
            c.createAndSeal(id, java.lang.foreign.MemorySegment.ofArray(new byte[3 << 20]),
                    java.lang.foreign.MemorySegment.NULL);
            assertThat(c.contains(id)).isTrue();
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor();
        }
    }
}
