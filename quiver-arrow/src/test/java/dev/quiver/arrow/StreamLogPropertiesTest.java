package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.RunningStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stream log under a concurrent writer and readers that fall behind at random: for many random runs (retention,
 * batch sizes, readers, stalls, a store small enough to evict), every reader sees batches in order, each with exactly
 * the values written, and exactly one {@code Lost(from, to)} for each gap, starting where it was; together what it
 * read and lost is [start, end). A batch a reader holds while the writer laps it keeps its values: no reader is ever
 * fed bytes of another batch. Stalls wait for the writer's progress (no sleeps).
 */
class StreamLogPropertiesTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int RUNS = 25;

    @RegisterExtension
    final RunningStore store = new RunningStore(4 << 20);

    /** How far the writer got: readers stall until it passes a mark. */
    private static final class Progress {
        private long appended;

        synchronized void set(long n) {
            appended = n;
            notifyAll();
        }

        synchronized void awaitAtLeast(long n, boolean[] done) throws InterruptedException {
            while (appended < n && !done[0]) {
                wait(); // woken by set(), or when the writer is done
            }
        }
    }

    @Test
    void readersLappedByRetentionOrEvictionAreToldExactlyWhatTheyLostAndNeverReadWrongBytes() throws Exception {
        for (int run = 0; run < RUNS; run++) {
            long seed = 0x5EED_0000L + run;
            check(new Random(seed), "stream-" + run, seed);
        }
    }

    private void check(Random random, String name, long seed) throws Exception {
        int total = 50 + random.nextInt(250);
        Retention retention = random.nextBoolean() ? Retention.batches(1 + random.nextInt(16))
                : Retention.bytes(4_000 + random.nextInt(60_000));
        int readers = 1 + random.nextInt(3);
        Progress progress = new Progress();
        boolean[] done = {false};
        try (BufferAllocator allocator = new RootAllocator()) {
            List<CompletableFuture<String>> results = new ArrayList<>();
            List<QuiverClient> clients = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                QuiverClient c = store.connect();
                clients.add(c);
                ArrowStore arrow = new ArrowStore(c, allocator);
                long readerSeed = random.nextLong();
                StreamReader reader = StreamReader.open(arrow, name, StreamReader.Start.EARLIEST);
                results.add(CompletableFuture.supplyAsync(() -> read(reader, new Random(readerSeed), total,
                        progress, done)));
            }
            try (StreamWriter w = StreamWriter.open(new ArrowStore(store.client(), allocator), name, retention)) {
                for (long seq = 0; seq < total; seq++) {
                    append(w, allocator, seq, 1 + random.nextInt(random.nextBoolean() ? 20 : 600));
                    progress.set(seq + 1);
                }
                w.end();
            } finally {
                synchronized (progress) {
                    done[0] = true;
                    progress.notifyAll();
                }
            }
            for (CompletableFuture<String> f : results) {
                String problem = f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(problem).as("seed %d, %s, %d batches, %d readers", seed, retention, total, readers)
                        .isEmpty();
            }
            clients.forEach(QuiverClient::close);
        }
    }

    /** Follows the stream to its end; returns "" or what went wrong. */
    private static String read(StreamReader reader, Random random, int total, Progress progress, boolean[] done) {
        try (reader) {
            long expected = 0;
            List<StreamEvent.Batch> held = new ArrayList<>();
            while (true) {
                StreamEvent e = reader.next(WAIT);
                switch (e) {
                    case StreamEvent.Batch b -> {
                        if (b.seq() != expected) {
                            return "batch " + b.seq() + " while at " + expected;
                        }
                        String wrong = wrongValues(b);
                        if (wrong != null) {
                            return wrong;
                        }
                        expected++;
                        if (random.nextInt(8) == 0) {
                            held.add(b); // kept while the writer laps it
                        } else {
                            b.close();
                        }
                        if (random.nextInt(6) == 0) { // fall behind: wait until the writer is well ahead
                            progress.awaitAtLeast(expected + 1 + random.nextInt(40), done);
                        }
                        if (held.size() > 3 || random.nextInt(4) == 0) {
                            for (StreamEvent.Batch h : held) {
                                String still = wrongValues(h);
                                h.close();
                                if (still != null) {
                                    return "held " + still;
                                }
                            }
                            held.clear();
                        }
                    }
                    case StreamEvent.Lost l -> {
                        if (l.fromSeq() != expected || l.toSeq() <= l.fromSeq()) {
                            return "lost " + l + " while at " + expected;
                        }
                        expected = l.toSeq();
                    }
                    case StreamEvent.End end -> {
                        held.forEach(StreamEvent.Batch::close);
                        return end.batches() == total && expected == total ? ""
                                : "end " + end + " while at " + expected + " of " + total;
                    }
                    case StreamEvent.Timeout t -> {
                        return "timeout at " + t.waitingFor();
                    }
                }
            }
        } catch (InterruptedException | RuntimeException ex) {
            return ex.toString();
        }
    }

    /** Null if the batch holds rows seq*1000 + i, else what is wrong. */
    private static String wrongValues(StreamEvent.Batch b) {
        BigIntVector v = (BigIntVector) b.table().batches().getFirst().getVector("v");
        if (v.getValueCount() == 0) {
            return "batch " + b.seq() + " is empty";
        }
        for (int i = 0; i < v.getValueCount(); i++) {
            if (v.get(i) != b.seq() * 1000 + i) {
                return "batch " + b.seq() + " holds " + v.get(i) + " at row " + i;
            }
        }
        return null;
    }

    private static void append(StreamWriter w, BufferAllocator allocator, long seq, int rows) {
        try (BigIntVector v = new BigIntVector("v", allocator)) {
            for (int i = 0; i < rows; i++) {
                v.setSafe(i, seq * 1000 + i);
            }
            v.setValueCount(rows);
            try (VectorSchemaRoot root = VectorSchemaRoot.of(v)) {
                w.append(root);
            }
        }
    }
}
