package dev.quiver.kafka;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The host-metrics micro-batches of the seed ("Streaming Arrow"): one row per sample, CPU and memory in percent.
 * <pre>
 * device utf8 | ts timestamp[us] | cpu_used, cpu_free, memory_used, memory_free float32 | run_elapsed_ms int32
 * </pre>
 */
public final class SeedMetrics {
    /** The key column. */
    public static final String DEVICE = "device";
    /** The event-time column (timestamp[us], no time zone; Quiver writes UTC). */
    public static final String TS = "ts";
    /** The metric columns. */
    public static final List<String> METRICS = List.of("cpu_used", "cpu_free", "memory_used", "memory_free");

    /** The seed's schema. */
    public static final Schema SCHEMA = new Schema(List.of(
            Field.nullable(DEVICE, ArrowType.Utf8.INSTANCE),
            Field.nullable(TS, new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
            float32("cpu_used"), float32("cpu_free"), float32("memory_used"), float32("memory_free"),
            Field.nullable("run_elapsed_ms", new ArrowType.Int(32, true))));

    /**
     * One sample.
     *
     * @param device       the host
     * @param tsMicros     when, microseconds since the epoch (UTC)
     * @param cpuUsed      CPU busy, percent
     * @param cpuFree      CPU idle, percent
     * @param memoryUsed   memory in use, percent
     * @param memoryFree   memory available, percent
     * @param runElapsedMs milliseconds since the run started
     */
    public record Sample(String device, long tsMicros, float cpuUsed, float cpuFree, float memoryUsed, float memoryFree,
            int runElapsedMs) {}

    private SeedMetrics() {}

    /** A batch of samples with the seed's schema; the caller closes it. */
    public static VectorSchemaRoot batch(List<Sample> samples, BufferAllocator allocator) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        try {
            root.allocateNew();
            VarCharVector device = (VarCharVector) root.getVector(DEVICE);
            TimeStampMicroVector ts = (TimeStampMicroVector) root.getVector(TS);
            Float4Vector cpuUsed = (Float4Vector) root.getVector("cpu_used");
            Float4Vector cpuFree = (Float4Vector) root.getVector("cpu_free");
            Float4Vector memUsed = (Float4Vector) root.getVector("memory_used");
            Float4Vector memFree = (Float4Vector) root.getVector("memory_free");
            IntVector elapsed = (IntVector) root.getVector("run_elapsed_ms");
            for (int i = 0; i < samples.size(); i++) {
                Sample s = samples.get(i);
                device.setSafe(i, s.device().getBytes(StandardCharsets.UTF_8));
                ts.setSafe(i, s.tsMicros());
                cpuUsed.setSafe(i, s.cpuUsed());
                cpuFree.setSafe(i, s.cpuFree());
                memUsed.setSafe(i, s.memoryUsed());
                memFree.setSafe(i, s.memoryFree());
                elapsed.setSafe(i, s.runElapsedMs());
            }
            root.setRowCount(samples.size());
            return root;
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    private static Field float32(String name) {
        return new Field(name, FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null);
    }
}
