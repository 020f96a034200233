package dev.quiver.bench;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.StoredTable;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import dev.quiver.testkit.ProcessMemory;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.util.TransferPair;

/**
 * The worker's side of section 4 ({@link TableHandover}): takes the table, by way of the store or of a socket, and
 * answers when it had it and when it had computed on it (absolute {@link System#nanoTime()}, which on Linux is
 * CLOCK_MONOTONIC, one clock for every process of the machine), with what it computed and what memory it added.
 *
 * <pre>
 * table-store ID       read the table zero-copy from the store  -> OK READY_NS SUMMED_NS ROWS SUM_BITS PRIVATE
 * table-socket PATH    read it as an Arrow IPC stream from PATH  -> the same
 * </pre>
 * PRIVATE is how much this process's private resident memory grew while it took and held the table.
 */
final class TableWorker {
    private final QuiverClient client;
    private final BufferAllocator allocator;

    TableWorker(QuiverClient client, BufferAllocator allocator) {
        this.client = client;
        this.allocator = allocator;
    }

    String fromStore(ObjectId id) {
        ProcessMemory before = memory();
        try (StoredTable table = new ArrowStore(client, allocator).read(id, QuiverClient.NO_WAIT)) {
            return answer(before, System.nanoTime(), table.batches());
        }
    }

    String fromSocket(Path socket) throws Exception {
        ProcessMemory before = memory();
        List<VectorSchemaRoot> held = new ArrayList<>();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            try (ArrowStreamReader reader = new ArrowStreamReader(channel, allocator)) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                while (reader.loadNextBatch()) {
                    held.add(takeOver(root)); // the reader reuses its root for the next batch
                }
            }
            return answer(before, System.nanoTime(), held);
        } finally {
            AutoCloseables.close(held);
        }
    }

    /** A root that owns the vectors' buffers now (a transfer: nothing is copied). */
    private VectorSchemaRoot takeOver(VectorSchemaRoot root) {
        List<FieldVector> vectors = new ArrayList<>();
        for (FieldVector v : root.getFieldVectors()) {
            TransferPair pair = v.getTransferPair(allocator);
            pair.transfer();
            vectors.add((FieldVector) pair.getTo());
        }
        return new VectorSchemaRoot(vectors);
    }

    /** The bench measures memory on Linux only: elsewhere it stops with a clear message instead of judging zeros. */
    private static ProcessMemory memory() {
        return ProcessMemory.read().orElseThrow(() -> new IllegalStateException(
                "cannot read /proc/self/status and /proc/self/smaps_rollup: the table handover measures memory on Linux only"));
    }

    private static String answer(ProcessMemory before, long ready, List<VectorSchemaRoot> batches) {
        long rows = batches.stream().mapToLong(VectorSchemaRoot::getRowCount).sum();
        double sum = TableHandover.sumOfX(batches);
        long summed = System.nanoTime();
        ProcessMemory holding = memory();
        return "OK " + ready + " " + summed + " " + rows + " " + Double.doubleToLongBits(sum) + " "
                + (holding.privateKiB() - before.privateKiB()) * 1024;
    }
}
