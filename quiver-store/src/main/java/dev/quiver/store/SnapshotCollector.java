package dev.quiver.store;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The store's gauges, and the counters the engine keeps itself, from one {@link StoreSnapshot} per scrape: every
 * figure of a scrape is of the same instant, and the scraping thread reads only the snapshot the engine thread made.
 */
final class SnapshotCollector implements MultiCollector {
    private final Supplier<StoreSnapshot> snapshots;

    SnapshotCollector(Supplier<StoreSnapshot> snapshots) {
        this.snapshots = snapshots;
    }

    @Override
    public MetricSnapshots collect() {
        StoreSnapshot s = snapshots.get();
        List<MetricSnapshot> m = new ArrayList<>();
        m.add(gauge("quiver_arena_capacity_bytes", "Usable bytes of the arena (-m)", Unit.BYTES, s.capacity()));
        m.add(gauge("quiver_arena_used_bytes", "Bytes of the arena that objects take", Unit.BYTES, s.used()));
        m.add(gauge("quiver_arena_pinned_bytes", "Bytes of objects that are referenced or being written: they cannot"
                + " be evicted", Unit.BYTES, s.pinned()));
        m.add(gauge("quiver_arena_evictable_bytes", "Bytes of sealed objects nobody references: evicted, least"
                + " recently released first, when a create needs room", Unit.BYTES, s.evictable()));
        m.add(gauge("quiver_arena_free_bytes", "Bytes of the arena no object takes", Unit.BYTES, s.free()));
        m.add(gauge("quiver_arena_largest_free_block_bytes", "The largest contiguous free block: the largest object"
                + " that fits without evicting", Unit.BYTES, s.largestFree()));
        m.add(GaugeSnapshot.builder().name("quiver_objects").help("Objects in the store, by state")
                .dataPoint(point("state", "being_written", s.createdObjects()))
                .dataPoint(point("state", "sealed", s.sealedObjects()))
                .dataPoint(point("state", "deleted_referenced", s.deletePendingObjects()))
                .build());
        m.add(gauge("quiver_clients", "Connected clients", null, s.clients()));
        m.add(gauge("quiver_subscribers", "Clients subscribed to seal and delete notifications", null,
                s.subscribers()));
        m.add(gauge("quiver_waiting_gets", "Gets waiting for objects to be sealed", null, s.waitingGets()));
        m.add(gauge("quiver_waiting_creates", "Creates waiting for memory", null, s.waitingCreates()));
        m.add(gauge("quiver_shelf_keys", "Keys on the shelf (objects whose metadata names a shelf key)", null,
                s.shelf().size()));
        m.add(counter("quiver_evictions", "Objects evicted to make room", null, s.evictedObjects()));
        m.add(counter("quiver_evicted_bytes", "Bytes of the objects evicted", Unit.BYTES, s.evictedBytes()));
        m.add(counter("quiver_engine_busy_seconds", "Time the engine thread was not blocked waiting for work"
                + " (rate() of it is the busy fraction)", Unit.SECONDS, s.engineBusySeconds()));
        m.add(gauge("quiver_engine_busy_ratio", "Share of the time since the previous scrape or status poll that the"
                + " engine thread was not blocked waiting for work", Unit.RATIO, s.busyRatio()));
        streams(s.streams(), m);
        return new MetricSnapshots(m);
    }

