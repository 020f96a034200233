package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.StreamInfo;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.arrow.Streams;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.Sizes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The operator's commands against a live store: rm --key, streams (list, rm, describe), head, ls's streams, who. */
class OperatorCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.nullable(new ArrowType.Int(64, true)), null),
            new Field("name", FieldType.nullable(new ArrowType.Utf8()), null)));

    @RegisterExtension
    final RunningStore store = new RunningStore(32 << 20);
    QuiverClient client;
    String socket;
    BufferAllocator allocator;
    Shelf shelf;
    ArrowStore arrow;

    @BeforeEach
    void start() {
        client = store.client();
        socket = store.server().socket().toString();
        allocator = new RootAllocator();
        shelf = Shelf.of(client, allocator);
        arrow = new ArrowStore(client, allocator);
    }

    @AfterEach
    void stop() {
        shelf.close();
        allocator.close();
    }

    /** Rows {@code from .. from+n-1}: id i, name "n" + i (null for every seventh). */
    private VectorSchemaRoot rows(long from, int n) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        BigIntVector id = (BigIntVector) root.getVector("id");
        VarCharVector name = (VarCharVector) root.getVector("name");
        for (int i = 0; i < n; i++) {
            id.setSafe(i, from + i);
            if ((from + i) % 7 == 6) {
                name.setNull(i);
            } else {
                name.setSafe(i, ("n" + (from + i)).getBytes(StandardCharsets.UTF_8));
            }
        }
        root.setRowCount(n);
        return root;
    }

    private void putTable(String key, int n) {
        try (VectorSchemaRoot root = rows(0, n)) {
            shelf.put(key, root);
        }
    }

    /** The stream's objects' bytes as the store lists them: what streams reports must add up to. */
    /** The bytes of a batch in a stream's log: its record batch message and the end-of-stream marker. */
    private long batchBytes(long from, int n) throws IOException {
        try (VectorSchemaRoot root = rows(from, n);
             ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            WriteChannel channel = new WriteChannel(Channels.newChannel(out));
            MessageSerializer.serialize(channel, batch);
            ArrowStreamWriter.writeEndOfStream(channel, IpcOption.DEFAULT);
            return out.size();
        }
    }

    private static List<String> lines(String text) {
        return text.lines().toList();
    }

    // ------------------------------------------------------------------------------------------ rm --key

    @Test
    void rmKeyDeletesTablesByName() {
        putTable("prices", 5);
        putTable("trades", 5);
        putTable("kept", 5);

        Cli r = Cli.run("rm", "-s", socket, "--key", "prices", "trades");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(lines(r.out())).containsExactly("prices  deleted", "trades  deleted");
        assertThat(shelf.listKeys()).containsExactly("kept");
        assertThat(client.list()).hasSize(1);
    }

    @Test
    void rmKeyWithAnUnknownKeyDeletesNothingAndNamesIt() {
        putTable("prices", 5);
        putTable("trades", 5);

        Cli r = Cli.run("rm", "-s", socket, "--key", "prices", "nope", "trades");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip()).isEqualTo("quiver rm: no table under key 'nope' on the shelf of the store at "
                + socket + "; nothing was deleted (quiver ls --keys lists the keys)");
        assertThat(shelf.listKeys()).containsExactly("prices", "trades");

        Cli json = Cli.run("rm", "-s", socket, "--json", "-k", "gone", "also-gone");
        assertThat(json.exit()).isEqualTo(1);
        assertThat(json.err()).contains("keys 'gone', 'also-gone'");
        assertThat(shelf.listKeys()).containsExactly("prices", "trades");
    }

    @Test
    void rmKeyRefusesBadInputAndChangesNothing() {
        putTable("prices", 5);

        Cli badKey = Cli.run("rm", "-s", socket, "--key", "prices", "no spaces");
        assertThat(badKey.exit()).isEqualTo(1);
        assertThat(badKey.err()).contains("shelf key 'no spaces'");

        Cli both = Cli.run("rm", "-s", socket, "--key", "prices", "--", ObjectId.random().toString());
        assertThat(both.exit()).isEqualTo(1);
        assertThat(both.err()).contains("not both");

        Cli neither = Cli.run("rm", "-s", socket);
        assertThat(neither.exit()).isEqualTo(1);
        assertThat(neither.err()).contains("give object ids, or shelf keys with --key");

        assertThat(shelf.listKeys()).containsExactly("prices");
    }

    @Test
    void rmKeyJsonReportsEachKey() throws Exception {
        putTable("a", 1);
        Cli r = Cli.run("rm", "-s", socket, "--json", "--key", "a");
        assertThat(r.exit()).isZero();
        assertThat(JSON.readTree(r.out())).isEqualTo(JSON.readTree("{\"a\": \"deleted\"}"));
    }

    // ------------------------------------------------------------------------------------------ streams

    /** Appends batches of {@code rowsEach} rows; returns the writer, open. */
    private StreamWriter writeStream(String name, Retention retention, int batches, int rowsEach) {
        StreamWriter w = StreamWriter.open(arrow, name, retention);
        for (int b = 0; b < batches; b++) {
            try (VectorSchemaRoot root = rows((long) b * rowsEach, rowsEach)) {
                w.append(root);
            }
        }
        return w;
    }

    @Test
    void streamsListsWriterSequencesBytesAndEnd() throws Exception {
        long done = batchBytes(0, 4) + batchBytes(4, 4); // seq 0 and 1, 4 rows each
        long ticksKept = batchBytes(4, 4) + batchBytes(8, 4); // seq 1 and 2
        try (StreamWriter ticks = writeStream("ticks", Retention.batches(2), 3, 4)) { // keeps seq 1 and 2
            writeStream("done", Retention.ALL, 2, 4).end();

            Cli json = Cli.run("streams", "-s", socket, "--json");
            assertThat(json.exit()).as(json.err()).isZero();
            JsonNode list = JSON.readTree(json.out());
            assertThat(list).hasSize(2);
            assertThat(list.get(0)).isEqualTo(JSON.readTree(String.format("{\"name\": \"done\", \"writer\": false, "
                    + "\"batches\": 2, \"firstSeq\": 0, \"lastSeq\": 1, \"bytes\": %d, \"ended\": true, \"length\": 2, "
                    + "\"nextSeq\": 2, \"readers\": []}", done)));
            assertThat(list.get(1)).isEqualTo(JSON.readTree(String.format("{\"name\": \"ticks\", \"writer\": true, "
                    + "\"batches\": 2, \"firstSeq\": 1, \"lastSeq\": 2, \"bytes\": %d, \"ended\": false, "
                    + "\"length\": -1, \"nextSeq\": 3, \"readers\": []}", ticksKept)));

            Cli text = Cli.run("streams", "-s", socket);
            List<String> rows = lines(text.out());
            assertThat(rows.getFirst().split("\\s+")).containsExactly("STREAM", "WRITER", "BATCHES", "FIRST", "LAST",
                    "NEXT", "SIZE", "END", "READERS");
            assertThat(rows.get(1).split("\\s{2,}")).containsExactly("done", "-", "2", "0", "1", "2",
                    Sizes.format(done), "2", "0");
            assertThat(rows.get(2).split("\\s{2,}")).containsExactly("ticks", "open", "2", "1", "2", "3",
                    Sizes.format(ticksKept), "-", "0");
            assertThat(rows.get(3)).isEqualTo("2 streams");

            // the log segments carry the stream's name in their metadata, which is how they are listed (one batch
            // per segment when retention keeps two)
            assertThat(client.list().stream().filter(o -> o.metadataSize()
                    == "application/vnd.quiver.stream-log; stream=\"ticks\"".length())).hasSize(2);
        }
        // the writer closed (not ended): listed without a writer
        assertThat(Streams.list(client)).extracting(StreamInfo::name, StreamInfo::writer)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("done", false),
                        org.assertj.core.groups.Tuple.tuple("ticks", false));
    }

    @Test
    void aStreamNameWithQuotesAndSemicolonsIsListedAsWritten() {
        String name = "a\"b;c=d\\e";
        writeStream(name, Retention.ALL, 1, 2).close();
        assertThat(Streams.list(client)).extracting(StreamInfo::name).containsExactly(name);
        assertThat(shelf.listKeys()).as("not taken for a shelf table").isEmpty();
    }

    @Test
    void streamsRmRefusesWhileTheWriterIsOpenThenDeletesTheEndedStream() {
        StreamWriter w = writeStream("ticks", Retention.ALL, 3, 4);
        List<ObjectInfo> before = client.list();

        Cli refused = Cli.run("streams", "rm", "ticks", "-s", socket);
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err().strip()).isEqualTo("quiver streams rm: stream 'ticks' has a live writer, so it was "
                + "not deleted: end the stream (StreamWriter.end() in the writer) or stop the writer (close it, or end "
                + "its process), then delete it again");
        assertThat(client.list()).as("nothing deleted").isEqualTo(before);
        try (VectorSchemaRoot more = rows(12, 4)) {
            assertThat(w.append(more)).as("the writer goes on").isEqualTo(3);
        }

        w.end();
        // an ended stream cannot be written again: the error names the command that deletes it
        assertThatThrownBy(() -> StreamWriter.open(arrow, "ticks", Retention.ALL))
                .hasMessageContaining("delete it with quiver streams rm ticks");

        Cli r = Cli.run("streams", "-s", socket, "rm", "ticks"); // the parent's options reach the subcommand
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("deleted stream ticks (1 log segment)"); // its 4 batches and the end
        assertThat(client.list()).isEmpty();
        assertThat(Streams.info(client, "ticks")).isEmpty();

        // the name is free again: a new stream starts at 0
        try (StreamWriter again = StreamWriter.open(arrow, "ticks", Retention.ALL)) {
            assertThat(again.nextSeq()).isZero();
        }
    }

    @Test
    void unknownStreamsAreErrorsThatNameThem() {
        writeStream("ticks", Retention.ALL, 1, 1).close();
        List<ObjectInfo> before = client.list();
        for (String[] args : List.of(new String[] {"streams", "rm", "nope", "-s", socket},
                new String[] {"streams", "describe", "nope", "-s", socket})) {
            Cli r = Cli.run(args);
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err().strip()).isEqualTo("quiver streams " + args[1] + ": no stream named 'nope' in the "
                    + "store at " + socket + " (quiver streams lists them)");
        }
        Cli bad = Cli.run("streams", "describe", "has space", "-s", socket);
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("a stream name is 1 to 200 printable ASCII characters");
        assertThat(client.list()).isEqualTo(before);
    }

    @Test
    void streamsDescribeShowsTheSchemaAndFigures() throws Exception {
        long bytes = batchBytes(0, 4) + batchBytes(4, 4);
        try (StreamWriter w = writeStream("ticks", Retention.ALL, 2, 4)) {
            Cli r = Cli.run("streams", "describe", "ticks", "-s", socket);
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(lines(r.out())).containsExactly(
                    "stream    ticks",
                    "writer    open",
                    "batches   2 kept (seq 0..1), " + Sizes.format(bytes),
                    "end       not ended",
                    "readers   0 open",
                    "",
                    "COLUMN  TYPE",
                    "id      int64",
                    "name    utf8");

            JsonNode json = JSON.readTree(Cli.run("streams", "describe", "ticks", "-s", socket, "--json").out());
            assertThat(json.get("columns")).isEqualTo(JSON.readTree(
                    "[{\"name\": \"id\", \"type\": \"int64\"}, {\"name\": \"name\", \"type\": \"utf8\"}]"));
            assertThat(json.get("batches").asLong()).isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------------------------------ ls

    @Test
    void lsListsStreamsNextToKeysAndKeepsItsJsonFields() throws Exception {
        putTable("prices", 3);
        writeStream("ticks", Retention.ALL, 2, 4).end();

        JsonNode all = JSON.readTree(Cli.run("ls", "-s", socket, "--json").out());
        List<String> fields = new ArrayList<>();
        all.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("keys", "objects", "streams");
        assertThat(all.get("keys")).hasSize(1);
        assertThat(all.get("objects")).hasSize(2); // the table, and the log segment of the two batches and the end
        assertThat(all.get("streams")).isEqualTo(JSON.readTree(Cli.run("streams", "-s", socket, "--json").out()));

        JsonNode streamsOnly = JSON.readTree(Cli.run("ls", "-s", socket, "--streams", "--json").out());
        assertThat(streamsOnly).isEqualTo(all.get("streams"));

        Cli text = Cli.run("ls", "-s", socket);
        List<String> out = lines(text.out());
        int header = out.indexOf(out.stream().filter(l -> l.startsWith("STREAM")).findFirst().orElseThrow());
        assertThat(out.get(header + 1)).startsWith("ticks");
        assertThat(out.get(header + 2)).isEqualTo("1 stream");
        assertThat(out).contains("1 table on the shelf", "2 objects");

        Cli both = Cli.run("ls", "-s", socket, "--streams", "--keys");
        assertThat(both.exit()).isEqualTo(1);
        assertThat(both.err()).contains("exclude each other");
    }

    // ------------------------------------------------------------------------------------------ head

    @Test
    void headPrintsTheFirstRowsAsATable() throws Exception {
        putTable("prices", 25);

        Cli r = Cli.run("head", "prices", "-s", socket);
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> expected = new ArrayList<>();
        expected.add("id  name");
        for (int i = 0; i < 10; i++) {
            expected.add(String.format("%2d  %s", i, i % 7 == 6 ? "null" : "n" + i)); // numbers right-aligned
        }
        expected.add("10 of 25 rows");
        assertThat(lines(r.out()).stream().map(String::stripTrailing).toList()).isEqualTo(expected);

        Cli three = Cli.run("head", "prices", "-n", "3", "-s", socket, "--json");
        assertThat(JSON.readTree(three.out())).isEqualTo(JSON.readTree(
                "[{\"id\": 0, \"name\": \"n0\"}, {\"id\": 1, \"name\": \"n1\"}, {\"id\": 2, \"name\": \"n2\"}]"));

        Cli all = Cli.run("head", "prices", "-n", "100", "-s", socket);
        assertThat(lines(all.out())).hasSize(1 + 25 + 1).last().isEqualTo("25 of 25 rows");
    }

    @Test
    void headWritesCsvToStdout() {
        putTable("prices", 25);
        Cli r = Cli.run("head", "prices", "-n", "8", "--out", "-", "-s", socket);
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> expected = new ArrayList<>(List.of("id,name"));
        for (int i = 0; i < 8; i++) {
            expected.add(i + "," + (i % 7 == 6 ? "" : "n" + i));
        }
        assertThat(lines(r.out())).isEqualTo(expected);
    }

    @Test
    void headOfAnUnknownKeyOrWithBadOptionsIsAnError() {
        putTable("prices", 3);
        for (String[] args : List.of(new String[] {"head", "nope", "-s", socket},
                new String[] {"head", "nope", "--out", "-", "-s", socket})) {
            Cli r = Cli.run(args);
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err().strip()).isEqualTo("quiver head: no table under key 'nope' on the shelf of the store "
                    + "at " + socket + " (quiver ls --keys lists the keys)");
        }
        Cli file = Cli.run("head", "prices", "--out", "x.csv", "-s", socket);
        assertThat(file.exit()).isEqualTo(1);
        assertThat(file.err()).contains("use quiver get prices --out x.csv");
        Cli negative = Cli.run("head", "prices", "-n", "-1", "-s", socket);
        assertThat(negative.exit()).isEqualTo(1);
        assertThat(negative.err()).contains("-n takes 0 or more rows");
    }

    // ------------------------------------------------------------------------------------------ who

    @Test
    void whoShowsWhatEachClientHolds() throws Exception {
        ObjectId a = ObjectId.random();
        ObjectId b = ObjectId.random();
        client.createAndSeal(a, MemorySegment.ofArray(new byte[1000]), MemorySegment.ofArray(new byte[24])); // 1024
        client.createAndSeal(b, MemorySegment.ofArray(new byte[100]), MemorySegment.NULL); // 128
        try (ObjectBuffer first = client.get(a, 0).orElseThrow();
             ObjectBuffer second = client.get(a, 0).orElseThrow();
             ObjectBuffer third = client.get(b, 0).orElseThrow();
             WritableObject writing = client.create(ObjectId.random(), 10)) { // 64, unsealed
            Cli r = Cli.run("who", "-s", socket, "--json");
            assertThat(r.exit()).as(r.err()).isZero();
            JsonNode list = JSON.readTree(r.out());
            JsonNode mine = null;
            JsonNode self = null;
            for (JsonNode c : list) {
                if (c.get("id").asLong() == client.clientId()) {
                    mine = c;
                }
                if (c.get("self").asBoolean()) {
                    self = c;
                }
            }
            assertThat(mine).as(list.toString()).isNotNull();
            assertThat(mine.get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
            assertThat(mine.get("objects").asInt()).isEqualTo(3);
            assertThat(mine.get("references").asLong()).isEqualTo(4);
            assertThat(mine.get("bytes").asLong()).isEqualTo(1024 + 128 + 64);
            assertThat(mine.get("writing").asInt()).isEqualTo(1);
            assertThat(mine.get("self").asBoolean()).isFalse();
            assertThat(self.get("objects").asInt()).isZero();
            assertThat(self.get("bytes").asLong()).isZero();

            Cli text = Cli.run("who", "-s", socket);
            String row = lines(text.out()).stream().filter(l -> l.startsWith(client.clientId() + " "))
                    .findFirst().orElseThrow();
            assertThat(row.split("\\s{2,}")).containsExactly(String.valueOf(client.clientId()),
                    String.valueOf(ProcessHandle.current().pid()), mine.get("name").asText(), "3", "4",
                    Sizes.format(1024 + 128 + 64), "1");
            assertThat(lines(text.out()).getLast()).isEqualTo(list.size() + " clients, holding "
                    + Sizes.format(1024 + 128 + 64));
        }
        JsonNode after = JSON.readTree(Cli.run("who", "-s", socket, "--json").out());
        for (JsonNode c : after) {
            assertThat(c.get("bytes").asLong()).as(c.toString()).isZero();
        }
        assertThat(after.toString()).doesNotContain("\"writing\":1");
        assertThat(after.findValues("id").stream().map(JsonNode::asLong).collect(Collectors.toList()))
                .contains(client.clientId());
    }
}
