package dev.quiver.cli;

import dev.quiver.client.QuiverClient;

/** How commands show a content digest. */
final class Digest {
    private Digest() {}

    /** The digest in hex, or {@code none} for an object sealed without one. */
    static String show(long digest) {
        return digest == QuiverClient.NO_DIGEST ? "none" : Long.toHexString(digest);
    }
}
