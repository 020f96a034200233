package dev.quiver.arrow;

import dev.quiver.arrow.RandomArrow.Spec;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A reader in a child JVM, for {@link ZeroCopyCrossProcessTest}. Arguments: the store's socket, the name of the
 * table object (written from {@link ZeroCopyCrossProcessTest#SPEC}), the name of the poke object (one BigInt column
 * "v"). It reads both zero-copy and answers on stdout:
 *
 * <pre>
 * ready base=B capacity=C
 * table batches=N buffers=K outside=O values=ok|MISMATCH ...   every buffer holding data, inside [B, B + C)?
 * poke offset=O value=V                                          where row 500 of v lies in the arena, and its value
 * peek value=V                                                   (on "peek") row 500 of v, read again
 * bye                                                            (on "exit") after closing everything
 * </pre>
 */
public final class ZeroCopyReaderChild {
    static final int ROW = 500;

    private ZeroCopyReaderChild() {}

    public static void main(String[] args) throws Exception {
        try (QuiverClient client = QuiverClient.connect(Path.of(args[0]), Duration.ofSeconds(10));
             BufferAllocator allocator = new RootAllocator();
             BufferAllocator expectedData = new RootAllocator()) {
            long base = client.arenaAddress();
            long capacity = client.capacity();
            out("ready base=" + base + " capacity=" + capacity);
            ArrowStore arrow = new ArrowStore(client, allocator);
            Spec spec = ZeroCopyCrossProcessTest.SPEC;
            try (StoredTable table = arrow.read(ObjectId.forName(args[1]), QuiverClient.WAIT_FOREVER);
                 StoredTable poke = arrow.read(ObjectId.forName(args[2]), QuiverClient.WAIT_FOREVER);
                 RandomArrow.Table expected = RandomArrow.table(spec, expectedData)) {
                int buffers = 0;
                int outside = 0;
                for (VectorSchemaRoot batch : table.batches()) {
                    for (ArrowBuf b : ArrowChecks.buffers(batch)) {
                        if (b.capacity() == 0) {
                            continue; // no data
                        }
                        buffers++;
                        if (b.memoryAddress() < base || b.memoryAddress() + b.capacity() > base + capacity) {
                            outside++;
                        }
                    }
                }
                String values = "ok";
                try {
                    for (int i = 0; i < expected.batchCount(); i++) {
                        try (VectorSchemaRoot e = expected.batch(i)) {
                            ArrowChecks.assertSameBatch(e, table.batches().get(i), "batch " + i);
                        }
                    }
                    ArrowChecks.assertSameDictionaries(expected.dictionaries, table.dictionaries(), "dictionaries");
                } catch (AssertionError e) {
                    values = "MISMATCH " + e.getMessage().replace('\n', ' ');
                }
                out("table batches=" + table.batches().size() + " buffers=" + buffers + " outside=" + outside
                        + " values=" + values);

                BigIntVector v = (BigIntVector) poke.batches().getFirst().getVector("v");
                long address = v.getDataBuffer().memoryAddress() + (long) ROW * Long.BYTES;
                out("poke offset=" + (address - base) + " value=" + v.get(ROW));

                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null && !line.equals("exit")) {
                    if (line.equals("peek")) {
                        out("peek value=" + v.get(ROW));
                    }
                }
            }
        }
        out("bye");
    }

    private static void out(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
