package dev.quiver.store;

import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.Locale;

/**
 * The engine's request counters: how many requests of each type it handled and how long each took (a histogram),
 * and the errors it answered, by request type and status. The engine thread records; the Prometheus client's
 * metrics are thread-safe, so a scrape reads them from the HTTP thread. Every data point is looked up once, here,
 * so recording a request allocates nothing.
 */
final class EngineMetrics {
    /** Request types, as the {@code op} label spells them. */
    enum Op {
        CONNECT, CREATE, CREATE_BATCH, SEAL, ABORT, PUBLISH, GET, RELEASE, RELEASE_HELD, END_HOLDS, CONTAINS, DELETE, LIST,
        RANGE, EVICT, HASH, SUBSCRIBE, STATS, CLIENTS;

        final String label = name().toLowerCase(Locale.ROOT);

        static Op of(Request request) {
            return switch (request) {
                case Request.Connect _ -> CONNECT;
                case Request.Create _ -> CREATE;
                case Request.CreateBatch _ -> CREATE_BATCH;
                case Request.Seal _ -> SEAL;
                case Request.Abort _ -> ABORT;
                case Request.Publish _ -> PUBLISH;
                case Request.Get _ -> GET;
                case Request.Release _ -> RELEASE;
                case Request.ReleaseHeld _ -> RELEASE_HELD;
                case Request.EndHolds _ -> END_HOLDS;
                case Request.Contains _ -> CONTAINS;
                case Request.Delete _ -> DELETE;
                case Request.ListObjects _ -> LIST;
                case Request.Range _ -> RANGE;
                case Request.Evict _ -> EVICT;
                case Request.Hash _ -> HASH;
                case Request.Subscribe _ -> SUBSCRIBE;
                case Request.Stats _ -> STATS;
                case Request.Clients _ -> CLIENTS;
            };
        }
    }

    private static final Op[] OPS = Op.values();
    private static final Status[] STATUSES = Status.values();

    private final DistributionDataPoint[] durations = new DistributionDataPoint[OPS.length];
    private final Counter errorCounter;
    /** Made at an op and status's first error: a series per pair that never failed would only be noise. */
    private final CounterDataPoint[][] errors = new CounterDataPoint[OPS.length][STATUSES.length];

    /** Registers the request metrics in {@code registry}. */
    EngineMetrics(PrometheusRegistry registry) {
        Histogram histogram = Histogram.builder()
                .name("quiver_request_duration_seconds")
                .help("Time the engine spent handling a request, by request type (a get or create that waits is"
                        + " counted once, for the time it took to queue it); _count is the number of requests")
                .unit(Unit.SECONDS)
                .labelNames("op")
                .classicOnly()
                .classicUpperBounds(1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2, 0.1, 1)
                .withoutExemplars()
                .register(registry);
        errorCounter = Counter.builder()
                .name("quiver_request_errors_total")
                .help("Requests the engine refused with an error, by request type and status")
                .labelNames("op", "status")
                .withoutExemplars()
                .register(registry);
        for (Op op : OPS) {
            durations[op.ordinal()] = histogram.labelValues(op.label);
        }
    }

    void request(Op op, long nanos) {
        durations[op.ordinal()].observe(nanos / 1e9);
    }

    void error(Op op, Status status) {
        CounterDataPoint c = errors[op.ordinal()][status.ordinal()];
        if (c == null) {
            c = errorCounter.labelValues(op.label, status.name().toLowerCase(Locale.ROOT));
            errors[op.ordinal()][status.ordinal()] = c;
        }
        c.inc();
    }
}
