package dev.quiver.cli;

import dev.quiver.arrow.StreamInfo;
import dev.quiver.arrow.StreamNotFoundException;
import dev.quiver.arrow.StreamReaderInfo;
import dev.quiver.arrow.Streams;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.Sizes;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code quiver streams}: lists the streams; {@code streams rm NAME} deletes one, {@code describe} shows one. */
@Command(name = "streams", mixinStandardHelpOptions = true,
        subcommands = {StreamsCommand.Rm.class, StreamsCommand.Describe.class},
        description = {"Lists the streams in the store: name, whether a writer has it open, batches kept with their "
                + "first and last sequence numbers and their bytes, the sequence number the next batch gets, "
                + "whether it was ended (END: the number of batches ever written), and its open readers.",
                "Then, if any stream has readers, one line per reader (in any process, Java or Python): its process, "
                        + "the batch it waits for (AT), how far behind the writer it is in batches (LAG) and in log "
                        + "bytes (BEHIND), and the batches it was told it lost (LOST). A reader whose process died "
                        + "is not listed.",
                "A stream is listed by the name its batches carry; one with no batch kept (ended and emptied, or "
                        + "a writer that has appended nothing yet) is not listed, but describe and rm find it by "
                        + "name.",
                "--json prints a list of {\"name\", \"writer\", \"batches\", \"firstSeq\", \"lastSeq\", "
                        + "\"bytes\", \"ended\", \"length\", \"nextSeq\", \"readers\"} (-1 where there is no "
                        + "such sequence number); each reader is {\"id\", \"pid\", \"nextSeq\", \"segment\", "
                        + "\"offset\", \"lagBatches\", \"lagBytes\", \"lostBatches\", \"losses\", "
                        + "\"started\"}."})
final class StreamsCommand extends ClientCommand {
    @Override
    int run(QuiverClient client, PrintWriter out) {
        List<StreamInfo> streams = Streams.list(client);
        if (json) {
            out.println(Json.of(streams.stream().map(StreamsCommand::toMap).toList()));
        } else {
            print(streams, out);
        }
        return 0;
    }

    /** The streams as a text table, with a count. */
    static void print(List<StreamInfo> streams, PrintWriter out) {
        Table t = new Table("STREAM", "WRITER", "BATCHES", "FIRST", "LAST", "NEXT", "SIZE", "END", "READERS");
        Table readers = new Table("STREAM", "READER", "PID", "AT", "LAG", "BEHIND", "LOST");
        int readerCount = 0;
        for (StreamInfo s : streams) {
            t.row(s.name(), s.writer() ? "open" : "-", String.format("%,d", s.batches()), seq(s.firstSeq()),
                    seq(s.lastSeq()), s.nextSeq(), Sizes.format(s.bytes()),
                    s.ended() ? String.valueOf(s.length()) : "-", s.readers().size());
            for (StreamReaderInfo r : s.readers()) {
                readers.row(s.name(), r.id(), r.pid(), r.nextSeq(), String.format("%,d", r.lagBatches()),
                        Sizes.format(r.lagBytes()), String.format("%,d", r.lostBatches()));
                readerCount++;
            }
        }
        t.print(out);
        if (readerCount > 0) {
            out.println();
            readers.print(out);
        }
        out.printf("%d %s%s%n", streams.size(), streams.size() == 1 ? "stream" : "streams",
                readerCount == 0 ? "" : ", " + readerCount + (readerCount == 1 ? " reader" : " readers"));
    }

    private static String seq(long seq) {
        return seq < 0 ? "-" : String.valueOf(seq);
    }

