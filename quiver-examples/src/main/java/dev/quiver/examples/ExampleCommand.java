package dev.quiver.examples;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.cli.SchemaText;
import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.ShelfUsage;
import dev.quiver.arrow.StoredTable;
import dev.quiver.arrow.StoredTensor;
import dev.quiver.arrow.TensorSpec;
import dev.quiver.arrow.TensorStore;
import dev.quiver.arrow.TensorType;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.ObjectNotFoundException;
import dev.quiver.client.QuiverClient;
import dev.quiver.embedded.EmbeddedStore;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Sizes;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.table.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code quiver example}: Plasma's walkthrough ("Using Arrow and Pandas with Plasma") and the ArrowShelf quick start,
 * translated into Quiver and run on an embedded store. The source of this class is the example: each step names the
 * Plasma (Python) call it replaces.
 */
@Command(name = "example", mixinStandardHelpOptions = true,
        description = {"Runs the walkthrough of the README's \"Arrow on the shelf\" on an embedded store: object ids, "
                + "a tensor, a record batch, gets with a timeout, then the shelf (put, get, list, delete, memory).",
                "Its source, ExampleCommand.java, is the example to read."})
public final class ExampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (BufferAllocator allocator = new RootAllocator();
             EmbeddedStore store = EmbeddedStore.start(64L << 20); // plasma_store -m 64000000 -s /tmp/plasma
             Shelf shelf = Shelf.connect(store.socket())) {
            QuiverClient client = shelf.client();               // client = plasma.connect("/tmp/plasma")
            out.printf("1. An embedded store of %s on %s, and a client connected to it%n",
                    Sizes.format(client.capacity()), shelf.socket());

            // 2. Object ids: 20 bytes, as in Plasma. From a name (SHA-1 of it), or at random.
            ObjectId named = ObjectId.forName("example/tensor"); // plasma.ObjectID(20 bytes)
            ObjectId random = ObjectId.random();                 // plasma.ObjectID.from_random()
            out.printf("2. Object ids: forName(\"example/tensor\") = %s, random() = %s%n", named, random);

            // 3. A tensor (Plasma: pa.Tensor.from_numpy, then pa.ipc.write_tensor into a created buffer, seal;
            //    another client: get, pa.ipc.read_tensor, to_numpy). Here: written as an Arrow IPC Tensor message
            //    straight into store memory, read back zero-copy.
            TensorStore tensors = new TensorStore(client);
            double[] values = new double[10];
            for (int i = 0; i < values.length; i++) {
                values[i] = i * 0.5;
            }
            TensorSpec vector = TensorSpec.rowMajor(TensorType.FLOAT64, 10);
            tensors.write(named, vector, values);
            try (StoredTensor t = tensors.read(named, QuiverClient.WAIT_FOREVER)) {
                out.printf("3. A tensor of shape %s written and read back zero-copy: %s%n",
                        Arrays.toString(t.shape()), Arrays.toString(t.toDoubleArray()));
            }

            // 4. A data frame as a record batch (Plasma: pa.RecordBatch.from_pandas(df), a RecordBatchStreamWriter into
            //    a buffer of the size measured with a MockOutputStream, seal; then get, RecordBatchStreamReader,
            //    to_pandas). ArrowStore measures, creates, writes in place and seals in one call.
            ObjectId frameId = ObjectId.forName("example/frame");
            ArrowStore arrow = new ArrowStore(client, allocator);
            try (VectorSchemaRoot frame = dataFrame(allocator)) {
                long size = arrow.write(frameId, frame);
                out.printf("4. A record batch of %d rows (%s) written as one object of %s%n", frame.getRowCount(),
                        SchemaText.abbreviate(frame.getSchema(), 60), Sizes.format(size));
            }
            try (StoredTable t = arrow.read(frameId, 1000)) {  // waits up to 1 s for the object to be sealed
                VectorSchemaRoot batch = t.batches().getFirst(); // vectors over store memory, nothing copied
                VarCharVector names = (VarCharVector) batch.getVector("name");
                Float8Vector scores = (Float8Vector) batch.getVector("score");
                out.printf("   read back zero-copy: %d rows, first row %s / %.1f%n", t.rowCount(),
                        new String(names.get(0), StandardCharsets.UTF_8), scores.get(0));
            }

            // 5. Gets with a timeout (Plasma: client.get(object_id, timeout_ms) returned ObjectNotAvailable).
            Optional<ObjectBuffer> missing = client.get(random, 100);
            out.printf("5. get(random id, 100 ms): %s after waiting; contains(tensor id) = %s%n",
                    missing.isPresent() ? "present" : "not available", client.contains(named));
            try {
                arrow.read(random, 0);
            } catch (ObjectNotFoundException e) {
                out.println("   ArrowStore.read of a missing object: " + e.getMessage());
            }

            // 6. The shelf (ArrowShelf: key = put(df); get(key); get_arrow(key); list_keys(); delete(key);
            //    delete_all(); memory_usage()).
            try (Table table = new Table(dataFrame(allocator))) {
                String key = shelf.put(table);                        // a generated, human-readable key
                shelf.put("scores", table);                           // a chosen key
                out.printf("6. put: a generated key '%s', and 'scores'; keys on the shelf: %s%n", key,
                        shelf.listKeys());
                try (Table copy = shelf.get(key)) {                   // a copy the caller owns
                    out.printf("   get('%s'): a copy of %d rows in this process's memory%n", key, copy.getRowCount());
                }
                try (StoredTable zeroCopy = shelf.getArrow("scores")) { // zero-copy, until closed
                    out.printf("   getArrow('scores'): %d rows read in place%n", zeroCopy.rowCount());
                }
                shelf.put("scores", table, true);                     // replace: readers see old or new, never a mix
                out.printf("   replaced 'scores': version %d%n", shelf.entry("scores").orElseThrow().version());
                ShelfUsage usage = shelf.memoryUsage();
                out.printf("   memoryUsage(): %d tables in %s; the store uses %s of %s%n", usage.tables(),
                        Sizes.format(usage.tableBytes()), Sizes.format(usage.storeUsed()),
                        Sizes.format(usage.storeCapacity()));
                shelf.delete(key);
                out.printf("   delete('%s'): keys now %s%n", key, shelf.listKeys());
                out.printf("   deleteAll(): %d deleted; keys now %s%n", shelf.deleteAll(), shelf.listKeys());
            }
        }
        out.println("Done: the store was stopped and its memory released.");
        out.flush();
        return 0;
    }

    /** Plasma's pandas data frame, as an Arrow record batch. */
    private static VectorSchemaRoot dataFrame(BufferAllocator allocator) {
        String[] names = {"ada", "grace", "edsger", "barbara", "donald"};
        VarCharVector name = new VarCharVector("name", allocator);
        IntVector age = new IntVector("age", allocator);
        Float8Vector score = new Float8Vector("score", allocator);
        for (int i = 0; i < names.length; i++) {
            name.setSafe(i, names[i].getBytes(StandardCharsets.UTF_8));
            age.setSafe(i, 30 + 7 * i);
            score.setSafe(i, 90.5 - 3 * i);
        }
        VectorSchemaRoot root = VectorSchemaRoot.of(name, age, score);
        root.setRowCount(names.length);
        return root;
    }
}