    /** Per stream and per reader, from the streams' segments and readers' cursors (docs/stream-log.md). */
    private static void streams(List<StoreSnapshot.StreamStatus> streams, List<MetricSnapshot> m) {
        m.add(gauge("quiver_streams", "Streams with a log segment or a reader in the store", null, streams.size()));
        GaugeSnapshot.Builder writer = GaugeSnapshot.builder().name("quiver_stream_writer_alive")
                .help("1 while a writer has the stream open, else 0");
        GaugeSnapshot.Builder next = GaugeSnapshot.builder().name("quiver_stream_next_seq")
                .help("The sequence number the stream's next batch gets (the writer's position)");
        GaugeSnapshot.Builder segments = GaugeSnapshot.builder().name("quiver_stream_segments")
                .help("Log segments of the stream in the store");
        GaugeSnapshot.Builder logBytes = GaugeSnapshot.builder().name("quiver_stream_log_bytes").unit(Unit.BYTES)
                .help("Bytes of the frames published in the stream's segments");
        GaugeSnapshot.Builder readers = GaugeSnapshot.builder().name("quiver_stream_readers")
                .help("Open readers of the stream, in any process");
        GaugeSnapshot.Builder lag = GaugeSnapshot.builder().name("quiver_stream_reader_lag_batches")
                .help("Batches published that the reader has not read yet");
        GaugeSnapshot.Builder lagBytes = GaugeSnapshot.builder().name("quiver_stream_reader_lag_bytes")
                .unit(Unit.BYTES).help("Bytes of log published after the reader's position");
        CounterSnapshot.Builder lost = CounterSnapshot.builder().name("quiver_stream_reader_lost_batches")
                .help("Batches the reader was told it lost: retention or eviction dropped them before it read them");
        CounterSnapshot.Builder losses = CounterSnapshot.builder().name("quiver_stream_reader_losses")
                .help("Lost events the reader was given (each covers one run of lost batches)");
        for (StoreSnapshot.StreamStatus st : streams) {
            Labels stream = Labels.of("stream", st.name());
            writer.dataPoint(GaugeDataPointSnapshot.builder().labels(stream).value(st.writerAlive() ? 1 : 0).build());
            if (st.nextSeq() >= 0) {
                next.dataPoint(GaugeDataPointSnapshot.builder().labels(stream).value(st.nextSeq()).build());
            }
            segments.dataPoint(GaugeDataPointSnapshot.builder().labels(stream).value(st.segments()).build());
            logBytes.dataPoint(GaugeDataPointSnapshot.builder().labels(stream).value(st.logBytes()).build());
            readers.dataPoint(GaugeDataPointSnapshot.builder().labels(stream).value(st.readers().size()).build());
            for (StoreSnapshot.StreamReader r : st.readers()) {
                Labels reader = Labels.of("stream", st.name(), "reader", r.id(), "pid", String.valueOf(r.pid()));
                if (r.lagBatches() >= 0) {
                    lag.dataPoint(GaugeDataPointSnapshot.builder().labels(reader).value(r.lagBatches()).build());
                }
                lagBytes.dataPoint(GaugeDataPointSnapshot.builder().labels(reader).value(r.lagBytes()).build());
                lost.dataPoint(CounterDataPointSnapshot.builder().labels(reader).value(r.lostBatches()).build());
                losses.dataPoint(CounterDataPointSnapshot.builder().labels(reader).value(r.losses()).build());
            }
        }
        m.add(writer.build());
        m.add(next.build());
        m.add(segments.build());
        m.add(logBytes.build());
        m.add(readers.build());
        m.add(lag.build());
        m.add(lagBytes.build());
        m.add(lost.build());
        m.add(losses.build());
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of("quiver_arena_capacity_bytes", "quiver_arena_used_bytes", "quiver_arena_pinned_bytes",
                "quiver_arena_evictable_bytes", "quiver_arena_free_bytes", "quiver_arena_largest_free_block_bytes",
                "quiver_objects", "quiver_clients", "quiver_subscribers", "quiver_waiting_gets",
                "quiver_waiting_creates", "quiver_shelf_keys", "quiver_evictions", "quiver_evicted_bytes",
                "quiver_engine_busy_seconds", "quiver_engine_busy_ratio", "quiver_streams",
                "quiver_stream_writer_alive", "quiver_stream_next_seq", "quiver_stream_segments",
                "quiver_stream_log_bytes", "quiver_stream_readers", "quiver_stream_reader_lag_batches",
                "quiver_stream_reader_lag_bytes", "quiver_stream_reader_lost_batches", "quiver_stream_reader_losses");
    }

    private static GaugeSnapshot gauge(String name, String help, Unit unit, double value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().value(value).build());
        return (unit == null ? b : b.unit(unit)).build();
    }

    private static CounterSnapshot counter(String name, String help, Unit unit, double value) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterDataPointSnapshot.builder().value(value).build());
        return (unit == null ? b : b.unit(unit)).build();
    }

    private static GaugeDataPointSnapshot point(String label, String value, double v) {
        return GaugeDataPointSnapshot.builder().labels(Labels.of(label, value)).value(v).build();
    }
}
