package dev.quiver.examples.realtime;

import dev.quiver.cli.SizeConverter;
import dev.quiver.cli.Table;
import dev.quiver.examples.Checks;
import dev.quiver.examples.Children;
import dev.quiver.examples.Children.Line;
import dev.quiver.protocol.Sizes;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code quiver demo realtime}: the real-time example of Plasma's users, made dependable. An embedded store, one
 * producer process appending batches of y = 4 + 3x + noise to a stream, N consumer processes each training an online
 * linear regression on every row as it arrives. Shows live progress, then a summary with every check; exits non-zero
 * if one fails.
 */
@Command(name = "realtime", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Real-time online learning over a stream: one producer, several consumer processes.",
                "Exits non-zero if a check fails."})
public final class RealtimeDemo implements Callable<Integer> {
    private static final String STREAM = "realtime-demo";
    private static final long DEADLINE_MINUTES = 10;

    @Option(names = "--consumers", defaultValue = "3", description = "Consumer processes (default: ${DEFAULT-VALUE}).")
    int consumers;

    @Option(names = "--rows", defaultValue = "10000", description = "Rows to produce (default: ${DEFAULT-VALUE}).")
    long rows;

    @Option(names = "--max-batch", defaultValue = "40",
            description = "Largest batch; batches have 1..N rows (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--memory", defaultValue = "256m", converter = SizeConverter.class,
            description = "Size of the embedded store (default: ${DEFAULT-VALUE}).")
    long memory;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (consumers < 1 || rows < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("need --consumers >= 1, --rows >= 1 and --max-batch >= 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        out.printf(Locale.ROOT, "Real-time stream demo: 1 producer and %d consumer processes, %,d rows of y = 4 + 3x + "
                + "noise in batches of 1..%d rows, seed %d%n", consumers, rows, maxBatch, seed);
        Path dir = Files.createTempDirectory("quiver-realtime");
        List<Process> processes = new ArrayList<>();
        LinkedBlockingQueue<Line> lines = new LinkedBlockingQueue<>();
        try (StoreServer store = StoreServer.start(StoreConfig.of(memory, dir.resolve("store.sock")))) {
            out.printf("Embedded store on %s: %s%n", store.socket(), Sizes.format(store.capacity()));
            out.flush();
            String socket = store.socket().toString();
            long launched = System.nanoTime();
            for (int i = 0; i < consumers; i++) {
                processes.add(Children.start("consumer " + i, lines, err, List.of(), RealtimeConsumer.class, socket,
                        STREAM, Long.toString(rows)));
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(DEADLINE_MINUTES);
            int ready = 0;
            Map<String, List<String>> results = new HashMap<>();
            while (ready < consumers) {
                Line l = next(lines, deadline);
                if (l.text().equals("READY")) {
                    ready++;
                } else if (l.text().startsWith("EXIT")) {
                    results.computeIfAbsent(l.source(), k -> new ArrayList<>()).add(l.text());
                    throw new IllegalStateException(l.source() + " ended before it was ready (" + l.text() + ")");
                }
            }
            out.printf(Locale.ROOT, "%d consumers attached to stream '%s' in %.1f s; starting the producer.%n",
                    consumers, STREAM, (System.nanoTime() - launched) / 1e9);
            out.flush();
            processes.add(Children.start("producer", lines, err, List.of(), RealtimeProducer.class, socket, STREAM,
                    Long.toString(rows), Integer.toString(maxBatch), Long.toString(seed)));

            Map<String, Long> progress = new HashMap<>();
            int exited = 0;
            while (exited < processes.size()) {
                Line l = next(lines, deadline);
                String[] f = l.fields();
                switch (f[0]) {
                    case "PROGRESS" -> {
                        progress.put(l.source(), Long.parseLong(f[1]));
                        out.println("  " + progressLine(progress));
                        out.flush();
                    }
                    case "RESULT", "PRODUCED" -> results.computeIfAbsent(l.source(), k -> new ArrayList<>()).add(l.text());
                    case "EXIT" -> {
                        exited++;
                        results.computeIfAbsent(l.source(), k -> new ArrayList<>()).add(l.text());
                    }
                    default -> { }
                }
            }
            return summary(out, results);
        } finally {
            processes.forEach(Process::destroyForcibly);
            Files.deleteIfExists(dir);
        }
    }

    private String progressLine(Map<String, Long> progress) {
        StringBuilder b = new StringBuilder("progress:");
        b.append(String.format(Locale.ROOT, " producer %3.0f%%", 100.0 * progress.getOrDefault("producer", 0L) / rows));
        for (int i = 0; i < consumers; i++) {
            b.append(String.format(Locale.ROOT, " | consumer %d %3.0f%%", i,
                    100.0 * progress.getOrDefault("consumer " + i, 0L) / rows));
        }
        return b.toString();
    }

    private int summary(PrintWriter out, Map<String, List<String>> results) {
        Checks checks = new Checks();
        String[] produced = find(results.get("producer"), "PRODUCED");
        checks.check(produced != null && exitOf(results.get("producer")) == 0,
                "the producer wrote every row and ended the stream");
        if (produced == null) {
            out.println("The producer did not finish; see its log above.");
            return checks.report(out);
        }
        long batches = Long.parseLong(produced[2]);
        String checksum = produced[3];
        double seconds = Long.parseLong(produced[4]) / 1e9;
        out.println();
        new Table("PRODUCER", "ROWS", "BATCHES", "SECONDS", "ROWS/S", "BATCHES/S", "CHECKSUM")
                .row("producer", produced[1], batches, String.format(Locale.ROOT, "%.2f", seconds),
                        String.format(Locale.ROOT, "%.0f", rows / seconds),
                        String.format(Locale.ROOT, "%.0f", batches / seconds), checksum)
                .print(out);
        out.println();
        Table t = new Table("CONSUMER", "ROWS", "BATCHES", "LOST", "CHECKSUM", "MATCH", "INTERCEPT", "SLOPE",
                "P50 µs", "P99 µs", "MAX µs", "EXIT");
        boolean complete = true;
        boolean agree = true;
        boolean accurate = true;
        String coefficients = null;
        for (int i = 0; i < consumers; i++) {
            List<String> r = results.get("consumer " + i);
            String[] f = find(r, "RESULT");
            int exit = exitOf(r);
            boolean match = f != null && exit == 0 && Long.parseLong(f[1]) == rows && Long.parseLong(f[2]) == batches
                    && Long.parseLong(f[3]) == 0 && f[4].equals(checksum);
            complete &= match;
            if (f == null) {
                t.row(i, "-", "-", "-", "-", "NO", "-", "-", "-", "-", "-", exit);
                agree = false;
                continue;
            }
            String c = f[5] + " " + f[6];
            agree &= coefficients == null || coefficients.equals(c);
            coefficients = c;
            accurate &= Math.abs(Double.parseDouble(f[5]) - 4) < 0.5 && Math.abs(Double.parseDouble(f[6]) - 3) < 0.1;
            t.row(i, f[1], f[2], f[3], f[4], match ? "yes" : "NO", String.format(Locale.ROOT, "%.4f",
                    Double.parseDouble(f[5])), String.format(Locale.ROOT, "%.4f", Double.parseDouble(f[6])), f[7], f[8],
                    f[9], exit);
        }
        t.print(out);
        out.println("truth: intercept 4, slope 3 (x uniform on [0, 10), standard normal noise)");
        out.println();
        checks.check(complete, "every consumer read every batch exactly once, in order, and lost none "
                + "(rows, batches and checksums equal the producer's)");
        checks.check(agree && coefficients != null, "every consumer learned exactly the same model "
                + "(same rows, same order)");
        if (rows >= 5000) {
            checks.check(accurate, "the learned model is close to the truth (|intercept-4| < 0.5, |slope-3| < 0.1)");
        } else {
            checks.skip("accuracy of the learned model", "fewer than 5000 rows (" + rows + ")");
        }
        return checks.report(out);
    }

    private static String[] find(List<String> lines, String tag) {
        if (lines == null) {
            return null;
        }
        return lines.stream().filter(s -> s.startsWith(tag + " ")).map(s -> s.split(" ")).findFirst().orElse(null);
    }

    private static int exitOf(List<String> lines) {
        String[] f = find(lines, "EXIT");
        return f == null ? -1 : Integer.parseInt(f[1]);
    }

    private static Line next(LinkedBlockingQueue<Line> lines, long deadline) throws InterruptedException {
        Line l = Children.next(lines, deadline);
        if (l == null) {
            throw new IllegalStateException("the demo did not finish within " + DEADLINE_MINUTES + " minutes");
        }
        return l;
    }
}
