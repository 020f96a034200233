package dev.quiver.examples.objects;

import dev.quiver.cli.SizeConverter;
import dev.quiver.cli.Table;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.StoreStats;
import dev.quiver.client.WritableObject;
import dev.quiver.examples.Checks;
import dev.quiver.examples.Children;
import dev.quiver.examples.Children.Line;
import dev.quiver.protocol.Sizes;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quiver demo objects}: an embedded store, one producer and several consumer processes. The producer writes
 * objects in place and seals them; each consumer (a separate JVM) blocks in get until each object is sealed, reads it
 * zero-copy, checks its digest and metadata, and reports a CRC-32C of every byte it read, which the producer compares
 * with the CRC of what it wrote.
 */
@Command(name = "objects", mixinStandardHelpOptions = true,
        description = {"Runs the object store demo on an embedded store.",
                "One producer writes objects in place; several consumer JVMs read them zero-copy.",
                "Exits non-zero if a check fails."})
public final class ObjectsDemo implements Callable<Integer> {
    private static final long DEADLINE_MINUTES = 10;

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

    /** What the producer wrote: the consumers must report the same. */
    record Produced(int objects, long bytes, String crc) {
        /** Whether a consumer's {@code RESULT} fields say it read exactly these objects, bytes and content. */
        boolean matches(String[] result) {
            return result.length == 5 && result[0].equals("RESULT") && Integer.parseInt(result[1]) == objects
                    && Long.parseLong(result[2]) == bytes && result[3].equals(crc) && result[4].equals("ok");
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (consumers < 1 || objects < 1 || maxSize < 8) {
            throw new IllegalArgumentException("need --consumers >= 1, --objects >= 1 and --max-size >= 8");
        }
        Path dir = Files.createTempDirectory("quiver-demo");
        List<Process> workers = new ArrayList<>();
        try (StoreServer store = StoreServer.start(StoreConfig.of(memory, dir.resolve("store.sock")));
             QuiverClient producer = QuiverClient.connect(store.socket())) {
            out.printf("Embedded store on %s: %s, arena pre-faulted in %d ms%n", store.socket(),
                    Sizes.format(store.capacity()), store.prefaultTime().toMillis());
            LinkedBlockingQueue<Line> lines = new LinkedBlockingQueue<>();
            for (int i = 0; i < consumers; i++) {
                workers.add(Children.start("consumer " + i, lines, err, List.of(), DemoConsumer.class,
                        store.socket().toString(), Integer.toString(objects)));
            }
            out.printf("Started %d consumer processes; each blocks in get until the next object is sealed.%n",
                    consumers);
            out.flush();

            Produced produced = produce(producer, out);

            Map<String, String[]> results = new HashMap<>();
            Map<String, Integer> exits = new HashMap<>();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(DEADLINE_MINUTES);
            while (exits.size() < consumers) {
                Line l = Children.next(lines, deadline);
                if (l == null) {
                    throw new IllegalStateException("the consumers did not finish within " + DEADLINE_MINUTES
                            + " minutes");
                }
                if (l.isExit()) {
                    exits.put(l.source(), Integer.parseInt(l.fields()[1]));
                } else if (l.text().startsWith("RESULT ")) {
                    results.put(l.source(), l.fields());
                }
            }
            Checks checks = new Checks();
            Table t = new Table("CONSUMER", "OBJECTS", "BYTES", "CRC32C", "DIGESTS", "MATCH", "EXIT");
            for (int i = 0; i < consumers; i++) {
                String[] f = results.getOrDefault("consumer " + i, new String[0]);
                int exit = exits.get("consumer " + i);
                boolean match = exit == 0 && produced.matches(f);
                t.row(i, f.length == 5 ? f[1] : "-", f.length == 5 ? Sizes.format(Long.parseLong(f[2])) : "-",
                        f.length == 5 ? f[3] : "-", f.length == 5 ? f[4] : "-", match ? "yes" : "NO", exit);
                checks.check(match, "consumer " + i + " read all " + objects + " objects in place, every digest right, "
                        + "and the CRC-32C of the bytes it read equals the producer's (" + produced.crc() + ")");
            }
            t.print(out);
            StoreStats s = producer.stats();
            out.printf("Store: %d objects, %s used of %s, %d evicted%n", s.objects(), Sizes.format(s.used()),
                    Sizes.format(s.capacity()), s.evictedObjects());
            return checks.report(out);
        } finally {
            workers.forEach(Process::destroyForcibly);
            Files.deleteIfExists(dir);
        }
    }

    /** Writes the objects in place, seals each, and returns what the consumers must see. */
    private Produced produce(QuiverClient producer, PrintWriter out) {
        CRC32C crc = new CRC32C();
        long bytes = 0;
        long start = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        for (int seq = 0; seq < objects; seq++) {
            long size = Math.max(8, random.nextLong(maxSize + 1)) & ~7L;
            MemorySegment meta = MemorySegment.ofArray(("seq=" + seq).getBytes(StandardCharsets.UTF_8));
            try (WritableObject o = producer.create(DemoConsumer.idOf(seq), size, meta)) {
                MemorySegment data = o.data();
                long value = random.nextLong();
                for (long off = 0; off < size; off += 8) {
                    data.set(ValueLayout.JAVA_LONG_UNALIGNED, off, value * 31 + off);
                }
                DemoConsumer.update(crc, data);
                o.seal();
            }
            bytes += size;
            if ((seq + 1) % Math.max(1, objects / 10) == 0 || seq + 1 == objects) {
                out.printf("  produced %d/%d objects, %s%n", seq + 1, objects, Sizes.format(bytes));
                out.flush();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String hex = String.format("%08x", crc.getValue());
        out.printf("Producer: %d objects, %s in %.2f s (%.0f MB/s), CRC-32C %s%n", objects, Sizes.format(bytes),
                seconds, bytes / seconds / 1e6, hex);
        out.flush();
        return new Produced(objects, bytes, hex);
    }
}
