package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's Flight endpoint across a network: the store ({@code quiver store --flight}) runs in one network
 * namespace, a reader ({@code quiver tail --remote}) in another, joined by a veth pair, so the reader reaches the
 * store only through the network (its loopback is not the store's). Skipped where network namespaces cannot be made.
 */
class FlightNamespacesTest {
    private static final Duration GUARD = Duration.ofSeconds(90);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TOKEN = "namespaces-test-token";

    @TempDir
    Path dir;

    @Test
    void aReaderInAnotherNetworkNamespaceFollowsAStreamServedFromThisOne() throws Exception {
        String unavailable = NetworkNamespaces.unavailable();
        Assumptions.assumeTrue(unavailable == null, () -> "skipped: " + unavailable);
        Path socket = dir.resolve("store.sock");
        Path tokens = Files.createFile(dir.resolve("tokens"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokens, "# the reader's token\n" + TOKEN + "\n");

        assertTimeoutPreemptively(GUARD, () -> {
            // The namespaces go last: the processes in them end first (try-with-resources closes in reverse).
            try (NetworkNamespaces ns = NetworkNamespaces.create();
                 ChildJvm store = ChildJvm.command("store", ns.inServer(quiver("store", "-m", "32m",
                         "-s", socket.toString(), "--flight", NetworkNamespaces.SERVER_ADDRESS + ":0",
                         "--flight-tokens", tokens.toString())))) {
                String uri = store.expect("quiver store: flight", WAIT);
                assertThat(uri).startsWith("grpc+tcp://" + NetworkNamespaces.SERVER_ADDRESS + ":");
                store.expect("quiver store: serving", WAIT);

                // The writer is this JVM: the store's socket and arena are files, which namespaces do not separate.
                try (QuiverClient client = QuiverClient.connect(socket);
                     BufferAllocator allocator = new RootAllocator();
                     StreamWriter writer = StreamWriter.open(new ArrowStore(client, allocator), "ticks",
                             Retention.ALL)) {
                    append(writer, allocator, 0, 3);

                    // Without the token the other namespace's reader is refused, and reads nothing.
                    try (ChildJvm intruder = ChildJvm.command("intruder", ns.inClient(quiver("tail", "ticks",
                            "--from", "earliest", "--remote", uri)))) {
                        assertThat(intruder.waitFor(WAIT)).isEqualTo(1);
                        assertThat(intruder.log()).contains("UNAUTHENTICATED");
                    }

                    try (ChildJvm reader = ChildJvm.command("reader", ns.inClient(quiver("tail", "ticks",
                            "--from", "earliest", "--remote", uri, "--token-file", tokens.toString())))) {
                        List<String> lines = new ArrayList<>();
                        for (int i = 0; i < 3; i++) {
                            lines.add(reader.readLine(WAIT));
                        }
                        // the reader is following live: what is appended now reaches it, then the end
                        append(writer, allocator, 3, 2);
                        writer.end();
                        for (int i = 0; i < 3; i++) {
                            lines.add(reader.readLine(WAIT));
                        }
                        assertThat(lines).containsExactly("seq=0 rows=1", "seq=1 rows=2", "seq=2 rows=3",
                                "seq=3 rows=4", "seq=4 rows=5", "END batches=5");
                        assertThat(reader.waitFor(WAIT)).as(reader.log()).isZero();
                    }
                }
            }
        });
    }

    /** Appends batches {@code from} .. {@code from + n - 1}; batch i has i + 1 rows. */
    private static void append(StreamWriter writer, BufferAllocator allocator, int from, int n) {
        for (int seq = from; seq < from + n; seq++) {
            try (BigIntVector v = new BigIntVector("v", allocator)) {
                for (int row = 0; row <= seq; row++) {
                    v.setSafe(row, seq * 100L + row);
                }
                v.setValueCount(seq + 1);
                try (VectorSchemaRoot root = VectorSchemaRoot.of(v)) {
                    writer.append(root);
                }
            }
        }
    }

    /** The quiver command in a child JVM of this test's java, classpath and flags. */
    private static List<String> quiver(String... args) {
        List<String> command = new ArrayList<>();
        command.add(ChildJvm.javaBinary());
        command.addAll(ChildJvm.jvmFlags());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), QuiverCommand.class.getName()));
        command.addAll(List.of(args));
        return command;
    }
}
