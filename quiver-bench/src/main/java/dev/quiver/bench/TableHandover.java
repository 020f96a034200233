package dev.quiver.bench;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Section 4: one table handed to N worker processes, two ways, timed from the moment the harness holds the table
 * (as Arrow vectors in its own memory) until every worker has it, and until every worker has computed on it (the
 * sum of column {@code x}, checked against the harness's):
 * <ul>
 *   <li>Quiver: the harness writes the table into the store once ({@link ArrowStore}, one copy into the arena), then
 *       tells the workers its id; each reads it zero-copy ({@link dev.quiver.arrow.StoredTable});</li>
 *   <li>socket: each worker connects to the harness, which sends it the table as an Arrow IPC stream straight from
 *       its buffers, to all workers at once (one thread each); each worker keeps the batches it read. This is what
 *       handing a table to worker processes by pickling does, minus the pickling.</li>
 * </ul>
 * Memory: each worker reports how much its private resident memory grew while it held the table; the total adds the
 * table's one copy in the store for Quiver. The workers of this section run with glibc's
 * {@code MALLOC_MMAP_THRESHOLD_} fixed at 1 MiB, so that memory a worker frees goes back to the system and every
 * repetition starts from the same footing (with glibc's default, a freed 28 MB buffer stays in the process and the
 * next repetition would appear to cost nothing).
 */
final class TableHandover {
    /** Figures over the repetitions at one worker count: times in nanoseconds, memory in bytes. */
    record Row(int workers, long tableBytes, Summary quiverReady, Summary quiverSummed, Summary quiverWrite,
               Summary quiverMemory, Summary socketReady, Summary socketSummed, Summary socketMemory) {}

    /** Environment of the workers of this section (see the class comment). */
    static final Map<String, String> WORKER_ENV = Map.of("MALLOC_MMAP_THRESHOLD_", "1048576");

    static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("x", FieldType.notNullable(new ArrowType.FloatingPoint(
                    FloatingPointPrecision.DOUBLE)), null),
            new Field("y", FieldType.notNullable(new ArrowType.FloatingPoint(
                    FloatingPointPrecision.DOUBLE)), null),
            new Field("k", FieldType.notNullable(new ArrowType.Int(32, true)), null)));

    private TableHandover() {}

    static List<Row> run(Options o, QuiverClient client, List<WorkerProcess> workers, Path dir) throws IOException {
        try (BufferAllocator allocator = new RootAllocator();
             Table table = Table.build(allocator, o.tableRows(), o.tableBatchRows());
             Sender sender = new Sender(dir.resolve("table.sock"), table)) {
            ArrowStore store = new ArrowStore(client, allocator);
            Handover h = new Handover(o, store, sender, table);
            o.progress().accept("table: warming up " + workers.size() + " workers with "
                    + Fmt.count(o.tableRows()) + " rows each way");
            h.quiver(workers);
            h.socket(workers);
            List<Row> rows = new ArrayList<>();
            for (int n : o.tableWorkers()) {
                List<WorkerProcess> some = workers.subList(0, n);
                List<Measured> quiver = new ArrayList<>();
                List<Measured> socket = new ArrayList<>();
                for (int rep = 1; rep <= o.tableRepetitions(); rep++) {
                    o.progress().accept("table: " + Fmt.count(o.tableRows()) + " rows to " + n + " worker(s), "
                            + "repetition " + rep + "/" + o.tableRepetitions());
                    quiver.add(h.quiver(some));
                    socket.add(h.socket(some));
                }
                rows.add(new Row(n, quiver.getFirst().objectBytes,
                        summary(quiver, Measured::ready), summary(quiver, Measured::summed),
                        summary(quiver, Measured::write), summary(quiver, Measured::memory),
                        summary(socket, Measured::ready), summary(socket, Measured::summed),
                        summary(socket, Measured::memory)));
            }
            return rows;
        }
    }

    /** The sum of column {@code x}, batch after batch, row after row: the same additions on every side. */
    static double sumOfX(List<VectorSchemaRoot> batches) {
        double sum = 0;
        for (VectorSchemaRoot b : batches) {
            Float8Vector x = (Float8Vector) b.getVector("x");
            MemorySegment values = MemorySegment.ofAddress(x.getDataBuffer().memoryAddress())
                    .reinterpret(8L * b.getRowCount());
            for (int i = 0; i < b.getRowCount(); i++) {
                sum += values.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
            }
        }
        return sum;
    }

    private static Summary summary(List<Measured> ms, ToDoubleFunction<Measured> f) {
        return Summary.of(ms.stream().mapToDouble(f).toArray());
    }

    /** One handover: times from its start, memory added by all processes. */
    private record Measured(double ready, double summed, double write, double memory, long objectBytes) {}

    private record Handover(Options o, ArrowStore store, Sender sender, Table table) {
        Measured quiver(List<WorkerProcess> workers) {
            long t0 = System.nanoTime();
            ObjectId id = ObjectId.random();
            long bytes = store.write(id, SCHEMA, table.batches(), null);
            long written = System.nanoTime();
            workers.forEach(w -> w.send("table-store " + id));
            Measured m = collect(workers, t0, written - t0, bytes);
            store.client().delete(id);
            return m;
        }

        Measured socket(List<WorkerProcess> workers) {
            long t0 = System.nanoTime();
            workers.forEach(w -> w.send("table-socket " + sender.path()));
            return collect(workers, t0, 0, 0);
        }

        /** Waits for every worker's answer; checks what each read. {@code shared} bytes are resident once. */
        private Measured collect(List<WorkerProcess> workers, long t0, long write, long shared) {
            long ready = 0;
            long summed = 0;
            long memory = shared;
            for (WorkerProcess w : workers) {
                String[] f = w.expect("OK", o.stepTimeout()).split(" ");
                long rows = Long.parseLong(f[2]);
                double sum = Double.longBitsToDouble(Long.parseLong(f[3]));
                if (rows != table.rows() || sum != table.sumOfX()) {
                    throw new BenchException(w.name() + " read " + rows + " rows summing to " + sum + "; the table"
                            + " has " + table.rows() + " rows summing to " + table.sumOfX());
                }
                ready = Math.max(ready, Long.parseLong(f[0]) - t0);
                summed = Math.max(summed, Long.parseLong(f[1]) - t0);
                memory += Long.parseLong(f[4]);
            }
            if (ready <= 0) {
                throw new BenchException("a worker's clock is behind the harness's: System.nanoTime() is not one"
                        + " clock for the processes of this machine");
            }
            return new Measured(ready, summed, write, memory, shared);
        }
    }

    /** The table in the harness's memory, as record batches, and its expected sum. */
    private record Table(List<VectorSchemaRoot> batches, long rows, double sumOfX) implements AutoCloseable {
        static Table build(BufferAllocator allocator, long rows, int batchRows) {
            List<VectorSchemaRoot> batches = new ArrayList<>();
            try {
                for (long from = 0; from < rows; from += batchRows) {
                    int n = (int) Math.min(batchRows, rows - from);
                    VectorSchemaRoot b = VectorSchemaRoot.create(SCHEMA, allocator);
                    batches.add(b);
                    BigIntVector id = (BigIntVector) b.getVector("id");
                    Float8Vector x = (Float8Vector) b.getVector("x");
                    Float8Vector y = (Float8Vector) b.getVector("y");
                    IntVector k = (IntVector) b.getVector("k");
                    for (BaseFixedWidthVector v : List.of(id, x, y, k)) {
                        v.allocateNew(n);
                    }
                    for (int i = 0; i < n; i++) {
                        long r = from + i;
                        id.set(i, r);
                        x.set(i, (r % 1000) * 0.001);
                        y.set(i, (r % 7919) * 0.5);
                        k.set(i, (int) (r % 100));
                    }
                    b.setRowCount(n);
                }
            } catch (RuntimeException e) {
                batches.forEach(VectorSchemaRoot::close);
                throw e;
            }
            return new Table(List.copyOf(batches), rows, TableHandover.sumOfX(batches));
        }

        @Override
        public void close() {
            batches.forEach(VectorSchemaRoot::close);
        }
    }

    /**
     * Sends the table as an Arrow IPC stream to whoever connects, one thread per connection, straight from the
     * harness's buffers (the record batches are unloaded once and only read afterwards), then closes the connection.
     */
    private static final class Sender implements AutoCloseable {
        private final List<ArrowRecordBatch> batches = new ArrayList<>();
        private final UnixServer server;

        Sender(Path path, Table table) throws IOException {
            table.batches().forEach(b -> batches.add(new VectorUnloader(b).getRecordBatch()));
            this.server = new UnixServer(path, "table-sender", this::send);
        }

        Path path() {
            return server.path();
        }

        private void send(SocketChannel c) {
            try (c) {
                WriteChannel out = new WriteChannel(c);
                MessageSerializer.serialize(out, SCHEMA);
                for (ArrowRecordBatch b : batches) {
                    MessageSerializer.serialize(out, b);
                }
                ArrowStreamWriter.writeEndOfStream(out, IpcOption.DEFAULT);
            } catch (IOException e) {
                // the worker went away; it reports its own failure
            }
        }

        @Override
        public void close() throws IOException {
            server.close(); // returns when no connection is still sending from the batches
            batches.forEach(ArrowRecordBatch::close);
        }
    }
}
