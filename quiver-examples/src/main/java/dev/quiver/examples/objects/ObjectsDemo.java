package dev.quiver.cli;

import dev.quiver.client.QuiverClient;
import dev.quiver.client.StoreStats;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Sizes;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code quiver demo objects}: an embedded store, one producer and several consumer processes. The producer writes objects
 * in place and seals them; each consumer (a separate JVM) blocks in get until each object is sealed, reads it
 * zero-copy, proves its view lies in its own mapping of the arena, and checks its digest and checksum.
 */
@Command(name = "objects", mixinStandardHelpOptions = true,
        description = {"Runs the object store demo on an embedded store.",
                "One producer writes objects in place; several consumer JVMs read them zero-copy.",
                "Exits non-zero if a check fails."})
final class ObjectsDemo implements Callable<Integer> {
    @Option(names = "--consumers", defaultValue = "3", description = "Consumer processes (default: ${DEFAULT-VALUE}).")
    int consumers;

    @Option(names = "--objects", defaultValue = "200", description = "Objects to produce (default: ${DEFAULT-VALUE}).")
    int objects;

    @Option(names = "--max-size", defaultValue = "1m", converter = SizeConverter.class,
            description = "Largest object, bytes (default: ${DEFAULT-VALUE}).")
    long maxSize;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--memory", defaultValue = "512m", converter = SizeConverter.class,
            description = "Size of the embedded store (default: ${DEFAULT-VALUE}).")
    long memory;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (consumers < 1 || objects < 1 || maxSize < 8) {
            throw new IllegalArgumentException("need --consumers >= 1, --objects >= 1 and --max-size >= 8");
        }
        Path dir = Files.createTempDirectory("quiver-demo");
        try (StoreServer store = StoreServer.start(StoreConfig.of(memory, dir.resolve("store.sock")))) {
            out.printf("Embedded store on %s: %s, arena pre-faulted in %d ms%n", store.socket(),
                    Sizes.format(store.capacity()), store.prefaultTime().toMillis());
            List<Process> workers = new ArrayList<>();
            for (int i = 0; i < consumers; i++) {
                workers.add(ChildProcess.start(DemoConsumer.class, store.socket().toString(), Integer.toString(i),
                        Integer.toString(objects)));
            }
            out.printf("Started %d consumer processes; each blocks in get until the next object is sealed.%n",
                    consumers);
            out.flush();

            long checksum = 0;
            long bytes = 0;
            long start = System.nanoTime();
            SplittableRandom random = new SplittableRandom(seed);
            try (QuiverClient producer = QuiverClient.connect(store.socket())) {
                for (int seq = 0; seq < objects; seq++) {
                    long size = Math.max(8, random.nextLong(maxSize + 1)) & ~7L;
                    MemorySegment meta = MemorySegment.ofArray(("seq=" + seq).getBytes(StandardCharsets.UTF_8));
                    try (WritableObject o = producer.create(DemoConsumer.idOf(seq), size, meta)) {
                        MemorySegment data = o.data();
                        long value = random.nextLong();
                        for (long off = 0; off < size; off += 8) {
                            data.set(ValueLayout.JAVA_LONG_UNALIGNED, off, value + off);
                        }
                        checksum += DemoConsumer.checksum(data);
                        o.seal();
                    }
                    bytes += size;
                    if ((seq + 1) % Math.max(1, objects / 10) == 0 || seq + 1 == objects) {
                        out.printf("  produced %d/%d objects, %s%n", seq + 1, objects, Sizes.format(bytes));
                        out.flush();
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                out.printf("Producer: %d objects, %s in %.2f s (%.0f MB/s), checksum %016x%n", objects,
                        Sizes.format(bytes), seconds, bytes / seconds / 1e6, checksum);

                boolean ok = true;
                Table t = new Table("CONSUMER", "OBJECTS", "BYTES", "ZERO-COPY", "DIGESTS", "CHECKSUM", "MATCH", "EXIT");
                for (int i = 0; i < workers.size(); i++) {
                    Process p = workers.get(i);
                    String result = lastLine(p);
                    int exit = p.waitFor();
                    String[] f = result == null ? new String[0] : result.split(" ");
                    boolean complete = exit == 0 && f.length == 6 && f[0].equals("RESULT");
                    boolean match = complete && Long.parseUnsignedLong(f[4], 16) == checksum
                            && Integer.parseInt(f[1]) == objects;
                    ok &= match;
                    t.row(i, complete ? f[1] : "-", complete ? Sizes.format(Long.parseLong(f[2])) : "-",
                            complete ? f[3] : "-", complete ? f[5] : "-", complete ? f[4] : "-",
                            match ? "yes" : "NO", exit);
                }
                t.print(out);
                StoreStats s = producer.stats();
                out.printf("Store: %d objects, %s used of %s, %d evicted%n", s.objects(), Sizes.format(s.used()),
                        Sizes.format(s.capacity()), s.evictedObjects());
                out.println(ok ? "All checks passed: every consumer read every object in place, digests and checksums match."
                        : "CHECK FAILED: see the table above.");
                out.flush();
                return ok ? 0 : 1;
            } finally {
                workers.forEach(Process::destroyForcibly);
            }
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    private static String lastLine(Process p) throws java.io.IOException {
        String last = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                last = line;
            }
        }
        return last;
    }
}
