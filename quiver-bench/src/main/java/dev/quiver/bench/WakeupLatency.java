package dev.quiver.bench;

import dev.quiver.client.Futex;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * How fast one process wakes another that waits for news in shared memory ({@code quiver bench --wakeups ROUNDS}):
 * the question a stream reader faces once it has caught up with its writer. Three ways, each with a sleeper in a
 * child JVM ({@link WakeupSleeper}) and this JVM as the waker:
 * <ul>
 *   <li><b>spin</b>: the sleeper never sleeps; it spins on the word the waker increments (a busy core);</li>
 *   <li><b>futex</b>: the sleeper sleeps in {@link Futex#awaitSignal}, the waker calls {@link Futex#signal};</li>
 *   <li><b>socket</b>: the sleeper is blocked in a read of a Unix socket, the waker writes one byte (a doorbell).</li>
 * </ul>
 * Each round: the sleeper says it is ready, the waker waits until it is (and, for the futex, until it counts as a
 * sleeper), lets {@value #GAP_MICROS} µs pass so that it is asleep in the kernel, takes a timestamp
 * ({@link System#nanoTime()}: CLOCK_MONOTONIC, one clock for every process of the machine), writes it to shared
 * memory and wakes the sleeper, which records its own time minus that timestamp. The waker also records what the
 * wake cost it (timestamp to return from the wake call).
 */
public final class WakeupLatency {
    /** The shared file: the doorbell (sequence, sleepers), the waker's timestamp and the sleeper's ack, a line each. */
    static final long FILE_BYTES = 4096;
    static final long DOORBELL = 0;
    static final long STAMP = 64;
    static final long ACK = 128;
    private static final long GAP_MICROS = 200;
    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private WakeupLatency() {}

    /** Measures {@code rounds} wake-ups (after a tenth as many for warm-up) each way; a Markdown table to {@code out}. */
    public static void run(int rounds, PrintWriter out, Consumer<String> progress) throws IOException {
        if (!Futex.isSupported()) {
            throw new BenchException("futexes are not available on this machine (Linux x86_64 or aarch64 needed)");
        }
        int warmup = Math.max(100, rounds / 10);
        Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "quiver-bench-wakeups");
        Path file = dir.resolve("words");
        Path socketPath = dir.resolve("bell.sock");
        MarkdownTable t = new MarkdownTable("the sleeper waits by", "wake-ups", "p50", "p99", "p99.9", "max",
                "waker's cost p50", "waker's cost p99");
        try (Arena arena = Arena.ofShared();
             FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                     StandardOpenOption.WRITE);
             ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, FILE_BYTES, arena);
            server.bind(UnixDomainSocketAddress.of(socketPath));
            for (String mode : List.of("spin", "futex", "socket")) {
                progress.accept("wake-ups: " + mode + ", " + rounds + " rounds");
                m.fill((byte) 0);
                LONG.setVolatile(m, ACK, -1L);
                try (WorkerProcess sleeper = WorkerProcess.start("sleeper-" + mode, WakeupSleeper.class,
                        List.of(file.toString(), socketPath.toString(), mode, String.valueOf(rounds + warmup),
                                String.valueOf(warmup)));
                     SocketChannel bell = server.accept()) {
                    sleeper.expect("ready", WAIT);
                    Histogram cost = new Histogram(3);
                    ByteBuffer one = ByteBuffer.allocateDirect(1);
                    for (int i = 1; i <= rounds + warmup; i++) {
                        awaitReady(m, mode, i - 1, sleeper);
                        long until = System.nanoTime() + GAP_MICROS * 1000;
                        while (System.nanoTime() - until < 0) {
                            Thread.onSpinWait();
                        }
                        long stamp = System.nanoTime();
                        LONG.setRelease(m, STAMP, stamp);
                        switch (mode) {
                            case "spin" -> INT.getAndAdd(m, DOORBELL, 1);
                            case "futex" -> Futex.signal(m, DOORBELL);
                            default -> {
                                one.clear().put((byte) 1).flip();
                                bell.write(one);
                            }
                        }
                        if (i > warmup) {
                            cost.recordValue(System.nanoTime() - stamp);
                        }
                    }
                    String[] r = sleeper.expect("result", WAIT).split(" ");
                    t.row(switch (mode) {
                        case "spin" -> "spinning on the word (a busy core)";
                        case "futex" -> "futex wait / wake (Futex.awaitSignal / signal)";
                        default -> "read of a Unix socket, woken by a 1-byte write";
                    }, Fmt.count(Long.parseLong(r[0])), Fmt.time(Long.parseLong(r[1])),
                            Fmt.time(Long.parseLong(r[2])), Fmt.time(Long.parseLong(r[3])),
                            Fmt.time(Long.parseLong(r[4])), Fmt.time(cost.getValueAtPercentile(50)),
                            Fmt.time(cost.getValueAtPercentile(99)));
                }
            }
        } finally {
            Files.deleteIfExists(socketPath);
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
        out.println("Wake-up latency of one process by another (" + Fmt.count(rounds) + " wake-ups each, after "
                + Fmt.count(warmup) + " for warm-up; the sleeper idle for " + GAP_MICROS + " µs before each):");
        out.println();
        t.print(out);
        out.flush();
    }

    /** Waits until the sleeper has acknowledged round {@code ack} (and, for the futex, counts itself a sleeper). */
    private static void awaitReady(MemorySegment m, String mode, long ack, WorkerProcess sleeper) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        int spins = 0;
        while ((long) LONG.getAcquire(m, ACK) != ack
                || (mode.equals("futex") && (int) INT.getAcquire(m, DOORBELL + Integer.BYTES) == 0)) {
            Thread.onSpinWait();
            if (++spins % 1_000_000 == 0 && System.nanoTime() - deadline > 0) {
                throw new BenchException(sleeper.name() + " was not ready for wake-up " + (ack + 1) + " within "
                        + WAIT.toSeconds() + " s");
            }
        }
    }
}
