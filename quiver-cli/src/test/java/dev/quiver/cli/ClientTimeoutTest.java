package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.StoreChild;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
                    String s = socket.toString();
                    // each command, as its error names it, with its arguments
                    for (Map.Entry<String, List<String>> c : List.of(
                            Map.entry("quiver stats", List.of("stats", "-s", s, "--timeout", "1s")),
                            Map.entry("quiver who", List.of("who", "-s", s, "--timeout", "1s")),
                            Map.entry("quiver streams", List.of("streams", "-s", s, "--timeout", "1s")),
                            Map.entry("quiver streams rm",
                                    List.of("streams", "rm", "ticks", "-s", s, "--timeout", "1s")),
                            Map.entry("quiver streams describe", // options given to the parent apply
                                    List.of("streams", "-s", s, "--timeout", "1s", "describe", "ticks")),
                            Map.entry("quiver head", List.of("head", "prices", "-s", s, "--timeout", "1s")),
                            Map.entry("quiver rm", List.of("rm", "--key", "prices", "-s", s, "--timeout", "1s")),
                            Map.entry("quiver ls", List.of("ls", "-s", s, "--timeout", "1s")))) {
                        Cli r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                                () -> Cli.run(c.getValue().toArray(String[]::new)));
                        assertThat(r.exit()).as(c.getKey()).isNotZero();
                        assertThat(r.out()).as(c.getKey()).isEmpty();
                        assertThat(r.err().strip()).as(c.getKey()).doesNotContain("\n").startsWith(c.getKey() + ": ")
                                .contains("did not answer CONNECT within 1 s").contains(s);
                    }
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
    void remoteGetPutAndTailAgainstAFrozenFlightEndpointExitWithOneLine() throws IOException {
        Path socket = dir.resolve("store.sock");
        Path csv = Files.writeString(dir.resolve("prices.csv"), "id,name\n1,a\n");
        try (ChildJvm store = ChildJvm.start(QuiverCommand.class.getName(), List.of(), "store", "-m", "16m", "-s",
                socket.toString(), "--flight", "0")) {
            String uri = store.expect("quiver store: flight", WAIT);
            store.expect("quiver store: serving", WAIT);
            assertThat(Cli.run("put", csv.toString(), "--key", "first", "--remote", uri, "--timeout", "5s").exit())
                    .as("a running endpoint answers").isZero();
            store.suspend(); // SIGSTOP: the kernel still accepts the connection, nobody answers it
            try {
                for (Map.Entry<String, List<String>> c : List.of(
                        Map.entry("quiver get", List.of("get", "first", "-o", dir.resolve("first.arrow").toString(),
                                "--remote", uri, "--timeout", "1s")),
                        Map.entry("quiver put", List.of("put", csv.toString(), "--key", "second", "--remote", uri,
                                "--timeout", "1s")),
                        Map.entry("quiver tail", List.of("tail", "ticks", "--remote", uri, "--timeout", "1s")))) {
                    Cli r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                            () -> Cli.run(c.getValue().toArray(String[]::new)), c.getKey() + " hung");
                    assertThat(r.exit()).as(c.getKey()).isEqualTo(1);
                    assertThat(r.out()).as(c.getKey()).isEmpty();
                    assertThat(r.err().strip()).as(c.getKey()).doesNotContain("\n").startsWith(c.getKey() + ": ")
                            .contains("did not answer within 1 s").contains(uri).contains("--timeout");
                }
            } finally {
                store.resume();
            }
            // nothing was written by the put that gave up, nor by the get
            Cli keys = Cli.run("ls", "--keys", "-s", socket.toString(), "--json");
            assertThat(keys.out()).contains("first").doesNotContain("second");
            assertThat(dir.resolve("first.arrow")).doesNotExist();
            store.terminate();
            assertThat(store.waitFor(WAIT)).isZero();
        }
    }

    @Test
    void everyClientCommandTakesTimeout() {
        Set<String> withTimeout = new TreeSet<>();
        collect(new CommandLine(new QuiverCommand()), withTimeout);
        assertThat(withTimeout).contains("quiver ls", "quiver stats", "quiver watch", "quiver rm", "quiver evict",
                "quiver put", "quiver get", "quiver tail", "quiver head", "quiver who", "quiver streams",
                "quiver streams rm", "quiver streams describe");
    }

    /** Every client command under {@code cli}, by qualified name, each checked for --timeout. */
    private static void collect(CommandLine cli, Set<String> withTimeout) {
        cli.getSubcommands().values().forEach(sub -> {
            if (sub.getCommand() instanceof ClientCommand) {
                String name = sub.getCommandSpec().qualifiedName();
                assertThat(sub.getCommandSpec().findOption("--timeout")).as(name + " --timeout").isNotNull();
                withTimeout.add(name);
            }
            collect(sub, withTimeout);
        });
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
