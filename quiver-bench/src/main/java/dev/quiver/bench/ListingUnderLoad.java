package dev.quiver.bench;

import dev.quiver.client.ObjectEvent;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.Subscription;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
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
 * subscriber takes its first notifications: {@code quiver bench --listing N}. The store runs in this process; a
 * probe client measures {@code contains} round trips before (the baseline, same run), during the listing and during
 * the burst.
 */
public final class ListingUnderLoad {
    private ListingUnderLoad() {}

    /** Fills a store with {@code objects} one-byte objects, measures, and writes a Markdown table to {@code out}. */
    public static void run(int objects, PrintWriter out, Consumer<String> progress) throws IOException {
        Path dir = Files.createTempDirectory("quiver-bench-listing");
        try (StoreServer store = StoreServer.start(StoreConfig.of(64L * objects + (16 << 20), dir.resolve("s.sock")));
             QuiverClient filler = QuiverClient.connect(store.socket());
             QuiverClient probe = QuiverClient.connect(store.socket())) {
            progress.accept("filling the store with " + objects + " objects");
            List<QuiverClient.ObjectData> batch = new ArrayList<>(FrameCodec.MAX_BATCH);
            MemorySegment one = MemorySegment.ofArray(new byte[] {1});
            for (int i = 0; i < objects; i++) {
                batch.add(new QuiverClient.ObjectData(ObjectId.forName("listing-" + i), one));
                if (batch.size() == FrameCodec.MAX_BATCH || i == objects - 1) {
                    filler.createAndSeal(batch);
                    batch.clear();
                }
            }
            ObjectId known = ObjectId.forName("listing-0");
            Histogram idle = new Histogram(3);
            for (int i = 0; i < 20_000; i++) {
                roundTrip(probe, known, idle);
            }
            progress.accept("listing");
            long[] took = new long[2];
            Histogram listing = during(probe, known, () -> {
                long t = System.nanoTime();
                int n = filler.list().size();
                took[0] = System.nanoTime() - t;
                check(n, objects, "listed");
            });
            progress.accept("a late subscriber");
            Histogram burst = during(probe, known, () -> {
                long t = System.nanoTime();
                try (Subscription s = filler.subscribe()) {
                    for (int i = 0; i < objects; i++) {
                        ObjectEvent e = s.next(Duration.ofMinutes(1)).orElseThrow();
                        check(e.kind() == ObjectEvent.Kind.SEALED ? 1 : 0, 1, "a SEALED event");
                    }
                }
                took[1] = System.nanoTime() - t;
            });
            MarkdownTable t = new MarkdownTable("while", "took", "round trips", "p50", "p99", "max");
            t.row("nothing else (baseline)", "", Fmt.count(idle.getTotalCount()), us(idle, 50), us(idle, 99),
                    Fmt.time(idle.getMaxValue()));
            t.row("a client lists " + Fmt.count(objects) + " objects", Fmt.time(took[0]),
                    Fmt.count(listing.getTotalCount()), us(listing, 50), us(listing, 99),
                    Fmt.time(listing.getMaxValue()));
            t.row("a new subscriber takes " + Fmt.count(objects) + " notifications", Fmt.time(took[1]),
                    Fmt.count(burst.getTotalCount()), us(burst, 50), us(burst, 99), Fmt.time(burst.getMaxValue()));
            out.println("Round trips (`contains`) of another client of the same store:");
            out.println();
            t.print(out);
            out.flush();
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    /** The probe's round trips while {@code work} runs in another thread. */
    private static Histogram during(QuiverClient probe, ObjectId known, Runnable work) {
        Histogram h = new Histogram(3);
        CompletableFuture<Void> done = CompletableFuture.runAsync(work);
        while (!done.isDone()) {
            roundTrip(probe, known, h);
        }
        done.join();
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
