package dev.quiver.bench.jmh;

import dev.quiver.bench.Sums;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Put bandwidth as a function of object size: create, copy into the writable view, seal, close; against the limit,
 * {@code MemorySegment.copy} of the same bytes into a /dev/shm mapping whose pages are already touched. The
 * secondary result {@code bytes} is the bandwidth in bytes per second.
 *
 * <p>Each put makes a new object and never deletes it: the store (three objects large) evicts the least recently
 * released one inside the next create, which costs no extra round trip. That is the steady state of a full store.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PutBenchmark {
    @Param({"1048576", "16777216", "268435456"})
    public long size;

    private EmbeddedStore store;
    private QuiverClient client;
    private final Ids ids = new Ids();
    private Arena arena;
    private MemorySegment source;
    private MemorySegment touched;
    private Path touchedFile;

    /** Bytes written, reported as a rate: the bandwidth. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @Setup(Level.Trial)
    public void start() throws IOException {
        store = EmbeddedStore.start(3 * size + (16L << 20));
        client = store.client;
        arena = Arena.ofShared();
        source = arena.allocate(size, 64);
        Sums.fill(source);
        touchedFile = Files.createTempFile(Path.of("/dev/shm"), "quiver-jmh-", ".touched");
        try (FileChannel ch = FileChannel.open(touchedFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            touched = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
        }
        touched.fill((byte) 1);
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        store.close();
        arena.close();
        Files.deleteIfExists(touchedFile);
    }

    /** create + copy (digested on the way) + seal + release. */
    @Benchmark
    public void put(Bytes b) {
        try (WritableObject o = client.create(ids.next(), size)) {
            o.write(0, source);
            o.seal();
        }
        b.bytes += size;
    }

    /** The limit: the copy alone, into touched shared memory. */
    @Benchmark
    public void memcpy(Bytes b) {
        MemorySegment.copy(source, 0, touched, 0, size);
        b.bytes += size;
    }
}
