package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.StoreChild;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --timeout}: a client command against a store that does not answer ends, with a one-line message. */
class ClientTimeoutTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void statsAgainstAFrozenStoreExitsNonZeroWithOneLine() throws IOException {
        Path socket = dir.resolve("store.sock");
        try (ChildJvm store = ChildJvm.start(StoreChild.class, socket.toString(), String.valueOf(4 << 20))) {
            Path arena = Path.of(store.expect("ready", WAIT));
            try {
                assertThat(Cli.run("stats", "-s", socket.toString(), "--timeout", "1s").exit())
                        .as("a running store answers").isZero();
                store.suspend(); // SIGSTOP: the kernel still accepts the connection, nobody answers it
                try {
                    Cli r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                            () -> Cli.run("stats", "-s", socket.toString(), "--timeout", "1s"));
                    assertThat(r.exit()).isNotZero();
                    assertThat(r.out()).isEmpty();
                    assertThat(r.err().strip()).doesNotContain("\n").startsWith("quiver stats: ")
                            .contains("did not answer CONNECT within 1 s").contains(socket.toString());
                } finally {
                    store.resume();
                }
            } finally {
                store.send("stop");
                store.waitFor(WAIT);
                Files.deleteIfExists(arena);
            }
        }
    }

    @Test
    void everyClientCommandTakesTimeout() {
        Set<String> withTimeout = new TreeSet<>();
        new CommandLine(new QuiverCommand()).getSubcommands().forEach((name, sub) -> {
            if (sub.getCommand() instanceof ClientCommand) {
                assertThat(sub.getCommandSpec().findOption("--timeout")).as(name + " --timeout").isNotNull();
                withTimeout.add(name);
            }
        });
        assertThat(withTimeout).contains("ls", "stats", "watch", "rm", "evict", "put", "get", "tail");
    }

    @Test
    void aTimeoutMustBeAPositiveDuration() {
        Path socket = dir.resolve("none.sock");
        Cli zero = Cli.run("stats", "-s", socket.toString(), "--timeout", "0s");
        assertThat(zero.exit()).isNotZero();
        assertThat(zero.err()).contains("--timeout must be positive");
        assertThat(socket).as("nothing was tried").doesNotExist();

        Cli words = Cli.run("stats", "-s", socket.toString(), "--timeout", "soon");
        assertThat(words.exit()).isNotZero();
        assertThat(words.err()).contains("'soon' is not a duration");
    }
}
