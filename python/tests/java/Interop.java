import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.StoredTable;
import dev.quiver.arrow.StoredTensor;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.arrow.TensorSpec;
import dev.quiver.arrow.TensorStore;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The Java side of the Python client's cross-language tests: reads what Python wrote with Quiver's Java API and
 * writes it back with the same API, so that Python can compare. Prints one line per step on stdout.
 *
 * <pre>
 * Interop SOCKET table-copy FROM_HEX TO_HEX       ArrowStore.read, then ArrowStore.write
 * Interop SOCKET tensor-copy FROM_HEX TO_HEX      TensorStore.read, then TensorStore.write
 * Interop SOCKET shelf-copy FROM_KEY TO_KEY       Shelf.getArrow, then Shelf.put
 * Interop SOCKET shelf-hold KEY                   holds the key's table, prints "holding ROWS", then on a line of
 *                                                 stdin prints the first column's first value and "done"
 * Interop SOCKET stream-copy FROM TO [SEQ]        follows FROM from the earliest batch (or SEQ), appends each to TO,
 *                                                 prints "batch SEQ", "lost A B", and on the end "end N" (ends TO)
 * Interop SOCKET stream-write NAME N [MAX]        appends N one-row batches (x = seq), prints "appended SEQ"; ends;
 *                                                 keeps every batch, or about the newest MAX (Retention.batches)
 * Interop SOCKET stream-hang NAME N               appends N batches, prints "appended SEQ", then waits to be killed
 * Interop SOCKET stream-wait-write NAME N WAIT_MS  opens NAME waiting up to WAIT_MS for its writer, prints
 *                                                 "opened NEXT_SEQ", appends N one-row batches (x = seq), ends
 * Interop SOCKET stream-hold NAME                 opens NAME, prints "holding NEXT_SEQ", on a line of stdin closes
 *                                                 the writer (without ending the stream) and prints "closed"
 * Interop SOCKET create-and-hang HEX              creates an object, writes half of it, never seals; prints "created"
 * </pre>
 */
public class Interop {
    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        try (QuiverClient client = QuiverClient.connect(socket)) {
            ArrowStore arrow = new ArrowStore(client);
            switch (args[1]) {
                case "table-copy" -> {
                    try (StoredTable t = arrow.read(ObjectId.fromHex(args[2]), 0)) {
                        arrow.write(ObjectId.fromHex(args[3]), t.schema(), t.batches(), t.dictionaries());
                        System.out.println("copied " + t.rowCount());
                    }
                }
                case "tensor-copy" -> {
                    TensorStore tensors = new TensorStore(client);
                    try (StoredTensor t = tensors.read(ObjectId.fromHex(args[2]), 0)) {
                        tensors.write(ObjectId.fromHex(args[3]), TensorSpec.rowMajor(t.type(), t.shape()), t.data(),
                                t.spec());
                        System.out.println("copied " + t.size());
                    }
                }
                case "shelf-copy" -> {
                    Shelf shelf = Shelf.of(client);
                    try (StoredTable t = shelf.getArrow(args[2])) {
                        shelf.putBatches(args[3], t.schema(), t.batches(), t.dictionaries(), true);
                        System.out.println("copied " + t.rowCount());
                    }
                }
                case "shelf-hold" -> {
                    Shelf shelf = Shelf.of(client);
                    try (StoredTable t = shelf.getArrow(args[2])) {
                        System.out.println("holding " + t.rowCount());
                        new BufferedReader(new InputStreamReader(System.in)).readLine();
                        System.out.println("value " + t.batches().getFirst().getVector(0).getObject(0));
                        System.out.println("done");
                    }
                }
                case "stream-copy" -> {
                    StreamReader r = StreamReader.open(arrow, args[2], args.length > 4
                            ? StreamReader.Start.at(Long.parseLong(args[4])) : StreamReader.Start.EARLIEST);
                    try (StreamWriter w = StreamWriter.open(arrow, args[3], Retention.ALL)) {
                        while (true) {
                            StreamEvent e = r.next(Duration.ofSeconds(60));
                            if (e instanceof StreamEvent.Batch b) {
                                try (b) {
                                    for (var root : b.table().batches()) {
                                        w.append(root, b.table().dictionaries());
                                    }
                                    System.out.println("batch " + b.seq());
                                }
                            } else if (e instanceof StreamEvent.Lost l) {
                                System.out.println("lost " + l.fromSeq() + " " + l.toSeq());
                            } else if (e instanceof StreamEvent.End end) {
                                w.end();
                                System.out.println("end " + end.batches());
                                break;
                            } else {
                                System.out.println("timeout");
                                break;
                            }
                            System.out.flush();
                        }
                    }
                }
                case "stream-write" -> {
                    Retention retention = args.length > 4 ? Retention.batches(Long.parseLong(args[4])) : Retention.ALL;
                    try (StreamWriter w = StreamWriter.open(arrow, args[2], retention)) {
                        appendOneRowBatches(w, Integer.parseInt(args[3]));
                        w.end();
                    }
                }
                case "stream-wait-write" -> {
                    Duration wait = Duration.ofMillis(Long.parseLong(args[4]));
                    try (StreamWriter w = StreamWriter.open(arrow, args[2], Retention.ALL, wait)) {
                        System.out.println("opened " + w.nextSeq());
                        appendOneRowBatches(w, Integer.parseInt(args[3]));
                        w.end();
                    }
                }
                case "stream-hold" -> {
                    try (StreamWriter w = StreamWriter.open(arrow, args[2], Retention.ALL)) {
                        System.out.println("holding " + w.nextSeq());
                        System.out.flush();
                        new BufferedReader(new InputStreamReader(System.in)).readLine();
                    }
                    System.out.println("closed");
                }
                case "stream-hang" -> {
                    StreamWriter w = StreamWriter.open(arrow, args[2], Retention.ALL);
                    appendOneRowBatches(w, Integer.parseInt(args[3]));
                    System.out.flush();
                    Thread.sleep(Long.MAX_VALUE); // killed by the test, the writer still open
                }
                case "create-and-hang" -> {
                    WritableObject o = client.create(ObjectId.fromHex(args[2]), 1024);
                    o.data().asSlice(0, 512).fill((byte) 1);
                    System.out.println("created");
                    System.out.flush();
                    Thread.sleep(Long.MAX_VALUE); // killed by the test
                }
                default -> throw new IllegalArgumentException("unknown mode " + args[1]);
            }
        }
    }

    /** Appends {@code n} one-row batches (x = the batch's sequence number), printing "appended SEQ" for each. */
    private static void appendOneRowBatches(StreamWriter w, int n) {
        try (var allocator = new org.apache.arrow.memory.RootAllocator();
             var x = new org.apache.arrow.vector.BigIntVector("x", allocator)) {
            var root = new org.apache.arrow.vector.VectorSchemaRoot(List.of(x));
            for (int i = 0; i < n; i++) {
                x.setSafe(0, w.nextSeq());
                root.setRowCount(1);
                System.out.println("appended " + w.append(root));
            }
        }
    }
}
