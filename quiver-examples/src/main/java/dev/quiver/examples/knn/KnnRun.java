package dev.quiver.examples.knn;

import dev.quiver.examples.Children;
import dev.quiver.examples.Children.Line;
import dev.quiver.protocol.ObjectId;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One mode's run of {@code quiver demo knn}: starts the worker processes, follows their report lines (see
 * {@link KnnWorker}) and collects them. Holds what every worker reported.
 */
final class KnnRun {
    /**
     * JVector's SIMD distance functions use the incubating Vector API (without the module it falls back to scalar
     * code); its Panama implementation is chosen over its native one, whose per-call overhead dominates at low
     * dimensions. Each worker computes on one thread: the serial collector keeps the JVM from adding collector
     * threads per worker (the demo starts more workers than a small machine has cores). Arrow's start-up lines are
     * kept out of the demo's output.
     */
    private static final List<String> WORKER_JVM_OPTIONS = List.of("--add-modules", "jdk.incubator.vector",
            "-Djvector.vectorization_provider=panama", "-XX:+UseSerialGC",
            "-Dorg.slf4j.simpleLogger.log.org.apache.arrow=warn");

    /** What one worker reported; memory figures are -1 where its system does not report them. */
    static final class Worker {
        final int index;
        Double readySeconds;
        long rssBeforeKiB = -1;
        long rssAfterKiB = -1;
        long attachMicros;
        long anonGrowthKiB;
        long shmemGrowthKiB;
        boolean memoryKnown;
        int buffersChecked;
        int buffersInArena;
        String[] result;
        final Map<Integer, int[]> neighbours = new HashMap<>();
        long progress;
        Integer exit;
        String failure;

        Worker(int index) {
            this.index = index;
        }

        boolean ok(boolean attachOnly) {
            return (result != null || attachOnly) && exit != null && exit == 0;
        }

        long growthKiB() {
            return rssAfterKiB - rssBeforeKiB;
        }

        long field(int i) {
            return result[i].equals("-") ? -1 : Long.parseLong(result[i]);
        }
    }

    final String mode;
    final boolean attachOnly;
    final List<Worker> workers = new ArrayList<>();
    double readySeconds;
    double totalSeconds;
    int sendFailures;
    boolean timedOut;

    private KnnRun(String mode, boolean attachOnly) {
        this.mode = mode;
        this.attachOnly = attachOnly;
    }

