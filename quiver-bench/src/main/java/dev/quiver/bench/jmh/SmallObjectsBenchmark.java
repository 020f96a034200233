package dev.quiver.bench.jmh;

import dev.quiver.bench.Sums;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Small objects against a store in the same JVM: create + write + seal + release, and get + read + release, by one
 * thread and by four threads sharing one client (their requests pipeline on its socket). Every call still crosses
 * the store's Unix socket and its engine thread, so this measures the client and the engine, not a process boundary
 * ({@code quiver bench} does that).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SmallObjectsBenchmark {
    private static final int PRESET = 1024;

    /** The store, its client, and objects to get. */
    @State(Scope.Benchmark)
    public static class Store {
        @Param("256")
        public long objectSize;

        EmbeddedStore store;
        QuiverClient client;
        MemorySegment payload;
        final List<ObjectId> preset = new ArrayList<>();
        final Queue<ObjectId> created = new ConcurrentLinkedQueue<>();
        private Arena arena;

        @Setup(Level.Trial)
        public void start() {
            store = EmbeddedStore.start(128L << 20); // if an iteration creates more, the store evicts (LRU)
            client = store.client;
            arena = Arena.ofShared();
            payload = arena.allocate(objectSize, 64);
            Sums.fill(payload);
            Ids ids = new Ids();
            for (int i = 0; i < PRESET; i++) {
                ObjectId id = ids.next();
                client.createAndSeal(id, payload, MemorySegment.NULL);
                preset.add(id);
            }
        }

        /**
         * Deletes what the threads created in this iteration, untimed. Done here, by the one thread that tears the
         * shared state down, and not in a per-thread teardown: JMH runs those concurrently with this state's trial
         * teardown, which closes the client.
         */
        @TearDown(Level.Iteration)
        public void deleteCreated() {
            List<ObjectId> batch = new ArrayList<>();
            for (ObjectId id; (id = created.poll()) != null; ) {
                batch.add(id);
                if (batch.size() == FrameCodec.MAX_BATCH || created.isEmpty()) {
                    client.delete(batch);
                    batch.clear();
                }
            }
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException {
            store.close();
            arena.close();
        }
    }

    /** A thread's id space and position in the preset objects. */
    @State(Scope.Thread)
    public static class Writer {
        final Ids ids = new Ids();
        int next;
    }

    @Benchmark
    @Threads(1)
    public void createSeal(Store s, Writer w) {
        createSealOnce(s, w);
    }

    @Benchmark
    @Threads(4)
    public void createSeal4Threads(Store s, Writer w) {
        createSealOnce(s, w);
    }

    @Benchmark
    @Threads(1)
    public long getRelease(Store s, Writer w) {
        return getReleaseOnce(s, w);
    }

    @Benchmark
    @Threads(4)
    public long getRelease4Threads(Store s, Writer w) {
        return getReleaseOnce(s, w);
    }

    private static void createSealOnce(Store s, Writer w) {
        ObjectId id = w.ids.next();
        try (WritableObject o = s.client.create(id, s.objectSize)) {
            o.write(0, s.payload);
            o.seal();
        }
        s.created.add(id);
    }

    private static long getReleaseOnce(Store s, Writer w) {
        ObjectId id = s.preset.get(w.next++ & (PRESET - 1));
        try (ObjectBuffer b = s.client.get(id, QuiverClient.NO_WAIT).orElseThrow()) {
            return Sums.sum(b.data());
        }
    }
}
