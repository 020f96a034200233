package dev.quiver.cli;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.StoreUnavailableException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.quiver.flight.FlightNames;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.ArrowBuf;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code quiver tail STREAM}: follows a stream, one line per batch as it is sealed. Text lines:
 *
 * <pre>
 * seq=12 rows=100 bytes=1664 lag=0 age=0.8ms     lag: batches sealed after this one; age: since it was sealed
 * LOST seq=3..8 count=6                          removed (retention, eviction) before this reader got to them
 * END batches=20                                 the writer ended the stream
 * </pre>
 *
 * With {@code --json}, one JSON object per line: {@code {"event":"batch","seq":..,"rows":..,"bytes":..,"lag":..,
 * "ageMillis":..,"appendedAt":".."}}, {@code {"event":"lost","fromSeq":..,"toSeq":..,"count":..}} (toSeq exclusive),
 * {@code {"event":"end","batches":..}}.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Follows a stream: one line per batch as it is appended, with its rows, bytes, lag",
                "(batches appended after it) and age (time since its append); a LOST line for batches",
                "removed before they were read; END when the writer ends the stream.",
                "With --remote grpc://HOST:PORT, from a store's Flight endpoint (lines without lag and age).",
                "Exits 0 at the end of the stream, or after N batches."})
final class TailCommand extends ClientCommand implements ClientCommand.Remotable {
    @Mixin
    RemoteOptions remote;

    /** How long one wait for the next batch lasts; a timeout just means waiting again. */
    private static final Duration POLL = Duration.ofSeconds(1);

    @Parameters(index = "0", paramLabel = "STREAM", description = "The stream's name.")
    String stream;

    @Option(names = "--from", paramLabel = "earliest|latest|SEQ", defaultValue = "latest",
            converter = StartConverter.class,
            description = "Where to start: the oldest batch kept, the newest one sealed, or a sequence number "
                    + "(default: ${DEFAULT-VALUE}).")
    StreamReader.Start from;

    @Option(names = {"-n", "--count"}, paramLabel = "N", defaultValue = "-1",
            description = "Stop after N batches (default: follow to the end of the stream).")
    long count;

    @Override
    int run(QuiverClient client, PrintWriter out) {
        try (BufferAllocator allocator = new RootAllocator();
             StreamReader reader = StreamReader.open(new ArrowStore(client, allocator), stream, from)) {
            for (long batches = 0; count < 0 || batches < count; ) {
                switch (reader.next(POLL)) {
                    case StreamEvent.Batch b -> {
                        try (b) {
                            batch(out, reader, b);
                        }
                        batches++;
                    }
                    case StreamEvent.Lost l -> print(out, fields("event", "lost", "fromSeq", l.fromSeq(),
                                    "toSeq", l.toSeq(), "count", l.count()),
                            "LOST seq=" + l.fromSeq() + ".." + (l.toSeq() - 1) + " count=" + l.count());
                    case StreamEvent.End e -> {
                        print(out, fields("event", "end", "batches", e.batches()), "END batches=" + e.batches());
                        return 0;
                    }
                    case StreamEvent.Timeout t -> { } // the stream goes on: wait again
                }
            }
            return 0;
        } catch (StoreUnavailableException e) {
            spec.commandLine().getErr().println("quiver tail: the store went away: " + e.getMessage());
            return 1;
        }
    }

    @Override
    public RemoteOptions remote() {
        return remote;
    }

    /**
     * Follows the stream with a Flight DoGet: each batch's app metadata gives its sequence number and the batches
     * lost before it (docs/flight.md).
     */
    @Override
    public int runRemote(PrintWriter out) throws Exception {
        String start = switch (from) {
            case StreamReader.Start.Earliest e -> "earliest";
            case StreamReader.Start.Latest l -> "latest";
            case StreamReader.Start.At at -> Long.toString(at.seq());
        };
        try (BufferAllocator allocator = new RootAllocator();
             RemoteOptions.Remote r = remote.connect(allocator, timeout);
             FlightStream s = r.client().getStream(FlightNames.streamTicket(stream, start), r.options())) {
            long next = 0;
            for (long batches = 0; count < 0 || batches < count; batches++) {
                if (!s.next()) {
                    print(out, fields("event", "end", "batches", next), "END batches=" + next);
                    return 0;
                }
                JsonNode m = Json.MAPPER.readTree(metadata(s.getLatestMetadata()));
                if (m.has("lostFrom")) {
                    long lostFrom = m.get("lostFrom").asLong();
                    long lostTo = m.get("lostTo").asLong();
                    print(out, fields("event", "lost", "fromSeq", lostFrom, "toSeq", lostTo, "count", lostTo - lostFrom),
                            "LOST seq=" + lostFrom + ".." + (lostTo - 1) + " count=" + (lostTo - lostFrom));
                }
                long seq = m.get("seq").asLong();
                int rows = s.getRoot().getRowCount();
                print(out, fields("event", "batch", "seq", seq, "rows", rows), "seq=" + seq + " rows=" + rows);
                next = seq + 1;
            }
            s.cancel("quiver tail: read " + count + " batches", null);
            return 0;
        }
    }

    private static byte[] metadata(ArrowBuf buf) {
        byte[] bytes = new byte[buf == null ? 0 : Math.toIntExact(buf.capacity())];
        if (buf != null) {
            buf.getBytes(0, bytes);
        }
        return bytes;
    }

    private void batch(PrintWriter out, StreamReader reader, StreamEvent.Batch b) {
        long rows = b.table().rowCount();
        long lag = Math.max(0, reader.newestSeq() - b.seq());
        long bytes = b.bytes();
        double appendedAtMillis = b.appendNanos() / 1e6;
        double ageMillis = Math.max(0, Math.round((System.currentTimeMillis() - appendedAtMillis) * 10) / 10.0);
        String appendedAt = b.appendedAt().toString();
        print(out, fields("event", "batch", "seq", b.seq(), "rows", rows, "bytes", bytes, "lag", lag,
                        "ageMillis", ageMillis, "appendedAt", appendedAt),
                String.format(Locale.ROOT, "seq=%d rows=%d bytes=%d lag=%d age=%.1fms", b.seq(), rows, bytes, lag,
                        ageMillis));
    }

    private static Map<String, Object> fields(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private void print(PrintWriter out, Map<String, Object> fields, String text) {
        if (json) {
            out.println(Json.line(fields));
        } else {
            out.println(text);
        }
        out.flush();
    }

    /** {@code earliest}, {@code latest}, or a sequence number. */
    static final class StartConverter implements ITypeConverter<StreamReader.Start> {
        @Override
        public StreamReader.Start convert(String value) {
            try {
                return StreamReader.Start.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not earliest, latest or a sequence number (0 or"
                        + " more)");
            }
        }
    }
}
