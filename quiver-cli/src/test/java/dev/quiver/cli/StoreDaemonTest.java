package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.ForeignUser;
import dev.quiver.protocol.ChangePage;
import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
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

    private ChildJvm startStore(Path socket, String memory, String... more) {
        List<String> args = new ArrayList<>(List.of("store", "-m", memory, "-s", socket.toString()));
        args.addAll(List.of(more));
        return ChildJvm.start(QuiverCommand.class.getName(), List.of(), args.toArray(String[]::new));
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
            assertThat(serving).contains("pre-faulted in").contains("idle backoff");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(arena))).isEqualTo("rw-------");
            assertThat(Files.size(arena)).as("the objects' bytes, then the change page")
                    .isEqualTo((32L << 20) + ChangePage.BYTES);
            try (QuiverClient c = QuiverClient.connect(socket)) {
                assertThat(c.capacity()).isEqualTo(32L << 20);
            }

            store.terminate();
            assertThat(store.waitFor(Duration.ofSeconds(30))).as("exit status after SIGTERM").isZero();
            assertThat(socket).doesNotExist();
            assertThat(arena).doesNotExist();
            assertThat(dir.resolve("store.sock.lock")).doesNotExist();
        }
    }

    @Test
    void sigintStopsTheStoreCleanlyWithStatusZero() throws Exception {
        Path socket = dir.resolve("store.sock");
        try (ChildJvm store = startStore(socket, "16m")) {
            Path arena = arenaOf(store.expect("quiver store: serving", START));

            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(store.pid())).inheritIO().start();
            assertThat(kill.waitFor()).isZero();

            assertThat(store.waitFor(Duration.ofSeconds(30))).as("exit status after SIGINT").isZero();
            assertThat(store.log()).contains("store on " + socket + " stopped");
            assertThat(socket).doesNotExist();
            assertThat(arena).doesNotExist();
            assertThat(dir.resolve("store.sock.lock")).doesNotExist();
        }
    }

    @Test
    void noOtherUserCanConnectWhileTheStoreStartsEvenWithUmask000() throws Exception {
        Assumptions.assumeTrue(ForeignUser.available(), "needs root and setpriv to run a process as another user");
        // Others may look into the directory (like /tmp), so only the socket's own mode keeps them out.
        Path shared = Files.createTempDirectory("quiver-umask",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path socket = shared.resolve("store.sock");
        try (ChildJvm intruder = ForeignUser.watchSocket(socket, "end-marker")) {
            intruder.expect("watching", START);
            List<String> command = new ArrayList<>(List.of("sh", "-c", "umask 000 && exec \"$@\"", "sh"));
            command.add(ChildJvm.javaBinary());
            command.addAll(ChildJvm.jvmFlags());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), QuiverCommand.class.getName(),
                    "store", "-m", "16m", "-s", socket.toString()));
            try (ChildJvm store = ChildJvm.command("store", command)) {
                store.expect("quiver store: serving", START);
                Files.createFile(shared.resolve("end-marker")); // after every event of the start, in order

                // Bound in place, a socket exists with the umask's mode (here 777) until it is chmod-ed: a window
                // whether or not the other user's connect lands in it. Renamed into place, it never does.
                assertThat(intruder.expect("result", START)).as("what the other user saw")
                        .isEqualTo("createdInPlace=false connected=false");
                store.terminate();
                assertThat(store.waitFor(Duration.ofSeconds(30))).isZero();
            }
        } finally {
            try (Stream<Path> files = Files.walk(shared)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void aMissingArenaDirectoryIsAOneLineUsageError() {
        Path missing = dir.resolve("no-such-dir");

        Cli r = Cli.run("store", "-m", "16m", "-s", dir.resolve("s.sock").toString(), "-d", missing.toString());

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("quiver store: -d " + missing + ": no such directory; create it, or leave -d")
                .hasLineCount(1);
        assertThat(dir.resolve("s.sock")).doesNotExist();
        assertThat(dir.resolve("s.sock.lock")).doesNotExist();
    }

    @Test
    void anArenaDirectoryOnDiskGetsAWarning() throws Exception {
        String type = Files.getFileStore(dir).type();
        Assumptions.assumeFalse(type.equals("tmpfs") || type.equals("hugetlbfs"), "needs a directory on disk");
        Path socket = dir.resolve("store.sock");
        try (ChildJvm store = ChildJvm.start(QuiverCommand.class.getName(), List.of(), "store", "-m", "4m", "-s",
                socket.toString(), "-d", dir.toString())) {
            assertThat(arenaOf(store.expect("quiver store: serving", START)).getParent()).isEqualTo(dir);
            assertThat(store.log()).contains("arena directory " + dir + " is on ")
                    .contains("not tmpfs or hugetlbfs: the kernel will write the arena's pages back to disk");
        }
    }

    @Test
    void anArenaDirectoryInMemoryGetsNoWarning() throws Exception {
        Path socket = dir.resolve("store.sock");
        try (ChildJvm store = startStore(socket, "4m")) {
            store.expect("quiver store: serving", START);
            assertThat(store.log()).doesNotContain("back to disk");
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
        // An arena directory of its own: a store that another test starts meanwhile on this machine would
        // otherwise be the one that removes the stale arena.
        Path arenas = Files.createTempDirectory(Path.of("/dev/shm"), "quiver-test-");
        Path socket = dir.resolve("store.sock");
        Path staleArena;
        try {
            try (ChildJvm killed = startStore(socket, "16m", "-d", arenas.toString())) {
                staleArena = arenaOf(killed.expect("quiver store: serving", START));
                killed.kill();
            }
            assertThat(socket).exists();
            assertThat(staleArena).exists();

            try (ChildJvm next = startStore(socket, "16m", "-d", arenas.toString())) {
                Path arena = arenaOf(next.expect("quiver store: serving", START));
                assertThat(staleArena).doesNotExist();
                assertThat(arena).isNotEqualTo(staleArena).exists();
                try (QuiverClient c = QuiverClient.connect(socket);
                     WritableObject o = c.create(ObjectId.random(), 10)) {
                    o.seal();
                }
                assertThat(next.log()).contains("replaced the socket of a store that is gone")
                        .contains("removed the arena of a store that is gone");
            }
        } finally {
            try (Stream<Path> left = Files.list(arenas)) {
                for (Path p : left.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.delete(arenas);
        }
    }

    @Test
    void aConnectionMemoryTooSmallForTheLargestFramesIsRefusedAndNothingIsCreated() throws IOException {
        Path arenas = Files.createDirectories(dir.resolve("arenas"));
        Path socket = dir.resolve("store.sock");

        Cli r = Cli.run("store", "-m", "1m", "-s", socket.toString(), "-d", arenas.toString(),
                "--connection-memory", "1m");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--connection-memory must be at least 33.0 MiB").contains("got 1048576");
        assertThat(socket).doesNotExist();
        try (Stream<Path> left = Files.list(arenas)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void anUnknownIdleModeIsRefusedWithTheChoicesAndNothingIsCreated() throws IOException {
        Path arenas = Files.createDirectories(dir.resolve("arenas"));
        Path socket = dir.resolve("store.sock");

        Cli r = Cli.run("store", "-m", "1m", "-s", socket.toString(), "-d", arenas.toString(), "--idle", "fast");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown idle mode 'fast'; use spin, backoff or park");
        assertThat(socket).doesNotExist();
        try (Stream<Path> left = Files.list(arenas)) {
            assertThat(left).isEmpty();
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
