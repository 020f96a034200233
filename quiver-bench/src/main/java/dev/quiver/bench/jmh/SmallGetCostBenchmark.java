package dev.quiver.bench.jmh;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a small get is made of, each part alone, as latency distributions (sample mode: the costs are bimodal on these
 * VMs): the whole get + read + close of a 1 KiB object; one round trip to the store with no view ({@code contains});
 * and opening and closing the shared {@link Arena} that scopes each buffer's view (closing a shared arena is a
 * handshake with every thread of the JVM), next to a confined one (no handshake, but usable by one thread only).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SmallGetCostBenchmark {
    private EmbeddedStore store;
    private QuiverClient client;
    private ObjectId id;

    @Setup(Level.Trial)
    public void start() {
        store = EmbeddedStore.start(16L << 20);
        client = store.client;
        id = ObjectId.random();
        client.createAndSeal(List.of(new QuiverClient.ObjectData(id, MemorySegment.ofArray(new byte[1024]))));
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        store.close();
    }

    @Benchmark
    public byte getReadClose() {
        try (ObjectBuffer b = client.get(id, QuiverClient.NO_WAIT).orElseThrow()) {
            return b.data().get(ValueLayout.JAVA_BYTE, 0);
        }
    }

    @Benchmark
    public boolean roundTrip() {
        return client.contains(id);
    }

    @Benchmark
    public void sharedArenaOpenClose() {
        Arena.ofShared().close();
    }

    @Benchmark
    public void confinedArenaOpenClose() {
        Arena.ofConfined().close();
    }
}
