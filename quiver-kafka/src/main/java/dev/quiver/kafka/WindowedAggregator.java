package dev.quiver.kafka;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.HdrHistogram.DoubleHistogram;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * Windowed aggregation over event time, per key: count, mean, min, max and percentiles of each metric, in tumbling
 * or sliding {@link Windows}, with a watermark and allowed lateness.
 *
 * <pre>{@code
 * var agg = new WindowedAggregator(Windows.tumbling(Duration.ofSeconds(10)).withAllowedLateness(Duration.ofSeconds(5)),
 *         List.of("cpu_used", "memory_used"), results::add);
 * agg.add(batch, "device", "ts");     // rows in order: each moves the watermark, windows fire as it passes them
 * agg.finish();                       // end of input: every window still open fires
 * }</pre>
 *
 * <p>Rules, for an event at time {@code t} (watermark {@code W} = highest event time so far minus the watermark
 * delay, advanced after each event):
 * <ul>
 *   <li>It goes into every window containing {@code t} that has not expired; a window expires once
 *       {@code W >= end + allowedLateness}. An event that finds all its windows expired is dropped and counted
 *       ({@link #droppedLate()}).</li>
 *   <li>A window fires (emits revision 0) once {@code W >= end}. An event that lands in a window the watermark has
 *       passed is late: the window emits again, with the next revision (once per call of {@code add}). Results of
 *       one key and window replace its earlier revisions.</li>
 *   <li>Results are emitted in window order (then key, then metric order).</li>
 * </ul>
 *
 * <p>Not thread-safe: feed it from one thread.
 */
public final class WindowedAggregator {
    private static final int SIGNIFICANT_DIGITS = 3;

    /** Running aggregates of one metric. */
    private static final class Stats {
        long count;
        double sum;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        boolean negative;
        final DoubleHistogram histogram = new DoubleHistogram(SIGNIFICANT_DIGITS);

        void add(double v) {
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                return;
            }
            count++;
            sum += v;
            min = Math.min(min, v);
            max = Math.max(max, v);
            if (v < 0) {
                negative = true;
            } else {
                histogram.recordValue(v);
            }
        }

        double percentile(double p) {
            if (count == 0 || negative) {
                return Double.NaN;
            }
            return histogram.lowestEquivalentValue(histogram.getValueAtPercentile(p));
        }
    }

    /** One key's window. */
    private static final class Pane {
        final Stats[] stats;
        boolean fired;
        boolean dirty;
        int revision;

        Pane(int metrics) {
            stats = new Stats[metrics];
            for (int i = 0; i < metrics; i++) {
                stats[i] = new Stats();
            }
        }
    }

    private final Windows windows;
    private final List<String> metrics;
    private final Consumer<WindowResult> out;
    /** Open windows by start, then key. */
    private final TreeMap<Long, TreeMap<String, Pane>> open = new TreeMap<>();
    private long maxEventTime = Long.MIN_VALUE;
    private long events;
    private long dropped;
    private long lateAccepted;

    /**
     * An aggregator of {@code metrics} (column names, in the order values are given to {@link #add(String, long,
     * double...)}) that hands each result to {@code out}.
     */
    public WindowedAggregator(Windows windows, List<String> metrics, Consumer<WindowResult> out) {
        if (metrics.isEmpty()) {
            throw new IllegalArgumentException("name at least one metric to aggregate");
        }
        this.windows = Objects.requireNonNull(windows);
        this.metrics = List.copyOf(metrics);
        this.out = Objects.requireNonNull(out);
    }

    /** The windows. */
    public Windows windows() {
        return windows;
    }

    /** The current watermark in microseconds since the epoch ({@code Long.MIN_VALUE} before the first event). */
    public long watermark() {
        return maxEventTime == Long.MIN_VALUE ? Long.MIN_VALUE : maxEventTime - windows.delayMicros();
    }

    /** Events given so far. */
    public long events() {
        return events;
    }

    /** Events that came after every window they belonged to had expired, and were dropped. */
    public long droppedLate() {
        return dropped;
    }

    /** Events that came after a window of theirs had fired, and updated it (within the allowed lateness). */
    public long lateAccepted() {
        return lateAccepted;
    }

    /**
     * One event: {@code values} of the metrics, in the order of the constructor's list (NaN for a missing value).
     * Windows whose time has come fire before this returns.
     */
    public void add(String key, long eventTimeMicros, double... values) {
        accept(key, eventTimeMicros, values);
        emitUpdates();
    }

    /**
     * Every row of a batch, in row order. The key column is text (or absent: {@code keyColumn} null puts every row
     * under the key ""), the time column an Arrow timestamp of any unit, the metric columns any numeric type.
     *
     * @throws IllegalArgumentException if a column is missing or of the wrong type
     */
    public void add(VectorSchemaRoot batch, String keyColumn, String timeColumn) {
        FieldVector keys = keyColumn == null ? null : column(batch, keyColumn);
        if (!(column(batch, timeColumn) instanceof TimeStampVector time)) {
            throw new IllegalArgumentException("column '" + timeColumn + "' is not an Arrow timestamp: "
                    + batch.getVector(timeColumn).getField().getType());
        }
        long scale = toMicros((ArrowType.Timestamp) time.getField().getType());
        FieldVector[] values = new FieldVector[metrics.size()];
        for (int m = 0; m < values.length; m++) {
            values[m] = column(batch, metrics.get(m));
        }
        double[] row = new double[values.length];
        for (int i = 0; i < batch.getRowCount(); i++) {
            if (time.isNull(i)) {
                continue; // an event without a time belongs to no window
            }
            long t = scale >= 1 ? time.get(i) * scale : time.get(i) / -scale;
            String key = keys == null || keys.isNull(i) ? "" : keys.getObject(i).toString();
            for (int m = 0; m < values.length; m++) {
                row[m] = value(values[m], i);
            }
            accept(key, t, row);
        }
        emitUpdates();
    }

    /** End of input: the watermark goes to the end of time, and every open window fires (and expires). */
    public void finish() {
        emitUpdates();
        fireAndExpire(Long.MAX_VALUE);
    }

    private void accept(String key, long t, double[] values) {
        if (values.length != metrics.size()) {
            throw new IllegalArgumentException("expected " + metrics.size() + " values " + metrics + ", got "
                    + values.length);
        }
        events++;
        long w = watermark();
        boolean placed = false;
        boolean late = false;
        for (long start = windows.lastStart(t); start > t - windows.sizeMicros(); start -= windows.slideMicros()) {
            long end = start + windows.sizeMicros();
            if (w != Long.MIN_VALUE && w >= end + windows.latenessMicros()) {
                continue; // expired
            }
            Pane pane = open.computeIfAbsent(start, s -> new TreeMap<>()).computeIfAbsent(key, k -> new Pane(metrics.size()));
            for (int m = 0; m < values.length; m++) {
                pane.stats[m].add(values[m]);
            }
            if (w != Long.MIN_VALUE && w >= end) { // the watermark passed this window: a late event
                pane.dirty = true;
                late = true;
            }
            placed = true;
        }
        if (!placed) {
            dropped++;
        } else if (late) {
            lateAccepted++;
        }
        if (t > maxEventTime) {
            maxEventTime = t;
            fireAndExpire(watermark());
        }
    }

    /** Fires windows whose end the watermark reached, and forgets those past their allowed lateness. */
    private void fireAndExpire(long w) {
        for (Iterator<Map.Entry<Long, TreeMap<String, Pane>>> it = open.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, TreeMap<String, Pane>> window = it.next();
            long start = window.getKey();
            long end = start + windows.sizeMicros();
            if (w < end) {
                break; // later windows end later still
            }
            for (Map.Entry<String, Pane> e : window.getValue().entrySet()) {
                if (!e.getValue().fired || e.getValue().dirty) {
                    publish(e.getKey(), start, e.getValue());
                }
            }
            if (w == Long.MAX_VALUE || w - windows.latenessMicros() >= end) {
                it.remove();
            }
        }
    }

    /** Emits the windows that late events changed (or created, behind the watermark). */
    private void emitUpdates() {
        for (Map.Entry<Long, TreeMap<String, Pane>> window : open.entrySet()) {
            for (Map.Entry<String, Pane> e : window.getValue().entrySet()) {
                if (e.getValue().dirty) {
                    publish(e.getKey(), window.getKey(), e.getValue());
                }
            }
        }
    }

    /** Emits a window's results: revision 0 the first time, the next revision after late events. */
    private void publish(String key, long start, Pane pane) {
        if (pane.fired) {
            pane.revision++;
        }
        pane.fired = true;
        pane.dirty = false;
        emit(key, start, pane);
    }

    private void emit(String key, long start, Pane pane) {
        for (int m = 0; m < metrics.size(); m++) {
            Stats s = pane.stats[m];
            boolean any = s.count > 0;
            out.accept(new WindowResult(key, metrics.get(m), start, start + windows.sizeMicros(), s.count,
                    any ? s.sum / s.count : Double.NaN, any ? s.min : Double.NaN, any ? s.max : Double.NaN,
                    s.percentile(50), s.percentile(90), s.percentile(99), pane.revision));
        }
    }

    private static FieldVector column(VectorSchemaRoot batch, String name) {
        FieldVector v = batch.getVector(name);
        if (v == null) {
            throw new IllegalArgumentException("the batch has no column '" + name + "'; it has "
                    + batch.getSchema().getFields().stream().map(f -> f.getName()).toList());
        }
        return v;
    }

    private static double value(FieldVector v, int i) {
        if (v.isNull(i)) {
            return Double.NaN;
        }
        return switch (v) {
            case Float4Vector f -> f.get(i);
            case Float8Vector f -> f.get(i);
            case BaseIntVector b -> b.getValueAsLong(i);
            default -> {
                if (v.getObject(i) instanceof Number n) {
                    yield n.doubleValue();
                }
                throw new IllegalArgumentException("column '" + v.getName() + "' is not numeric: "
                        + v.getField().getType());
            }
        };
    }

    /** Multiplier from the unit to microseconds; negative means a divisor. */
    private static long toMicros(ArrowType.Timestamp type) {
        return switch (type.getUnit()) {
            case SECOND -> 1_000_000;
            case MILLISECOND -> 1_000;
            case MICROSECOND -> 1;
            case NANOSECOND -> -1_000;
        };
    }

    /** The metrics aggregated, in order. */
    public List<String> metrics() {
        return new ArrayList<>(metrics);
    }
}
