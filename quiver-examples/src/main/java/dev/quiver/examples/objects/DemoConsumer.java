package dev.quiver.cli;

import dev.quiver.client.Digests;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A consumer process of {@code quiver demo}: gets objects 0..N-1 in order, blocking until each is sealed, and
 * prints {@code RESULT objects bytes zeroCopy checksum digests}.
 */
public final class DemoConsumer {
    private DemoConsumer() {}

    static ObjectId idOf(int seq) {
        return ObjectId.forName("quiver-demo/" + seq);
    }

    /** Sum of the object's longs, wrapping. */
    static long checksum(MemorySegment data) {
        long sum = 0;
        for (long off = 0; off + 8 <= data.byteSize(); off += 8) {
            sum += data.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
        }
        return sum;
    }

    public static void main(String[] args) {
        Path socket = Path.of(args[0]);
        int n = Integer.parseInt(args[2]);
        long checksum = 0;
        long bytes = 0;
        boolean zeroCopy = true;
        boolean digests = true;
        try (QuiverClient client = QuiverClient.connect(socket)) {
            long base = client.arenaAddress();
            long end = base + client.capacity();
            for (int seq = 0; seq < n; seq++) {
                try (ObjectBuffer b = client.get(idOf(seq), QuiverClient.WAIT_FOREVER).orElseThrow()) {
                    long at = b.data().address();
                    zeroCopy &= at >= base && at + b.data().byteSize() <= end;
                    digests &= Digests.of(b.data(), b.metadata()) == client.hash(b.id());
                    digests &= new String(b.metadata().toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)
                            .equals("seq=" + seq);
                    checksum += checksum(b.data());
                    bytes += b.data().byteSize();
                }
            }
        }
        System.out.printf("RESULT %d %d %s %016x %s%n", n, bytes, zeroCopy ? "yes" : "NO", checksum,
                digests ? "ok" : "MISMATCH");
        System.exit(zeroCopy && digests ? 0 : 1);
    }
}
