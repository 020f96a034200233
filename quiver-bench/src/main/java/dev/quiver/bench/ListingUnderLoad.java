package dev.quiver.bench;

import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * Other clients' round trips while a store of millions of objects is listed ({@code quiver ls}) and while a late
 * subscriber takes its first notifications: {@code quiver bench --listing N}. The store and the lister (then the
 * subscriber) run in child processes ({@link ListingProcess}); a probe client here measures {@code contains} round
 * trips before (the baseline, same run), during the listing and during the burst.
 */
public final class ListingUnderLoad {
    private ListingUnderLoad() {}

    /** Fills a store with {@code objects} one-byte objects, measures, and writes a Markdown table to {@code out}. */
    public static void run(int objects, PrintWriter out, Consumer<String> progress) throws IOException {
        Path dir = Files.createTempDirectory("quiver-bench-listing");
        Path socket = dir.resolve("s.sock");
        try (WorkerProcess store = WorkerProcess.start("store", ListingProcess.class,
                List.of("store", socket.toString(), String.valueOf(64L * objects + (16 << 20))))) {
            store.expect("ready", Duration.ofMinutes(1));
            try (QuiverClient probe = QuiverClient.connect(socket);
                 WorkerProcess other = WorkerProcess.start("lister", ListingProcess.class,
                         List.of("client", socket.toString()))) {
                other.expect("ready", Duration.ofMinutes(1));
                progress.accept("filling the store with " + objects + " objects");
                List<QuiverClient.ObjectData> batch = new ArrayList<>(FrameCodec.MAX_BATCH);
                MemorySegment one = MemorySegment.ofArray(new byte[] {1});
                for (int i = 0; i < objects; i++) {
                    batch.add(new QuiverClient.ObjectData(ObjectId.forName("listing-" + i), one));
                    if (batch.size() == FrameCodec.MAX_BATCH || i == objects - 1) {
                        probe.createAndSeal(batch);
                        batch.clear();
                    }
                }
                ObjectId known = ObjectId.forName("listing-0");
                Histogram idle = new Histogram(3);
                for (int i = 0; i < 20_000; i++) {
                    roundTrip(probe, known, idle);
                }
                progress.accept("listing, in another process");
                long[] took = new long[2];
                Histogram listing = during(probe, known, other, "list", objects, took, 0);
                progress.accept("a late subscriber, in another process");
                Histogram burst = during(probe, known, other, "subscribe " + objects, objects, took, 1);
                MarkdownTable t = new MarkdownTable("while", "took", "round trips", "p50", "p99", "p99.9", "max");
                row(t, "nothing else (baseline)", "", idle);
                row(t, "another process lists " + Fmt.count(objects) + " objects", Fmt.time(took[0]), listing);
                row(t, "another process subscribes: " + Fmt.count(objects) + " first notifications",
                        Fmt.time(took[1]), burst);
                out.println("Round trips (`contains`) of a client while another process lists the store or subscribes"
                        + " to it (the store in a third process):");
                out.println();
                t.print(out);
                out.flush();
            }
            store.send("quit");
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }

    private static void row(MarkdownTable t, String what, String took, Histogram h) {
        t.row(what, took, Fmt.count(h.getTotalCount()), us(h, 50), us(h, 99), us(h, 99.9), Fmt.time(h.getMaxValue()));
    }

    /** The probe's round trips from sending {@code command} to the other process until it is done. */
    private static Histogram during(QuiverClient probe, ObjectId known, WorkerProcess other, String command,
                                    int expected, long[] took, int slot) {
        Histogram h = new Histogram(3);
        long start = System.nanoTime();
        other.send(command);
        CompletableFuture<String> done = CompletableFuture.supplyAsync(() -> other.expect("done",
                Duration.ofMinutes(5)));
        while (!done.isDone()) {
            roundTrip(probe, known, h);
        }
        took[slot] = System.nanoTime() - start;
        check(Long.parseLong(done.join()), expected, command);
        return h;
    }

    private static void roundTrip(QuiverClient probe, ObjectId known, Histogram h) {
        long t = System.nanoTime();
        boolean there = probe.contains(known);
        h.recordValue(System.nanoTime() - t);
        check(there ? 1 : 0, 1, "the probe's object");
    }

    private static String us(Histogram h, double percentile) {
        return Fmt.time(h.getValueAtPercentile(percentile));
    }

    private static void check(long got, long expected, String what) {
        if (got != expected) {
            throw new BenchException(what + ": " + got + ", expected " + expected);
        }
    }
}
