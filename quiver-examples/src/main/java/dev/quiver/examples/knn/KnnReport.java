package dev.quiver.examples.knn;

import dev.quiver.cli.Table;
import dev.quiver.examples.Checks;
import dev.quiver.protocol.Sizes;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** The end of {@code quiver demo knn}: the side-by-side table, the table per worker, and the checks. */
final class KnnReport {
    /** Below this, a JVM's own growth while attaching (classes, allocator) hides the table: memory is not judged. */
    static final long JUDGE_MEMORY_FROM_BYTES = 16L << 20;
    static final double MIN_RECALL = 0.95;
    /** Approximate answers may be a little farther than the exact ones (recall below 1), never nearer. */
    static final double MAX_EXTRA_DISTANCE = 0.05;

    private KnnReport() {}

    /** Prints the tables and the checks; returns the demo's exit status. */
    static int print(KnnDemo o, PrintWriter out, Map<String, KnnRun> runs, long tableBytes, ExactNeighbours exact,
                     String references) {
        out.println();
        List<String> header = new ArrayList<>(List.of("MEASURE"));
        runs.keySet().forEach(s -> header.add(s.toUpperCase(Locale.ROOT)));
        Table t = new Table(header.toArray(String[]::new));
        row(t, runs, "workers that finished", r -> r.workers.stream().filter(w -> w.ok(o.attachOnly)).count() + " of "
                + o.workers);
        row(t, runs, "time until every worker could compute", r -> r.allReady() ? seconds(r.readySeconds) : "-");
        row(t, runs, "total time (start to last exit)", r -> seconds(r.totalSeconds));
        row(t, runs, "getting the table, slowest worker", r -> String.format(Locale.ROOT, "%.3f s", r.workers
                .stream().mapToLong(w -> w.attachMicros).max().orElse(0) / 1e6));
        row(t, runs, "table bytes each worker received",
                r -> r.mode.equals(KnnDemo.COPY) ? Sizes.format(tableBytes) : "0 B");
        row(t, runs, "RSS growth on attach, largest", r -> kib(r, r.workers.stream()
                .filter(w -> w.readySeconds != null).mapToLong(KnnRun.Worker::growthKiB).max().orElse(0)));
        row(t, runs, "  private (RssAnon), largest", r -> kib(r, r.workers.stream()
                .filter(w -> w.readySeconds != null).mapToLong(w -> w.anonGrowthKiB).max().orElse(0)));
        row(t, runs, "  store pages touched (RssShmem), largest", r -> kib(r, r.workers.stream()
                .filter(w -> w.readySeconds != null).mapToLong(w -> w.shmemGrowthKiB).max().orElse(0)));
        if (!o.attachOnly) {
            row(t, runs, "peak RSS (VmHWM), sum of workers", r -> kib(r, r.sumOf(7)));
            row(t, runs, "  resident store pages (RssShmem), sum", r -> kib(r, r.sumOf(9)));
            row(t, runs, "  private memory (RssAnon), sum", r -> kib(r, r.sumOf(8)));
            row(t, runs, "PSS (shared pages split), sum", r -> kib(r, r.sumOf(10)));
            row(t, runs, "index build, mean per worker", r -> seconds(r.meanSeconds(5)));
            row(t, runs, "queries, mean per worker", r -> seconds(r.meanSeconds(6)));
            row(t, runs, "CPU time of computing, sum of workers", r -> seconds(r.sumOf(12) / 1000.0));
            row(t, runs, "mean distance to the " + o.k + " nearest", r -> r.allOk()
                    ? String.format(Locale.ROOT, "%.9f", r.sum() / r.distances()) : "-");
            row(t, runs, "recall@" + o.k + " (" + exact.sample().length + " sampled queries)",
                    r -> r.allOk() ? String.format(Locale.ROOT, "%.4f", exact.recall(r.answers())) : "-");
            row(t, runs, "result checksum", r -> r.allOk() ? r.checksum() : "-");
        }
        t.print(out);
        if (!o.attachOnly) {
            out.printf(Locale.ROOT, "exact mean distance to the %d nearest over the %d sampled queries, by brute force "
                    + "over the points regenerated from the seed: %.9f%n", o.k, exact.sample().length,
                    exact.meanDistance());
            out.println("RssShmem counts the store's pages once per worker that touched them; they are one copy in "
                    + "memory (PSS splits them among the processes that map them).");
        }
        out.println();
        Table w = new Table("MODE", "WORKER", "READY S", "RSS BEFORE", "RSS AFTER", "GROWTH", "BUFFERS IN ARENA",
                "BUILD S", "QUERY S", "PEAK RSS", "EXIT");
        for (KnnRun r : runs.values()) {
            for (KnnRun.Worker x : r.workers) {
                w.row(r.mode, x.index, x.readySeconds == null ? "-" : String.format(Locale.ROOT, "%.2f",
                                x.readySeconds), kib(x.memoryKnown, x.rssBeforeKiB), kib(x.memoryKnown, x.rssAfterKiB),
                        kib(x.memoryKnown, x.growthKiB()),
                        r.mode.equals(KnnDemo.ZERO_COPY) ? x.buffersInArena + " of " + x.buffersChecked : "-",
                        x.result == null ? "-" : String.format(Locale.ROOT, "%.2f", x.field(5) / 1000.0),
                        x.result == null ? "-" : String.format(Locale.ROOT, "%.2f", x.field(6) / 1000.0),
                        x.result == null ? "-" : kib(x.field(7) >= 0, x.field(7)), x.exit == null ? "killed" : x.exit);
            }
        }
        w.print(out);
        out.println();

        Checks checks = new Checks();
        for (KnnRun r : runs.values()) {
            List<String> failures = r.workers.stream().map(x -> x.failure).filter(f -> f != null).toList();
            checks.check(r.allOk(), r.mode + ": every worker finished" + (failures.isEmpty() ? "" : " ("
                    + String.join("; ", failures) + ")") + (r.sendFailures > 0 ? "; " + r.sendFailures
                    + " cop" + (r.sendFailures == 1 ? "y" : "ies") + " could not be sent" : ""));
        }
        KnnRun zero = runs.get(KnnDemo.ZERO_COPY);
        KnnRun copy = runs.get(KnnDemo.COPY);
        if (zero != null) {
            boolean inside = zero.workers.stream().filter(x -> x.readySeconds != null)
                    .allMatch(x -> x.buffersChecked > 0 && x.buffersInArena == x.buffersChecked);
            int total = zero.workers.stream().mapToInt(x -> x.buffersChecked).sum();
            checks.check(inside && zero.allReady(), "zero-copy: every column buffer of every worker lies inside its "
                    + "mapping of the store's arena (" + total + " buffers, by address)");
        }
        memoryChecks(checks, zero, copy, tableBytes);
        if (!o.attachOnly) {
            for (KnnRun r : runs.values()) {
                if (r.allOk()) {
                    answerChecks(checks, r.mode, r.answers(), exact, o.k);
                    checks.check(r.distances() == (long) o.points * o.k, String.format(Locale.ROOT,
                            "%s: every query got %d neighbours (%,d of %,d)", r.mode, o.k, r.distances(),
                            (long) o.points * o.k));
                } else {
                    checks.skip(r.mode + ": the answers against brute force", "not every worker answered its "
                            + "queries");
                }
            }
            if (zero != null && copy != null && !(zero.allOk() && copy.allOk())) {
                checks.skip("agreement of the two modes", "not every worker answered its queries");
            } else if (zero != null && copy != null) {
                boolean agree = Double.doubleToRawLongBits(zero.sum()) == Double.doubleToRawLongBits(copy.sum())
                        && zero.checksum().equals(copy.checksum())
                        && zero.workers.stream().allMatch(x -> sameNeighbours(x.neighbours,
                        copy.workers.get(x.index).neighbours));
                checks.check(agree, "both modes give exactly the same answers (every neighbour of every query, "
                        + "the sum of distances bit for bit)");
            }
        }
        String[] ref = references.split(" ");
        checks.check(!ref[0].equals("held"), switch (ref[0]) {
            case "ok" -> "the store holds no reference to the table after the run (list: refCount " + ref[1] + ")";
            case "late" -> "the store released the last " + ref[1] + " reference(s) of dead workers once it saw their "
                    + "connections close";
            default -> "the store still holds " + ref[1] + " reference(s) to the table 30 s after the run";
        });
        return checks.report(out);
    }