    static Map<String, Object> toMap(StreamInfo s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("writer", s.writer());
        m.put("batches", s.batches());
        m.put("firstSeq", s.firstSeq());
        m.put("lastSeq", s.lastSeq());
        m.put("bytes", s.bytes());
        m.put("ended", s.ended());
        m.put("length", s.length());
        m.put("nextSeq", s.nextSeq());
        m.put("readers", s.readers().stream().map(r -> {
            Map<String, Object> rm = new LinkedHashMap<>();
            rm.put("id", r.id());
            rm.put("pid", r.pid());
            rm.put("nextSeq", r.nextSeq());
            rm.put("segment", r.segment());
            rm.put("offset", r.offset());
            rm.put("lagBatches", r.lagBatches());
            rm.put("lagBytes", r.lagBytes());
            rm.put("lostBatches", r.lostBatches());
            rm.put("losses", r.losses());
            rm.put("started", r.started().toString());
            return rm;
        }).toList());
        return m;
    }

    private static StreamNotFoundException notFound(QuiverClient client, String name) {
        return new StreamNotFoundException("no stream named '" + name + "' in the store at " + client.socket()
                + " (quiver streams lists them)");
    }

    /** {@code quiver streams rm NAME}. */
    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = {"Deletes a stream: every batch kept and its end marker (a batch a reader holds is freed "
                    + "when the reader releases it).",
                    "Refused while a writer has the stream open: end the stream or stop its writer first. While it "
                            + "deletes, no writer can open the stream.",
                    "Exits 1 if there is no such stream or it has a writer; nothing is deleted then."})
    static final class Rm extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The stream's name.")
        String name;

        @Override
        int run(QuiverClient client, PrintWriter out) {
            int deleted;
            try {
                deleted = Streams.delete(client, name);
            } catch (StreamNotFoundException e) {
                throw notFound(client, name);
            }
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", name);
                m.put("deleted", deleted);
                out.println(Json.of(m));
            } else {
                out.printf("deleted stream %s (%d %s)%n", name, deleted, deleted == 1 ? "log segment" : "log segments");
            }
            return 0;
        }
    }

    /** {@code quiver streams describe NAME}. */
    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = {"Shows a stream: its writer, batches, bytes, end, readers, and the schema of its newest batch, one "
                    + "column a line.",
                    "--json prints the fields of quiver streams --json with \"columns\": [{\"name\", \"type\"}] "
                            + "(null when no batch is kept).",
                    "Exits 1 if there is no such stream."})
    static final class Describe extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The stream's name.")
        String name;

        @Override
        int run(QuiverClient client, PrintWriter out) {
            StreamInfo s = Streams.info(client, name).orElseThrow(() -> notFound(client, name));
            Schema schema = Streams.schema(client, name).orElse(null);
            if (json) {
                Map<String, Object> m = toMap(s);
                m.put("columns", schema == null ? null : schema.getFields().stream().map(f -> {
                    Map<String, String> c = new LinkedHashMap<>();
                    c.put("name", f.getName());
                    c.put("type", SchemaText.type(f));
                    return c;
                }).toList());
                out.println(Json.of(m));
                return 0;
            }
            out.printf("stream    %s%n", s.name());
            out.printf("writer    %s%n", s.writer() ? "open" : "none");
            out.printf("batches   %,d kept%s, %s%n", s.batches(),
                    s.batches() == 0 ? "" : " (seq " + s.firstSeq() + ".." + s.lastSeq() + ")",
                    Sizes.format(s.bytes()));
            out.printf("end       %s%n", s.ended() ? "ended after " + s.length() + " batches" : "not ended");
            out.printf("readers   %d open%s%n", s.readers().size(), s.readers().isEmpty() ? ""
                    : ", lag up to " + s.readers().stream().mapToLong(StreamReaderInfo::lagBatches).max().orElse(0)
                    + " batches (quiver streams lists them)");
            if (schema == null) {
                out.println("columns   unknown: no batch is kept");
                return 0;
            }
            out.println();
            Table t = new Table("COLUMN", "TYPE");
            for (Field f : schema.getFields()) {
                t.row(f.getName(), SchemaText.type(f));
            }
            t.print(out);
            return 0;
        }
    }
}
