package dev.quiver.examples.realtime;

import dev.quiver.cli.DurationConverter;
import dev.quiver.cli.SizeConverter;
import dev.quiver.cli.Table;
import dev.quiver.examples.Checks;
import dev.quiver.examples.Children;
import dev.quiver.examples.Children.Line;
import dev.quiver.examples.Durations;
import dev.quiver.protocol.Sizes;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * producer process appending batches of y = 4 + 3x + noise to a stream at a steady rate, N consumer processes each
 * training an online linear regression on every row as it arrives. Shows live progress, then a summary with every
 * check, and the latency from append to read per consumer, warm-up apart from steady state, saying whether a consumer
 * kept up (the latency is the hand-off) or fell behind (the latency is queueing). Exits non-zero if a check fails.
 */
@Command(name = "realtime", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Real-time online learning over a stream: one producer, several consumer processes.",
                "Exits non-zero if a check fails."})
public final class RealtimeDemo implements Callable<Integer> {
    private static final String STREAM = "realtime-demo";
    private static final long DEADLINE_MINUTES = 10;
    /** A consumer at most this many batches behind the producer kept up with it ("a few": one in flight, a hiccup). */
    static final long FEW = 3;

    @Option(names = "--consumers", defaultValue = "3", description = "Consumer processes (default: ${DEFAULT-VALUE}).")
    int consumers;

    @Option(names = "--rows", defaultValue = "10000", description = "Rows to produce (default: ${DEFAULT-VALUE}).")
    long rows;

    @Option(names = "--max-batch", defaultValue = "40",
            description = "Largest batch; batches have 1..N rows (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--rate", defaultValue = "" + RealtimeProducer.DEFAULT_RATE, paramLabel = "N",
            description = {"Batches the producer appends per second, paced against the clock (default: "
                    + "${DEFAULT-VALUE}).",
                    "The default lets 3 consumers keep up on a 2-vCPU machine with room to spare (warm, they read "
                            + "several times as fast), so that their latency is the hand-off; a higher rate shows what "
                            + "happens when they cannot."})
    int rate;

    @Option(names = "--warmup", defaultValue = RealtimeConsumer.DEFAULT_WARMUP, converter = DurationConverter.class,
            description = {"Batches appended in this first stretch are warm-up, reported apart: the JVMs are still "
                    + "compiling their code (default: ${DEFAULT-VALUE})."})
    Duration warmup;

