package dev.quiver.bench;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * Section 3: small objects, many operations. One or several worker processes, each with its own client, run the same
 * operation in a loop for a fixed window, all starting together (each warms up, answers SET, and the harness sends GO
 * when all have). Each repetition of an operation yields one throughput (all workers' calls divided by the longest
 * worker's window) and one latency histogram per call (merged over the workers). Operations alternate within a
 * repetition, so that a noisy moment hits all of them.
 *
 * <p>Objects created in a window are deleted after it (untimed), and a worker creates at most its share of
 * {@link Options#smallObjectBudget()} per window, so the store never fills and nothing is evicted while measured.
 */
final class SmallObjects {
    /**
     * One operation at one number of client processes.
     *
     * @param calls        calls per second, all workers together
     * @param objects      objects per second (a batch call handles several; a ping counts as one)
     * @param p50          median latency of a call, nanoseconds, one value per repetition
     * @param p99          99th percentile latency, one value per repetition
     * @param p999         99.9th percentile over all repetitions and workers
     * @param max          the largest latency seen
     */
    record Row(SmallOp op, int batch, int clients, Summary calls, Summary objects, Summary p50, Summary p99,
               double p999, double max) {}

    private static final long ALIGN = 64; // the store's block granularity

    private SmallObjects() {}

    static List<Row> run(Options o, List<WorkerProcess> workers) {
        List<Row> rows = new ArrayList<>();
        for (int clients : o.clientProcesses()) {
            if (clients > workers.size()) {
                throw new IllegalArgumentException(clients + " client processes asked for, " + workers.size()
                        + " started");
            }
            List<WorkerProcess> active = workers.subList(0, clients);
            Map<SmallOp, List<Window>> windows = new EnumMap<>(SmallOp.class);
            for (int rep = 0; rep < o.smallRepetitions(); rep++) {
                for (SmallOp op : SmallOp.values()) {
                    o.progress().accept("small objects: " + op.label(o.batchSize()) + ", " + clients
                            + " client process(es), repetition " + (rep + 1) + "/" + o.smallRepetitions());
                    windows.computeIfAbsent(op, k -> new ArrayList<>()).add(window(o, op, active));
                }
            }
            for (SmallOp op : SmallOp.values()) {
                rows.add(row(o, op, clients, windows.get(op)));
            }
        }
        return rows;
    }

    /** What one repetition of one operation measured, over all active workers. */
    private record Window(double calls, double objects, Histogram latencies) {}

    private static Window window(Options o, SmallOp op, List<WorkerProcess> workers) {
        long maxCalls = Long.MAX_VALUE;
        if (op.creates()) {
            long block = Math.max(ALIGN, (o.smallObjectSize() + ALIGN - 1) & -ALIGN);
            maxCalls = Math.max(1, o.smallObjectBudget() / workers.size() / block / op.objectsPerCall(o.batchSize()));
        }
        String command = String.join(" ", "small", op.word, Long.toString(o.smallObjectSize()),
                Integer.toString(o.batchSize()), Long.toString(o.smallWarmup().toMillis()),
                Long.toString(o.smallDuration().toMillis()), Long.toString(maxCalls));
        workers.forEach(w -> w.send(command));
        workers.forEach(w -> w.expect("SET", o.stepTimeout()));
        workers.forEach(w -> w.send("GO"));
        long calls = 0;
        long objects = 0;
        long longest = 1;
        Histogram merged = new Histogram(3);
        for (WorkerProcess w : workers) {
            String[] f = w.expect("DONE", o.stepTimeout()).split("\\s+");
            calls += Long.parseLong(f[0]);
            objects += Long.parseLong(f[1]);
            longest = Math.max(longest, Long.parseLong(f[2]));
            merged.add(decode(f[3], w));
        }
        if (calls == 0) {
            throw new BenchException("no " + op.label(o.batchSize()) + " call completed in the window");
        }
        return new Window(calls * 1e9 / longest, objects * 1e9 / longest, merged);
    }

    private static Row row(Options o, SmallOp op, int clients, List<Window> windows) {
        Histogram all = new Histogram(3);
        windows.forEach(w -> all.add(w.latencies()));
        return new Row(op, o.batchSize(), clients,
                Summary.of(windows.stream().mapToDouble(Window::calls).toArray()),
                Summary.of(windows.stream().mapToDouble(Window::objects).toArray()),
                Summary.of(windows.stream().mapToDouble(w -> w.latencies().getValueAtPercentile(50)).toArray()),
                Summary.of(windows.stream().mapToDouble(w -> w.latencies().getValueAtPercentile(99)).toArray()),
                all.getValueAtPercentile(99.9), all.getMaxValue());
    }

    static Histogram decode(String base64, WorkerProcess w) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        } catch (DataFormatException | IllegalArgumentException e) {
            throw new BenchException("cannot read the latency histogram of " + w.name() + ": " + e, e);
        }
    }
}
