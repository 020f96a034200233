package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quiver store --config FILE}: the file gives the settings the flags give, and flags override it. */
class StoreConfigFileTest {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void theFileSetsTheStoreUpAndFlagsOverrideIt() throws Exception {
        Path arenas = Files.createDirectories(dir.resolve("arenas"));
        Path socket = dir.resolve("from-file.sock");
        Path file = write("quiver.properties", "# a store for the test", "memory=8m", "socket=" + socket,
                "directory=" + arenas, "idle=park");
        try (ChildJvm store = ChildJvm.start(QuiverCommand.class.getName(), List.of(),
                "store", "--config", file.toString(), "-m", "12m")) {
            String serving = store.expect("quiver store: serving", START);
            assertThat(serving).as("idle mode from the file").contains("idle park");
            try (QuiverClient c = QuiverClient.connect(socket)) {
                assertThat(c.capacity()).as("-m on the command line beats memory= in the file").isEqualTo(12L << 20);
                assertThat(c.arenaPath().getParent()).as("directory from the file").isEqualTo(arenas);
            }
            store.terminate();
            assertThat(store.waitFor(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void anUnknownSettingIsRefusedNamingItAndTheSettingsAndNothingIsCreated() throws IOException {
        Path socket = dir.resolve("s.sock");
        Path file = write("bad.properties", "memory=8m", "socket=" + socket, "memroy=16m");

        Cli r = Cli.run("store", "--config", file.toString());

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown setting 'memroy'").contains("memory").contains("idle")
                .contains(file.toString());
        assertThat(socket).doesNotExist();
    }

    @Test
    void aBadValueInTheFileIsTheFlagsErrorNamingTheFile() throws IOException {
        Path file = write("bad-size.properties", "memory=lots", "socket=" + dir.resolve("s.sock"));

        Cli r = Cli.run("store", "--config", file.toString());

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(file.toString()).contains("'lots' is not a size");
        assertThat(dir.resolve("s.sock")).doesNotExist();
    }

    @Test
    void aMissingFileOrAMissingMemoryAreClearErrors() throws IOException {
        Cli missingFile = Cli.run("store", "--config", dir.resolve("nowhere.properties").toString());
        assertThat(missingFile.exit()).isEqualTo(2);
        assertThat(missingFile.err()).contains("nowhere.properties").contains("cannot read it");

        Path arenas = Files.createDirectories(dir.resolve("arenas"));
        Path file = write("no-memory.properties", "socket=" + dir.resolve("s.sock"), "directory=" + arenas);
        Cli noMemory = Cli.run("store", "--config", file.toString());
        assertThat(noMemory.exit()).isEqualTo(2);
        assertThat(noMemory.err()).contains("Missing required option").contains("--memory");
        try (Stream<Path> left = Files.list(arenas)) {
            assertThat(left).isEmpty();
        }
    }

    private Path write(String name, String... lines) throws IOException {
        return Files.write(dir.resolve(name), List.of(lines));
    }
}
