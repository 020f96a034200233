package dev.quiver.bench.jmh;

import dev.quiver.protocol.ObjectId;
import java.security.SecureRandom;

/** Fresh object ids without SecureRandom on the measured path: a random prefix, then a counter. */
final class Ids {
    private final byte[] bytes = new byte[ObjectId.SIZE];
    private long counter;

    Ids() {
        new SecureRandom().nextBytes(bytes);
    }

    ObjectId next() {
        long c = counter++;
        for (int i = 0; i < 8; i++) {
            bytes[ObjectId.SIZE - 1 - i] = (byte) (c >>> (8 * i));
        }
        return ObjectId.of(bytes);
    }
}
