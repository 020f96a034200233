package dev.quiver.arrow;

import static dev.quiver.arrow.StreamChildSupport.out;

import dev.quiver.client.QuiverClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * A stream consumer in a child JVM: {@code StreamConsumerChild SOCKET STREAM [start=earliest|latest|SEQ]
 * [mode=run|step] [timeout=MS] [delay=MS] [checksum=C]}. Prints {@code ready position=P} once its reader is open,
 * then one line per event:
 *
 * <pre>
 * batch SEQ rows=R checksum=C      C: the chain over every batch read so far (started at checksum=C, default empty)
 * lost FROM TO
 * timeout SEQ
 * end batches=N read=R lost=L checksum=C
 * </pre>
 *
 * It checks every event itself: a batch must be the one expected (the next sequence number, or the first after a
 * Lost) with exactly the rows and values written; a Lost must start where the reader was; a timeout and the end must
 * be at its position. A violation prints {@code error ...} and ends the process with status 3.
 *
 * <p>In {@code run} mode it reads to the end and exits 0; with {@code delay} it holds each batch that long (a slow
 * consumer: the sleeping is its workload). In {@code step} mode it reads one event per {@code next [TIMEOUT_MS]}
 * line on stdin and holds the last batch until the next line; {@code run} switches to run mode, {@code exit} ends.
 */
public final class StreamConsumerChild {
    private static StreamReader reader;
    private static long expected;
    private static long checksum;
    private static long read;
    private static long lost;
    private static StreamEvent.Batch held;

    private StreamConsumerChild() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = StreamChildSupport.fields(String.join(" ", args));
        String start = opts.getOrDefault("start", "earliest");
        boolean step = opts.getOrDefault("mode", "run").equals("step");
        long timeout = Long.parseLong(opts.getOrDefault("timeout", "30000"));
        long delay = Long.parseLong(opts.getOrDefault("delay", "0"));
        checksum = Long.parseLong(opts.getOrDefault("checksum", String.valueOf(StreamChildSupport.EMPTY)));
        try (QuiverClient client = QuiverClient.connect(Path.of(args[0]), Duration.ofSeconds(10));
             BufferAllocator allocator = new RootAllocator()) {
            reader = StreamReader.open(new ArrowStore(client, allocator), args[1], switch (start) {
                case "earliest" -> StreamReader.Start.EARLIEST;
                case "latest" -> StreamReader.Start.LATEST;
                default -> StreamReader.Start.at(Long.parseLong(start));
            });
            expected = reader.position();
            out("ready position=" + expected + " pid=" + ProcessHandle.current().pid());
            if (step) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null) {
                    String[] w = line.trim().split("\\s+");
                    if (w[0].equals("next")) {
                        release();
                        handle(reader.next(Duration.ofMillis(w.length > 1 ? Long.parseLong(w[1]) : timeout)), 0,
                                true);
                    } else if (w[0].equals("run")) {
                        release();
                        break;
                    } else if (w[0].equals("exit")) {
                        release();
                        out("bye");
                        return;
                    } else {
                        out("error unknown command " + line);
                    }
                }
            }
            while (!(handle(reader.next(Duration.ofMillis(timeout)), delay, false) instanceof StreamEvent.End)) {
                // read on
            }
        }
    }

    /** Checks and reports one event; returns it. */
    private static StreamEvent handle(StreamEvent e, long delay, boolean hold) throws InterruptedException {
        switch (e) {
            case StreamEvent.Batch b -> {
                if (b.seq() != expected) {
                    fail("batch " + b.seq() + " came while batch " + expected + " was expected");
                }
                if (b.table().batches().size() != 1
                        || !StreamChildSupport.intact(b.seq(), b.table().batches().getFirst())) {
                    fail("batch " + b.seq() + " does not hold what was written");
                }
                checksum = StreamChildSupport.add(checksum, b.seq(), b.table().batches().getFirst());
                read++;
                expected = b.seq() + 1;
                out("batch " + b.seq() + " rows=" + b.table().rowCount() + " checksum=" + checksum);
                if (delay > 0) {
                    Thread.sleep(delay); // the slow consumer's "work", holding the batch
                }
                if (hold) {
                    held = b;
                } else {
                    b.close();
                }
            }
            case StreamEvent.Lost l -> {
                if (l.fromSeq() != expected || l.toSeq() <= l.fromSeq() || reader.position() != l.toSeq()) {
                    fail("lost " + l + " while at " + expected + ", now at " + reader.position());
                }
                lost += l.count();
                expected = l.toSeq();
                out("lost " + l.fromSeq() + " " + l.toSeq());
            }
            case StreamEvent.Timeout t -> {
                if (t.waitingFor() != expected) {
                    fail("timeout waiting for " + t.waitingFor() + " while at " + expected);
                }
                out("timeout " + t.waitingFor() + " writer=" + t.writerAlive());
            }
            case StreamEvent.End end -> {
                // At its position; or, for a reader placed beyond the end that read nothing, before it.
                boolean beyond = read == 0 && lost == 0 && end.batches() < expected;
                if (end.batches() != expected && !beyond) {
                    fail("end after " + end.batches() + " batches while at " + expected);
                }
                out("end batches=" + end.batches() + " read=" + read + " lost=" + lost + " checksum=" + checksum);
            }
        }
        return e;
    }

    private static void release() {
        if (held != null) {
            held.close();
            held = null;
        }
    }

    private static void fail(String why) {
        out("error " + why);
        System.exit(3);
    }
}
