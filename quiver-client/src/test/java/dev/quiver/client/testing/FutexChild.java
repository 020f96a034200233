package dev.quiver.client.testing;

import dev.quiver.client.Futex;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A child JVM that maps a file ({@code FutexChild PATH}) and sleeps on futex words in it, for the cross-process tests
 * of {@link Futex}. Prints {@code mapped ADDRESS PID}, then answers commands on stdin:
 * <pre>
 * await OFFSET EXPECTED TIMEOUT_MS    Futex.await, then prints "awaited RESULT"
 * doorbell OFFSET TIMEOUT_MS          Futex.sequence, Futex.awaitSignal, then prints "signalled RESULT SEQUENCE"
 * exit                                prints "bye" and ends
 * </pre>
 */
public final class FutexChild {
    private FutexChild() {}

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        try (Arena arena = Arena.ofShared();
             FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
            System.out.println("mapped " + m.address() + " " + ProcessHandle.current().pid());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                String[] w = line.split(" ");
                switch (w[0]) {
                    case "await" -> System.out.println("awaited " + Futex.await(m, Long.parseLong(w[1]),
                            Integer.parseInt(w[2]), Long.parseLong(w[3]) * 1_000_000L));
                    case "doorbell" -> {
                        long offset = Long.parseLong(w[1]);
                        int seen = Futex.sequence(m, offset);
                        boolean r = Futex.awaitSignal(m, offset, seen, Long.parseLong(w[2]) * 1_000_000L);
                        System.out.println("signalled " + r + " " + Futex.sequence(m, offset));
                    }
                    case "exit" -> {
                        System.out.println("bye");
                        return;
                    }
                    default -> System.out.println("ERR unknown command " + line);
                }
            }
        }
    }
}