    @Option(names = "--priming", defaultValue = "" + RealtimeProducer.DEFAULT_PRIMING, paramLabel = "BATCHES",
            description = {"Batches the producer and the consumers first pass over a stream of their own, as fast as "
                    + "they can, before the measured stream starts (default: ${DEFAULT-VALUE}; 0: none).",
                    "At 100 batches/s a JVM takes minutes to compile the code of a batch fully; priming runs the same "
                            + "code often enough that it is compiled, as in a service that has run for a while."})
    long priming;

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
        if (rate < 1) {
            throw new IllegalArgumentException("--rate must be at least 1 batch/s, got " + rate + ": it is how many "
                    + "batches the producer appends per second (default " + RealtimeProducer.DEFAULT_RATE + ")");
        }
        if (priming < 0) {
            throw new IllegalArgumentException("--priming cannot be negative, got " + priming + ": use 0 for no "
                    + "priming, or a number of batches such as " + RealtimeProducer.DEFAULT_PRIMING);
        }
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("--warmup cannot be negative, got " + Durations.human(warmup.toNanos()) + ": use 0s for no "
                    + "warm-up, or a duration such as 1s");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        out.printf(Locale.ROOT, "Real-time stream demo: 1 producer and %d consumer processes, %,d rows of y = 4 + 3x + "
                + "noise in batches of 1..%d rows appended at %,d batches/s, seed %d%n", consumers, rows, maxBatch, rate,
                seed);
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
                        STREAM, Long.toString(rows), warmup.toString(), Long.toString(priming)));
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
            if (priming > 0) {
                out.printf(Locale.ROOT, "Priming: the producer first appends %,d batches to stream '%s' as fast as it "
                        + "can, and the consumers read them, so that every JVM has compiled the code it runs; then "
                        + "the measured stream starts.%n", priming, RealtimeProducer.primingStream(STREAM));
            }
            out.flush();
            processes.add(Children.start("producer", lines, err, List.of(), RealtimeProducer.class, socket, STREAM,
                    Long.toString(rows), Integer.toString(maxBatch), Long.toString(seed), Integer.toString(rate),
                    Long.toString(priming)));

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
                    case "RESULT", "PRODUCED", "PACE", "PHASE" -> results.computeIfAbsent(l.source(), k -> new ArrayList<>()).add(l.text());
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
        String[] pace = find(results.get("producer"), "PACE");
        checks.check(produced != null && pace != null && exitOf(results.get("producer")) == 0,
                "the producer wrote every row and ended the stream");
        if (produced == null || pace == null) {
            out.println("The producer did not finish; see its log above.");
            return checks.report(out);
        }
        long batches = Long.parseLong(produced[2]);
        String checksum = produced[3];
        double seconds = (Long.parseLong(pace[3]) - Long.parseLong(pace[2])) / 1e9;  // first to last append
        double made = seconds > 0 ? (batches - 1) / seconds : 0;
        out.println();
        new Table("PRODUCER", "ROWS", "BATCHES", "SECONDS", "ROWS/S", "BATCHES/S", "ASKED/S", "CHECKSUM")
                .row("producer", produced[1], batches, String.format(Locale.ROOT, "%.2f", seconds),
                        seconds > 0 ? String.format(Locale.ROOT, "%.0f", rows / seconds) : "-",
                        seconds > 0 ? String.format(Locale.ROOT, "%.0f", made) : "-", rate, checksum)
                .print(out);
        long restarts = Long.parseLong(pace[4]);
        if (restarts > 0) {
            out.printf(Locale.ROOT, "The producer could not always append %,d batches/s here: %d times a batch was more "
                    + "than a period late, and the schedule went on from it (no bursts to catch up).%n", rate, restarts);
        }
        out.println();
        Table t = new Table("CONSUMER", "ROWS", "BATCHES", "LOST", "CHECKSUM", "MATCH", "INTERCEPT", "SLOPE", "EXIT");
        boolean complete = true;
        boolean agree = true;
        boolean accurate = true;
        String coefficients = null;
        List<List<Latencies.Phase>> phases = new ArrayList<>();
        for (int i = 0; i < consumers; i++) {
            List<String> r = results.get("consumer " + i);
            String[] f = find(r, "RESULT");
            int exit = exitOf(r);
            boolean match = f != null && exit == 0 && Long.parseLong(f[1]) == rows && Long.parseLong(f[2]) == batches
                    && Long.parseLong(f[3]) == 0 && f[4].equals(checksum);
            complete &= match;
            phases.add(r == null ? List.of() : r.stream().filter(s -> s.startsWith("PHASE "))
                    .map(Latencies.Phase::parse).toList());
            if (f == null) {
                t.row(i, "-", "-", "-", "-", "NO", "-", "-", exit);
                agree = false;
                continue;
            }
            String c = f[5] + " " + f[6];
            agree &= coefficients == null || coefficients.equals(c);
            coefficients = c;
            accurate &= Math.abs(Double.parseDouble(f[5]) - 4) < 0.5 && Math.abs(Double.parseDouble(f[6]) - 3) < 0.1;
            t.row(i, f[1], f[2], f[3], f[4], match ? "yes" : "NO", String.format(Locale.ROOT, "%.4f",
                    Double.parseDouble(f[5])), String.format(Locale.ROOT, "%.4f", Double.parseDouble(f[6])), exit);
        }
        t.print(out);
        out.println("truth: intercept 4, slope 3 (x uniform on [0, 10), standard normal noise)");
        out.println();
        latencies(out, phases);
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

    /**
     * The latency sections: warm-up, then steady state, a table each and a sentence per consumer on what its figures
     * mean; then the summary of the steady state.
     */
    private void latencies(PrintWriter out, List<List<Latencies.Phase>> phases) {
        out.println("Latency: from the producer's append to the consumer having the batch (each batch carries its append "
                + "time).");
        out.println("BEHIND: how many batches the producer had appended that the consumer had not read yet, when it got "
                + "one. Up to " + FEW + " is keeping up; beyond, the batches wait in the queue.");
        out.println();
        section(out, phases, 0, String.format(Locale.ROOT, "Warm-up: the batches appended in the first %s; the JVMs are "
                + "still compiling the code they run, so these figures are not the steady state.",
                Durations.human(warmup.toNanos())));
        section(out, phases, 1, "Steady state: the batches appended after the warm-up.");
        List<Latencies.Phase> steady = phases.stream().filter(p -> p.size() == 2 && p.get(1).batches() > 0)
                .map(p -> p.get(1)).toList();
        if (steady.isEmpty()) {
            out.println("Summary: no batch came after the warm-up, so there is no steady state to report.");
        } else {
            long keptUp = steady.stream().filter(p -> p.lagMax() <= FEW).count();
            long behind = steady.stream().filter(p -> p.lagP50() > FEW).count();
            long p50Low = steady.stream().mapToLong(Latencies.Phase::p50).min().orElseThrow();
            long p50High = steady.stream().mapToLong(Latencies.Phase::p50).max().orElseThrow();
            long p99 = steady.stream().mapToLong(Latencies.Phase::p99).max().orElseThrow();
            out.printf(Locale.ROOT, "Summary: in the steady state at %,d batches/s, of %d consumers %d kept up "
                    + "throughout, %d caught up after a backlog or a pause and %d fell behind; latency p50 %s, p99 at most %s%s.%n",
                    rate, consumers, keptUp, steady.size() - keptUp - behind, behind,
                    p50Low == p50High ? Durations.human(p50Low)
                            : Durations.human(p50Low) + " to " + Durations.human(p50High), Durations.human(p99),
                    keptUp == steady.size() ? " (the hand-off)" : " (the p99 includes queueing: see above)");
        }
        out.println();
    }

    private void section(PrintWriter out, List<List<Latencies.Phase>> phases, int phase, String title) {
        out.println(title);
        Table t = new Table("CONSUMER", "BATCHES", "READ/S", "P50", "P99", "MAX", "BEHIND P50", "BEHIND MAX");
        List<String> meaning = new ArrayList<>();
        for (int i = 0; i < consumers; i++) {
            if (phases.get(i).size() != 2) {
                t.row(i, "-", "-", "-", "-", "-", "-", "-");
                continue;
            }
            Latencies.Phase p = phases.get(i).get(phase);
            if (p.batches() == 0) {
                t.row(i, 0, "-", "-", "-", "-", "-", "-");
                continue;
            }
            t.row(i, p.batches(), p.readPerSecond() > 0 ? String.format(Locale.ROOT, "%.0f", p.readPerSecond()) : "-",
                    Durations.human(p.p50()), Durations.human(p.p99()), Durations.human(p.max()), p.lagP50(),
                    p.lagMax());
            meaning.add(meaning(i, p));
        }
        t.print(out);
        if (meaning.isEmpty()) {
            out.println("  No batches here: run longer (more --rows, or a lower --rate) or with a shorter --warmup.");
        }
        meaning.forEach(m -> out.println("  " + m));
        out.println();
    }

    /** What a consumer's figures of one phase mean: hand-off, a passing pause, or queueing. */
    static String meaning(int consumer, Latencies.Phase p) {
        if (p.lagMax() <= FEW) {
            return String.format(Locale.ROOT, "consumer %d kept up (at most %d behind): its latency is the hand-off, "
                    + "p50 %s.", consumer, p.lagMax(), Durations.human(p.p50()));
        }
        if (p.lagP50() > FEW) {
            boolean slower = p.readPerSecond() < 0.97 * p.appendPerSecond();
            return String.format(Locale.ROOT, "consumer %d ran %d batches behind %s (median %d behind; it read %.0f "
                    + "batches/s, the producer appended %.0f/s%s): latency here is queueing, not hand-off.", consumer,
                    p.lagMax(), slower ? "a producer faster than it" : "the producer", p.lagP50(), p.readPerSecond(),
                    p.appendPerSecond(), slower ? "" : ", so it was working off a backlog");
        }
        if (p.lagAtStart() > FEW) {
            return String.format(Locale.ROOT, "consumer %d started %d batches behind (a backlog left from before) and "
                    + "caught up: its p99 and max include that queueing, its p50 %s is the hand-off.", consumer,
                    p.lagAtStart(), Durations.human(p.p50()));
        }
        return String.format(Locale.ROOT, "consumer %d kept up mostly but fell up to %d batches behind at times (a "
                + "pause: garbage collection, the JIT compiler, a busy CPU): its p99 and max include that queueing, its "
                + "p50 %s is the hand-off.", consumer, p.lagMax(), Durations.human(p.p50()));
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
