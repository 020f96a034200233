package dev.quiver.bench.jmh;

import dev.quiver.bench.Sums;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Get latency as a function of object size: get, sum every byte through the read-only view, release; against the
 * limit, the same sum over private memory that is already touched. The store is in this JVM; the mapping is warm
 * (this process touched the pages before), so this is the get of a long-lived reader.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class GetBenchmark {
    @Param({"1024", "65536", "1048576", "16777216", "268435456"})
    public long size;

    private EmbeddedStore store;
    private QuiverClient client;
    private ObjectId id;
    private Arena arena;
    private MemorySegment local;

    @Setup(Level.Trial)
    public void start() {
        store = EmbeddedStore.start(size + (64L << 20));
        client = store.client;
        arena = Arena.ofShared();
        local = arena.allocate(size, 64);
        Sums.fill(local);
        id = ObjectId.random();
        try (WritableObject o = client.create(id, size)) {
            MemorySegment.copy(local, 0, o.data(), 0, size);
            o.seal();
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        store.close();
        arena.close();
    }

    /** get + sum + release. */
    @Benchmark
    public long getSum() {
        try (ObjectBuffer b = client.get(id, QuiverClient.NO_WAIT).orElseThrow()) {
            return Sums.sum(b.data());
        }
    }

    /** The limit: the sum alone, over private touched memory. */
    @Benchmark
    public long sumLocal() {
        return Sums.sum(local);
    }
}
