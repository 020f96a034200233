package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in headless Chromium against a live store: {@code src/test/web/status-page.mjs} (Playwright's
 * {@code playwright-core} driving Debian's {@code chromium}) checks that the page shows what {@code quiver stats --json},
 * {@code quiver ls --keys --json} and {@code quiver streams --json} say while this test makes objects, a stream and its
 * readers come and go, and saves a screenshot
 * ({@code target/status-page.png}, or where {@code -Dquiver.screenshot=PATH} says: docs/status-page.png is made so).
 * Skipped, with the reason, only when node or chromium is missing; {@code .ci/run} installs both.
 */
class StatusPageBrowserTest {
    private static final Path WEB = Path.of("src/test/web").toAbsolutePath();
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void thePageShowsWhatTheCliSaysWhileObjectsComeAndGo() throws Exception {
        Path chromium = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
        Assumptions.assumeTrue(Files.isExecutable(chromium), "no Chromium at " + chromium
                + " (apt-get install chromium, or set CHROMIUM): the status page's browser test is skipped");
        Assumptions.assumeTrue(onPath("node"), "no node on PATH (apt-get install nodejs): the status page's browser"
                + " test is skipped");
        installPlaywright();
        Path screenshot = Path.of(System.getProperty("quiver.screenshot", "target/status-page.png")).toAbsolutePath();
        Files.createDirectories(screenshot.getParent());

        Path socket = dir.resolve("store.sock");
        try (StoreServer store = StoreServer.start(StoreConfig.of(64 * MIB, socket)
                .withHttp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))) {
            List<String> cli = new ArrayList<>();
            cli.add(ChildJvm.javaBinary());
            cli.addAll(ChildJvm.jvmFlags());
            cli.addAll(List.of("-cp", System.getProperty("java.class.path"), QuiverCommand.class.getName()));
            ProcessBuilder pb = new ProcessBuilder("node", "status-page.mjs", store.httpUrl())
                    .directory(WEB.toFile()).redirectErrorStream(true);
            pb.environment().put("QUIVER_CLI", Json.of(cli));
            pb.environment().put("QUIVER_SOCKET", socket.toString());
            pb.environment().put("SCREENSHOT", screenshot.toString());
            pb.environment().put("CHROMIUM", chromium.toString());
            Process node = pb.start();
            try {
                assertTimeoutPreemptively(Duration.ofMinutes(5), () -> drive(node, socket));
            } finally {
                node.destroyForcibly();
            }
        }
        assertThat(screenshot).isNotEmptyFile();
    }

    /** Makes the store change between the script's checks (see status-page.mjs). */
    private void drive(Process node, Path socket) throws Exception {
        BufferedReader from = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter to = new PrintWriter(node.getOutputStream(), true, StandardCharsets.UTF_8);
        StringBuilder log = new StringBuilder();
        await(from, log, "checked 0"); // an empty store

        Path csv = dir.resolve("prices.csv");
        StringBuilder rows = new StringBuilder("symbol,price\n");
        for (int i = 0; i < 50_000; i++) {
            rows.append("s").append(i % 40).append(',').append(i * 0.25).append('\n');
        }
        Files.writeString(csv, rows);
        for (String key : List.of("prices", "quotes")) {
            Cli put = Cli.run("put", csv.toString(), "--key", key, "-s", socket.toString());
            assertThat(put.exit()).as(put.err()).isZero();
        }
        to.println("next");
        await(from, log, "checked 1"); // two shelf keys

        try (QuiverClient holder = QuiverClient.connect(socket);
             BufferAllocator allocator = new RootAllocator()) {
            // A stream with two readers, 2 and 5 batches behind its writer.
            ArrowStore arrow = new ArrowStore(holder, allocator);
            StreamWriter ticks = StreamWriter.open(arrow, "ticks", Retention.ALL);
            for (long seq = 0; seq < 6; seq++) {
                try (BigIntVector v = new BigIntVector("v", allocator)) {
                    v.allocateNew(4);
                    for (int i = 0; i < 4; i++) {
                        v.set(i, seq * 4 + i);
                    }
                    v.setValueCount(4);
                    ticks.append(VectorSchemaRoot.of(v));
                }
            }
            StreamReader near = StreamReader.open(arrow, "ticks", StreamReader.Start.at(4));
            StreamReader far = StreamReader.open(arrow, "ticks", StreamReader.Start.EARLIEST);
            ((StreamEvent.Batch) far.next(Duration.ofSeconds(10))).close();
            List<ObjectId> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ObjectId id = ObjectId.random();
                try (WritableObject o = holder.create(id, (4L + 2 * i) * MIB)) {
                    o.seal();
                }
                ids.add(id);
            }
            WritableObject writing = holder.create(ObjectId.random(), 3 * MIB);
            ObjectBuffer a = holder.get(ids.get(0), 0).orElseThrow();
            ObjectBuffer b = holder.get(ids.get(2), 0).orElseThrow();
            holder.flush();
            to.println("next");
            await(from, log, "checked 2"); // pinned, evictable, being written, a client holding them
            to.println("screenshot");
            await(from, log, "screenshot saved");

            a.close();
            b.close();
            writing.abort();
            far.close(); // a reader gone; the other stays, and the writer ends the stream
            ticks.end();
            ((StreamEvent.Batch) near.next(Duration.ofSeconds(10))).close();
            holder.delete(ids.get(1));
            holder.flush();
            to.println("next");
            await(from, log, "checked 3"); // released, aborted, deleted; a reader closed, another moved
            near.close();
        }
        to.println("done");
        await(from, log, "status page: all checks passed");
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as(log.toString()).isZero();
    }

    private static void await(BufferedReader from, StringBuilder log, String expected) throws IOException {
        String line;
        while ((line = from.readLine()) != null) {
            log.append(line).append('\n');
            if (line.equals(expected)) {
                return;
            }
            if (line.startsWith("FAILED")) {
                throw new AssertionError("the status page script failed:\n" + log);
            }
        }
        throw new AssertionError("the status page script ended before '" + expected + "':\n" + log);
    }

    /** {@code npm ci} in src/test/web when playwright-core is not installed there yet. */
    private static void installPlaywright() throws Exception {
        if (Files.isDirectory(WEB.resolve("node_modules/playwright-core"))) {
            return;
        }
        Assumptions.assumeTrue(onPath("npm"), "no npm on PATH to install playwright-core (apt-get install npm)");
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--silent").directory(WEB.toFile())
                .redirectErrorStream(true).start();
        String out = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(npm.waitFor()).as("npm ci in %s:%n%s", WEB, out).isZero();
    }

    private static boolean onPath(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }
}
