package dev.quiver.client.testing;

import dev.quiver.store.IdleMode;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A store in a child JVM: {@code StoreChild SOCKET BYTES [SPARE_FDS]}. Prints {@code ready ARENA} once serving, stops
 * on {@code stop} or at the end of stdin (so it never outlives its parent). Start it with
 * {@code -Dorg.slf4j.simpleLogger.logFile=System.out} to read its log as lines. With {@code SPARE_FDS}, the process
 * may open only that many more file descriptors once the store is serving (each connection takes one). With
 * {@code -Dquiver.test.idle=spin|backoff|park}, the engine idles so (the default otherwise).
 */
public final class StoreChild {
    private StoreChild() {}

    public static void main(String[] args) throws Throwable {
        StoreConfig config = StoreConfig.of(Long.parseLong(args[1]), Path.of(args[0]));
        String idle = System.getProperty("quiver.test.idle");
        if (idle != null) {
            config = config.withIdle(IdleMode.parse(idle));
        }
        try (StoreServer store = StoreServer.start(config)) {
            if (args.length > 2) {
                limitOpenFiles(Integer.parseInt(args[2]));
            }
            System.out.println("ready " + store.arenaPath());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.equals("stop")) {
                // keep serving
            }
        }
        System.out.println("stopped");
        System.out.flush();
    }

    /** setrlimit(RLIMIT_NOFILE) so that exactly {@code spare} descriptor numbers are free below the limit. */
    private static void limitOpenFiles(int spare) throws Throwable {
        Set<Long> open;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            open = fds.map(f -> Long.parseLong(f.getFileName().toString())).collect(Collectors.toSet());
        }
        long limit = 0;
        for (int free = 0; free < spare; limit++) {
            if (!open.contains(limit)) {
                free++;
            }
        }
        Linker linker = Linker.nativeLinker();
        MethodHandle setrlimit = linker.downcallHandle(linker.defaultLookup().find("setrlimit").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlimit = arena.allocate(16);
            rlimit.set(ValueLayout.JAVA_LONG, 0, limit);
            rlimit.set(ValueLayout.JAVA_LONG, 8, limit);
            if ((int) setrlimit.invokeExact(7 /* RLIMIT_NOFILE */, rlimit) != 0) {
                throw new IOException("setrlimit failed");
            }
        }
    }
}
