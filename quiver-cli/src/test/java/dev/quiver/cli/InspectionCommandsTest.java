package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** ls, stats, watch, rm and evict against a real store, in text and JSON. */
class InspectionCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    @RegisterExtension
    final RunningStore store = new RunningStore(16 << 20);
    QuiverClient client;
    String socket;

    @BeforeEach
    void start() throws Exception {
        client = store.client();
        socket = store.server().socket().toString();
    }

    @AfterEach
    void stop() {
    }

    private ObjectId put(int bytes) {
        ObjectId id = ObjectId.random();
        client.createAndSeal(id, MemorySegment.ofArray(new byte[bytes]), MemorySegment.ofArray(new byte[] {9}));
        return id;
    }

    @Test
    void lsShowsEveryObjectInTextAndJson() throws Exception {
        ObjectId a = put(1000);
        ObjectId b = put(2000);

        Cli text = Cli.run("ls", "-s", socket);
        assertThat(text.exit()).isZero();
        assertThat(text.out()).contains("ID", "STATE", "REFS", a.toString(), b.toString(), "sealed", "2 objects");

        JsonNode json = JSON.readTree(Cli.run("ls", "-s", socket, "--objects", "--json").out());
        assertThat(json).hasSize(2);
        assertThat(json.get(0).get("id").asText()).isEqualTo(a.toString());
        assertThat(json.get(0).get("dataSize").asLong()).isEqualTo(1000);
        assertThat(json.get(0).get("metadataSize").asLong()).isEqualTo(1);
        assertThat(json.get(1).get("dataSize").asLong()).isEqualTo(2000);
        assertThat(json.get(1).get("digest").asText()).isEqualTo(Long.toHexString(client.hash(b)));

        // without --objects: the shelf's keys (none here) and the same objects
        JsonNode both = JSON.readTree(Cli.run("ls", "-s", socket, "--json").out());
        assertThat(both.get("keys")).isEmpty();
        assertThat(both.get("objects")).isEqualTo(json);
    }

    @Test
    void statsReportsMemoryAndCounts() throws Exception {
        put(100);
        try (ObjectBuffer held = client.get(put(1000), 0).orElseThrow()) {
            JsonNode s = JSON.readTree(Cli.run("stats", "-s", socket, "--json").out());
            assertThat(s.get("capacity").asLong()).isEqualTo(16 << 20);
            assertThat(s.get("objects").asLong()).isEqualTo(2);
            assertThat(s.get("used").asLong()).isEqualTo(128 + 1024);
            assertThat(s.get("pinned").asLong()).isEqualTo(1024);
            assertThat(s.get("evictable").asLong()).isEqualTo(128);
            assertThat(s.get("clients").asInt()).isEqualTo(2); // this test's client and the command's

            Cli text = Cli.run("stats", "-s", socket);
            assertThat(text.out()).contains("capacity    16.0 MiB", "objects     2", "pinned      1.0 KiB");
        }
    }

    @Test
    void rmDeletesDefersAndReportsUnknownIds() throws Exception {
        ObjectId free = put(10);
        ObjectId held = put(10);
        ObjectId unknown = ObjectId.random();
        try (ObjectBuffer b = client.get(held, 0).orElseThrow()) {
            Cli r = Cli.run("rm", "-s", socket, "--json", free.toString(), held.toString(), unknown.toString());
            assertThat(r.exit()).isEqualTo(1);
            JsonNode json = JSON.readTree(r.out());
            assertThat(json.get(free.toString()).asText()).isEqualTo("deleted");
            assertThat(json.get(held.toString()).asText()).isEqualTo("deferred");
            assertThat(json.get(unknown.toString()).asText()).isEqualTo("not found");
            assertThat(client.contains(free)).isFalse();
            assertThat(client.contains(held)).isFalse();
        }
        assertThat(client.stats().objects()).isZero();
    }

    @Test
    void rmWithAMalformedIdDeletesNothing() {
        ObjectId a = put(10);
        Cli r = Cli.run("rm", "-s", socket, a.toString(), "not-an-id");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("not-an-id");
        assertThat(client.contains(a)).isTrue();
    }

    @Test
    void evictFreesUnreferencedObjectsAndReportsExactBytes() throws Exception {
        put(1000); // 1024 bytes in the arena
        put(2000); // 2048
        ObjectId pinned = put(64);
        try (ObjectBuffer b = client.get(pinned, 0).orElseThrow()) {
            JsonNode r = JSON.readTree(Cli.run("evict", "-s", socket, "--json", "1m").out());
            assertThat(r.get("freed").asLong()).isEqualTo(1024 + 2048);
            assertThat(client.contains(pinned)).isTrue();
            assertThat(Cli.run("evict", "-s", socket, "1k").out()).contains("freed 0 B");
        }
    }

    @Test
    void watchPrintsAlreadySealedObjectsThenLiveEvents() throws Exception {
        ObjectId before = put(10);
        try (ChildJvm watch = ChildJvm.start(QuiverCommand.class.getName(), List.of(), "watch", "-s", socket,
                "--json", "-n", "3")) {
            JsonNode first = JSON.readTree(watch.readLine(Duration.ofSeconds(60)));
            assertThat(first.get("event").asText()).isEqualTo("sealed");
            assertThat(first.get("id").asText()).isEqualTo(before.toString());

            ObjectId after = put(20);
            JsonNode second = JSON.readTree(watch.readLine(Duration.ofSeconds(30)));
            assertThat(second.get("event").asText()).isEqualTo("sealed");
            assertThat(second.get("id").asText()).isEqualTo(after.toString());
            assertThat(second.get("dataSize").asLong()).isEqualTo(20);

            client.delete(before);
            JsonNode third = JSON.readTree(watch.readLine(Duration.ofSeconds(30)));
            assertThat(third.get("event").asText()).isEqualTo("deleted");
            assertThat(third.get("id").asText()).isEqualTo(before.toString());
            assertThat(watch.waitFor(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void commandsWithoutAStoreNameTheSocketAndSuggestStartingOne() {
        Path nowhere = dir.resolve("nobody-here.sock");
        Cli r = Cli.run("stats", "-s", nowhere.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(nowhere.toString()).contains("quiver store");
    }
}
