import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.StoredTable;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The local Java side of the Flight tests (test_flight.py): what a process on the store's machine sees of what a
 * remote Flight peer did, and a local stream writer for a remote follower. One line per step on stdout.
 *
 * <pre>
 * FlightPeer SOCKET shelf-read KEY         reads KEY zero-copy; prints "rows N", "sum S" (column "x", int64) and
 *                                          "zero-copy true|false" (whether the vectors lie in the key's store object)
 * FlightPeer SOCKET stream-write NAME N    appends batch 0 (x = 0..99), prints "appended 0", waits for a line on
 *                                          stdin, appends batches 1..N-1 (x = seq*100 ..), ends, prints "ended N"
 * </pre>
 */
public class FlightPeer {
    public static void main(String[] args) throws Exception {
        try (QuiverClient client = QuiverClient.connect(Path.of(args[0]))) {
            switch (args[1]) {
                case "shelf-read" -> {
                    try (Shelf shelf = Shelf.of(client);
                         StoredTable t = shelf.getArrow(args[2]);
                         ObjectBuffer object = shelf.object(args[2])) {
                        MemorySegment data = object.data();
                        long sum = 0;
                        boolean inside = true;
                        for (VectorSchemaRoot batch : t.batches()) {
                            BigIntVector x = (BigIntVector) batch.getVector("x");
                            for (int i = 0; i < x.getValueCount(); i++) {
                                sum += x.get(i);
                            }
                            for (FieldVector v : batch.getFieldVectors()) {
                                long a = v.getDataBuffer().memoryAddress();
                                inside &= a >= data.address() && a < data.address() + data.byteSize();
                            }
                        }
                        System.out.println("rows " + t.rowCount());
                        System.out.println("sum " + sum);
                        System.out.println("zero-copy " + inside);
                    }
                }
                case "stream-write" -> {
                    int n = Integer.parseInt(args[3]);
                    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in));
                    try (StreamWriter w = StreamWriter.open(new ArrowStore(client), args[2], Retention.ALL);
                         BigIntVector x = new BigIntVector("x", new ArrowStore(client).allocator());
                         VectorSchemaRoot root = VectorSchemaRoot.of(x)) {
                        for (int seq = 0; seq < n; seq++) {
                            for (int i = 0; i < 100; i++) {
                                x.setSafe(i, seq * 100L + i);
                            }
                            root.setRowCount(100);
                            w.append(root);
                            if (seq == 0) {
                                System.out.println("appended 0");
                                System.out.flush();
                                stdin.readLine(); // the remote follower has batch 0: go on while it follows
                            }
                        }
                        w.end();
                        System.out.println("ended " + n);
                    }
                }
                default -> throw new IllegalArgumentException("unknown step " + args[1]);
            }
        }
    }
}