    /**
     * A mode's answers to the sampled queries against the exact ones: recall@k at least {@link #MIN_RECALL}, and a
     * mean distance that is never below the exact one (nothing is nearer than the nearest) and at most
     * {@link #MAX_EXTRA_DISTANCE} above it.
     */
    static void answerChecks(Checks checks, String mode, Map<Integer, int[]> answers, ExactNeighbours exact, int k) {
        double recall = exact.recall(answers);
        checks.check(recall >= MIN_RECALL, String.format(Locale.ROOT, "%s: recall@%d against exact brute force is "
                + "%.4f (at least %.2f)", mode, k, recall, MIN_RECALL));
        double got = exact.meanDistance(answers);
        double best = exact.meanDistance();
        boolean ok = got >= best * (1 - 1e-9) && got <= best * (1 + MAX_EXTRA_DISTANCE);
        checks.check(ok, String.format(Locale.ROOT, "%s: the mean distance of the sampled answers, %.6f, is not below "
                + "the exact %.6f and at most %.0f%% above it", mode, got, best, 100 * MAX_EXTRA_DISTANCE));
    }

    /**
     * Zero-copy workers must not grow by the table on attaching, copying workers must: judged only where it can be
     * told apart from a JVM's own growth, and where the system reports memory (Linux).
     */
    private static void memoryChecks(Checks checks, KnnRun zero, KnnRun copy, long tableBytes) {
        String what = "resident memory on attaching (zero-copy: no growth by the table; copy: growth by it)";
        if (tableBytes < JUDGE_MEMORY_FROM_BYTES) {
            checks.skip(what, "the table (" + Sizes.format(tableBytes) + ") is smaller than "
                    + Sizes.format(JUDGE_MEMORY_FROM_BYTES) + ", within a JVM's own growth; try --points 1000000 "
                    + "--dims 16 --attach-only");
            return;
        }
        if ((zero != null && !zero.memoryKnown()) || (copy != null && !copy.memoryKnown())) {
            checks.skip(what, "this system does not report a process's memory (/proc/self/status and smaps_rollup "
                    + "are Linux's)");
            return;
        }
        long tableKiB = tableBytes / 1024;
        if (zero != null) {
            long most = zero.workers.stream().mapToLong(KnnRun.Worker::growthKiB).max().orElse(0);
            checks.check(zero.allReady() && most < tableKiB / 2, "zero-copy: no worker's resident memory grew by the "
                    + "table's size on attaching (largest growth " + Sizes.format(most * 1024) + ", table "
                    + Sizes.format(tableBytes) + ")");
        }
        if (copy != null) {
            long least = copy.workers.stream().mapToLong(KnnRun.Worker::growthKiB).min().orElse(0);
            checks.check(copy.allReady() && least >= tableKiB * 9 / 10, "copy: every worker's resident memory grew by "
                    + "at least the table's size on receiving it (smallest growth " + Sizes.format(least * 1024)
                    + ")");
        }
    }

    private static boolean sameNeighbours(Map<Integer, int[]> a, Map<Integer, int[]> b) {
        return a.keySet().equals(b.keySet()) && a.keySet().stream().allMatch(q -> Arrays.equals(a.get(q), b.get(q)));
    }

    private static void row(Table t, Map<String, KnnRun> runs, String what, Function<KnnRun, String> f) {
        List<Object> cells = new ArrayList<>();
        cells.add(what);
        runs.values().forEach(r -> cells.add(f.apply(r)));
        t.row(cells.toArray());
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.2f s", s);
    }

    private static String kib(KnnRun r, long kib) {
        return kib(r.memoryKnown(), kib);
    }

    private static String kib(boolean known, long kib) {
        return !known ? "-" : kib < 0 ? "-" + Sizes.format(-kib * 1024) : Sizes.format(kib * 1024);
    }
}
