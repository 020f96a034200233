package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.ClientChild;
import dev.quiver.client.testing.StoreChild;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without the JVM flag Agrona needs, rings cannot be had: a store answers without them (its clients stay on the
 * socket, and its log says why), and a client that asks for them is told what to add, before it connects.
 */
class RingsUnavailableTest {
    private static final String AGRONA_FLAG = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    @TempDir
    Path dir;

    @Test
    void aStoreWithoutTheFlagServesRingClientsOnTheSocket() throws Exception {
        Path socket = dir.resolve("store.sock");
        try (ChildJvm store = ChildJvm.command("StoreChild", javaWithoutTheFlag(StoreChild.class.getName(),
                List.of("-Dorg.slf4j.simpleLogger.logFile=System.out"), socket.toString(), String.valueOf(1 << 20)))) {
            store.awaitLine("", "without command rings", WAIT);
            Path arena = Path.of(store.expect("ready", WAIT));
            try (QuiverClient c = QuiverClient.connect(socket,
                    ClientOptions.defaults().withTransport(ClientOptions.Transport.RINGS))) {
                assertThat(c.transport()).isEqualTo(ClientOptions.Transport.SOCKET);
                put(c, id("x"), 100, 0, 1);
                assertThat(c.contains(id("x"))).isTrue();
            }
            store.send("stop");
            store.expect("stopped", WAIT);
            Files.deleteIfExists(arena);
        }
    }

    @Test
    void aClientWithoutTheFlagIsToldWhatToAdd() {
        try (ChildJvm client = ChildJvm.command("ClientChild", javaWithoutTheFlag(ClientChild.class.getName(),
                List.of("-D" + ClientOptions.TRANSPORT_PROPERTY + "=rings"), dir.resolve("none.sock").toString()))) {
            assertThat(client.waitFor(WAIT)).isNotZero();
            assertThat(client.log()).contains("IllegalStateException").contains(AGRONA_FLAG);
        }
    }

    private static List<String> javaWithoutTheFlag(String main, List<String> options, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ChildJvm.javaBinary());
        ChildJvm.jvmFlags().stream().filter(f -> !f.contains("jdk.internal.misc")).forEach(cmd::add);
        cmd.addAll(options);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main);
        cmd.addAll(List.of(args));
        return cmd;
    }
}
