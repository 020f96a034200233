package dev.quiver.kafka;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Window results and alerts as Arrow batches, for the sinks (one row each). The caller closes the roots. */
public final class ResultTables {
    private ResultTables() {}

    /**
     * Columns {@code key, metric} (utf8), {@code window_start, window_end} (timestamp[us]), {@code count} (int64),
     * {@code mean, min, max, p50, p90, p99} (float64), {@code revision} (int32).
     */
    public static VectorSchemaRoot windowResults(List<WindowResult> results, BufferAllocator allocator) {
        int n = results.size();
        VarCharVector key = new VarCharVector("key", allocator);
        VarCharVector metric = new VarCharVector("metric", allocator);
        TimeStampMicroVector start = new TimeStampMicroVector("window_start", allocator);
        TimeStampMicroVector end = new TimeStampMicroVector("window_end", allocator);
        BigIntVector count = new BigIntVector("count", allocator);
        Float8Vector[] stats = {new Float8Vector("mean", allocator), new Float8Vector("min", allocator),
                new Float8Vector("max", allocator), new Float8Vector("p50", allocator), new Float8Vector("p90", allocator),
                new Float8Vector("p99", allocator)};
        IntVector revision = new IntVector("revision", allocator);
        List<FieldVector> all = new java.util.ArrayList<>(List.of(key, metric, start, end, count));
        all.addAll(List.of(stats));
        all.add(revision);
        all.forEach(v -> v.setInitialCapacity(n));
        all.forEach(FieldVector::allocateNew);
        for (int i = 0; i < n; i++) {
            WindowResult r = results.get(i);
            key.setSafe(i, r.key().getBytes(StandardCharsets.UTF_8));
            metric.setSafe(i, r.metric().getBytes(StandardCharsets.UTF_8));
            start.setSafe(i, r.startMicros());
            end.setSafe(i, r.endMicros());
            count.setSafe(i, r.count());
            double[] values = {r.mean(), r.min(), r.max(), r.p50(), r.p90(), r.p99()};
            for (int s = 0; s < stats.length; s++) {
                if (Double.isNaN(values[s])) {
                    stats[s].setNull(i);
                } else {
                    stats[s].setSafe(i, values[s]);
                }
            }
            revision.setSafe(i, r.revision());
        }
        VectorSchemaRoot root = new VectorSchemaRoot(all);
        root.setRowCount(n);
        return root;
    }

    /**
     * Columns {@code rule, key, metric, stat, comparison} (utf8), {@code value, threshold} (float64),
     * {@code window_start, window_end} (timestamp[us]), {@code revision} (int32), {@code message} (utf8).
     */
    public static VectorSchemaRoot alerts(List<Alert> alerts, BufferAllocator allocator) {
        int n = alerts.size();
        VarCharVector rule = new VarCharVector("rule", allocator);
        VarCharVector key = new VarCharVector("key", allocator);
        VarCharVector metric = new VarCharVector("metric", allocator);
        VarCharVector stat = new VarCharVector("stat", allocator);
        VarCharVector comparison = new VarCharVector("comparison", allocator);
        Float8Vector value = new Float8Vector("value", allocator);
        Float8Vector threshold = new Float8Vector("threshold", allocator);
        TimeStampMicroVector start = new TimeStampMicroVector("window_start", allocator);
        TimeStampMicroVector end = new TimeStampMicroVector("window_end", allocator);
        IntVector revision = new IntVector("revision", allocator);
        VarCharVector message = new VarCharVector("message", allocator);
        List<FieldVector> all = List.of(rule, key, metric, stat, comparison, value, threshold, start, end, revision,
                message);
        all.forEach(v -> v.setInitialCapacity(n));
        all.forEach(FieldVector::allocateNew);
        for (int i = 0; i < n; i++) {
            Alert a = alerts.get(i);
            rule.setSafe(i, a.rule().getBytes(StandardCharsets.UTF_8));
            key.setSafe(i, a.key().getBytes(StandardCharsets.UTF_8));
            metric.setSafe(i, a.metric().getBytes(StandardCharsets.UTF_8));
            stat.setSafe(i, a.stat().name().getBytes(StandardCharsets.UTF_8));
            comparison.setSafe(i, (a.above() ? "above" : "below").getBytes(StandardCharsets.UTF_8));
            value.setSafe(i, a.value());
            threshold.setSafe(i, a.threshold());
            start.setSafe(i, a.startMicros());
            end.setSafe(i, a.endMicros());
            revision.setSafe(i, a.revision());
            message.setSafe(i, a.message().getBytes(StandardCharsets.UTF_8));
        }
        VectorSchemaRoot root = new VectorSchemaRoot(all);
        root.setRowCount(n);
        return root;
    }
}
