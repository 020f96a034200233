package dev.quiver.examples.objects;

import dev.quiver.client.Digests;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * A consumer process of {@code quiver demo objects}: gets objects 0..N-1 in order, blocking until each is sealed, reads
 * every byte of each in place, and prints {@code RESULT objects bytes crc32c digests}: how many objects it got, their
 * bytes, a CRC-32C over the bytes it read (object after object) and whether every object's digest and metadata were
 * right. The producer compares the count, bytes and CRC with what it wrote.
 *
 * <p>There is no "the buffer lies in the arena" check here: a get returns a view of the client's own mapping of the
 * arena, so such a check could not fail. What could go wrong is the content, and the CRC is over the content.
 */
public final class DemoConsumer {
    private DemoConsumer() {}

    static ObjectId idOf(int seq) {
        return ObjectId.forName("quiver-demo/" + seq);
    }

    /** Adds the object's bytes to the running CRC-32C (in slices: a ByteBuffer holds at most 2 GiB). */
    static void update(CRC32C crc, MemorySegment data) {
        for (long off = 0; off < data.byteSize(); off += 1L << 30) {
            crc.update(data.asSlice(off, Math.min(1L << 30, data.byteSize() - off)).asByteBuffer());
        }
    }

    public static void main(String[] args) {
        Path socket = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        CRC32C crc = new CRC32C();
        int objects = 0;
        long bytes = 0;
        boolean digests = true;
        try (QuiverClient client = QuiverClient.connect(socket)) {
            for (int seq = 0; seq < n; seq++) {
                try (ObjectBuffer b = client.get(idOf(seq), QuiverClient.WAIT_FOREVER).orElseThrow()) {
                    digests &= Digests.of(b.data(), b.metadata()) == client.hash(b.id());
                    digests &= new String(b.metadata().toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)
                            .equals("seq=" + seq);
                    update(crc, b.data());
                    bytes += b.data().byteSize();
                    objects++;
                }
            }
        }
        System.out.printf("RESULT %d %d %08x %s%n", objects, bytes, crc.getValue(), digests ? "ok" : "MISMATCH");
    }
}
