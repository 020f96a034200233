package dev.quiver.arrow;

import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import java.util.HexFormat;

/** Helpers shared by the tensor tests. */
final class TensorTestSupport {
    private TensorTestSupport() {
    }

    /** Hex digits to bytes; whitespace and {@code #} comments to the end of a line are ignored. */
    static byte[] hex(String annotated) {
        StringBuilder digits = new StringBuilder();
        for (String line : annotated.split("\n")) {
            int comment = line.indexOf('#');
            digits.append((comment < 0 ? line : line.substring(0, comment)).replaceAll("\\s", ""));
        }
        return HexFormat.of().parseHex(digits);
    }

    /** The references the store counts on an object, or -1 if it is gone. */
    static int refCount(QuiverClient client, ObjectId id) {
        for (ObjectInfo o : client.list()) {
            if (o.id().equals(id)) {
                return o.refCount();
            }
        }
        return -1;
    }
}