    /** Runs the workers of one mode to their end (or the demo's timeout) and returns what they reported. */
    static KnnRun run(KnnDemo o, String mode, Path workerSocket, ObjectId table, PrintWriter out,
                      PrintWriter err) throws Exception {
        KnnRun r = new KnnRun(mode, o.attachOnly);
        List<Process> processes = new ArrayList<>();
        LinkedBlockingQueue<Line> lines = new LinkedBlockingQueue<>();
        long started = System.nanoTime();
        long deadline = started + o.timeout.toNanos();
        try {
            for (int i = 0; i < o.workers; i++) {
                r.workers.add(new Worker(i));
                KnnWorker.Params p = new KnnWorker.Params(mode, workerSocket, table, i, o.workers, o.k, o.m,
                        o.beamWidth, o.ef, o.recallSample, o.seed, i == o.crashWorker, o.attachOnly);
                processes.add(Children.start("worker " + i, lines, err, WORKER_JVM_OPTIONS, KnnWorker.class,
                        p.toArgs().toArray(String[]::new)));
            }
            r.follow(lines, started, deadline, o.points, out);
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
        if (r.timedOut) {
            for (Worker w : r.workers) {
                if (w.exit == null) {
                    w.failure = "worker " + w.index + " did not finish within " + o.timeout.toMinutes()
                            + " minutes and was killed";
                    out.println("  " + w.failure);
                }
            }
        }
        return r;
    }

    private void follow(LinkedBlockingQueue<Line> lines, long started, long deadline, int points, PrintWriter out)
            throws InterruptedException {
        int exited = 0;
        int ready = 0;
        long queriesDone = 0;
        int lastTenth = 0;
        while (exited < workers.size()) {
            Line l = Children.next(lines, deadline);
            double now = (System.nanoTime() - started) / 1e9;
            if (l == null) {
                timedOut = true;
                return;
            }
            Worker w = workers.get(Integer.parseInt(l.source().substring("worker ".length())));
            String[] f = l.fields();
            switch (f[0]) {
                case "READY" -> {
                    w.readySeconds = now;
                    w.memoryKnown = !f[1].equals("-") && !f[2].equals("-") && !f[8].equals("-");
                    if (w.memoryKnown) {
                        w.rssBeforeKiB = Long.parseLong(f[1]);
                        w.rssAfterKiB = Long.parseLong(f[2]);
                        w.anonGrowthKiB = Long.parseLong(f[8]);
                        w.shmemGrowthKiB = Long.parseLong(f[9]);
                    }
                    w.buffersChecked = Integer.parseInt(f[3]);
                    w.buffersInArena = Integer.parseInt(f[4]);
                    w.attachMicros = Long.parseLong(f[7]);
                    readySeconds = now;
                    if (++ready == workers.size()) {
                        out.printf(Locale.ROOT, "  every worker can compute after %.2f s%n", now);
                        out.flush();
                    }
                }
                case "PROGRESS" -> {
                    queriesDone += Long.parseLong(f[1]) - w.progress;
                    w.progress = Long.parseLong(f[1]);
                    int tenth = (int) (10 * queriesDone / points);
                    if (tenth > lastTenth) {
                        lastTenth = tenth;
                        out.printf(Locale.ROOT, "  queries answered: %3d%% after %.1f s%n", 10 * tenth, now);
                        out.flush();
                    }
                }
                case "NN" -> w.neighbours.put(Integer.parseInt(f[1]),
                        Arrays.stream(f, 2, f.length).mapToInt(Integer::parseInt).toArray());
                case "RESULT" -> w.result = Arrays.copyOfRange(f, 1, f.length);
                case "EXIT" -> {
                    w.exit = Integer.parseInt(f[1]);
                    totalSeconds = now;
                    exited++;
                    if (w.exit != 0 || (w.result == null && !attachOnly)) {
                        w.failure = "worker " + w.index + " exited with status " + w.exit
                                + (w.result == null ? " before reporting a result" : "");
                        out.println("  " + w.failure);
                        out.flush();
                    }
                }
                default -> { }
            }
        }
    }

    boolean allOk() {
        return !timedOut && workers.stream().allMatch(w -> w.ok(attachOnly));
    }

    boolean allReady() {
        return workers.stream().allMatch(w -> w.readySeconds != null);
    }

    /** Whether every worker that got the table could report its memory. */
    boolean memoryKnown() {
        return workers.stream().filter(w -> w.readySeconds != null).allMatch(w -> w.memoryKnown);
    }

    /** The sum of every distance the workers computed (bit-exact: each worker's sum, added in worker order). */
    double sum() {
        double s = 0;
        for (Worker w : workers) {
            s += Double.longBitsToDouble(Long.parseUnsignedLong(w.result[2], 16));
        }
        return s;
    }

    long distances() {
        return workers.stream().mapToLong(w -> w.field(3)).sum();
    }

    String checksum() {
        long h = 0;
        for (Worker w : workers) {
            h = h * 31 + Long.parseUnsignedLong(w.result[4], 16);
        }
        return String.format("%016x", h);
    }

    /** The neighbours of every sampled query any worker answered. */
    Map<Integer, int[]> answers() {
        Map<Integer, int[]> all = new HashMap<>();
        workers.forEach(w -> all.putAll(w.neighbours));
        return all;
    }

    long sumOf(int field) {
        return workers.stream().filter(w -> w.result != null).mapToLong(w -> w.field(field)).sum();
    }

    double meanSeconds(int field) {
        return workers.stream().filter(w -> w.result != null).mapToLong(w -> w.field(field)).average()
                .orElse(0) / 1000;
    }
}
