package dev.quiver.bench;

import dev.quiver.client.Futex;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.HdrHistogram.Histogram;

/**
 * The sleeping side of {@link WakeupLatency}, in a child JVM: {@code WakeupSleeper FILE SOCKET MODE ROUNDS WARMUP}.
 * It maps FILE (the shared words of {@link WakeupLatency}), connects to SOCKET, prints {@code ready}, then for each
 * round says it is ready (ack), waits to be woken the MODE's way (spin, futex, socket), and records the time from the
 * waker's timestamp to its own. At the end it prints {@code result COUNT P50 P99 P99.9 MAX} in nanoseconds, the first
 * WARMUP rounds left out.
 */
public final class WakeupSleeper {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final long SLEEP_NANOS = 60_000_000_000L;

    private WakeupSleeper() {}

    public static void main(String[] args) throws Exception {
        String mode = args[2];
        int rounds = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        try (Arena arena = Arena.ofShared();
             FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE);
             SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, WakeupLatency.FILE_BYTES, arena);
            socket.connect(UnixDomainSocketAddress.of(args[1]));
            ByteBuffer bell = ByteBuffer.allocateDirect(1);
            Histogram h = new Histogram(3);
            System.out.println("ready");
            for (int i = 1; i <= rounds; i++) {
                int seen = i - 1;
                LONG.setRelease(m, WakeupLatency.ACK, (long) seen);
                switch (mode) {
                    case "spin" -> {
                        while ((int) INT.getAcquire(m, WakeupLatency.DOORBELL) == seen) {
                            Thread.onSpinWait();
                        }
                    }
                    case "futex" -> {
                        while (Futex.sequence(m, WakeupLatency.DOORBELL) == seen) {
                            Futex.awaitSignal(m, WakeupLatency.DOORBELL, seen, SLEEP_NANOS);
                        }
                    }
                    case "socket" -> {
                        bell.clear();
                        if (socket.read(bell) != 1) {
                            throw new IllegalStateException("the waker closed the socket");
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown mode " + mode);
                }
                long woken = System.nanoTime();
                if (i > warmup) {
                    h.recordValue(Math.max(0, woken - (long) LONG.getAcquire(m, WakeupLatency.STAMP)));
                }
            }
            System.out.println("result " + h.getTotalCount() + " " + h.getValueAtPercentile(50) + " "
                    + h.getValueAtPercentile(99) + " " + h.getValueAtPercentile(99.9) + " " + h.getMaxValue());
        }
    }
}
