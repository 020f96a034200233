package dev.quiver.bench;

import java.util.Arrays;

/** The operations of the small-object section; {@link BenchWorker} runs them, {@link SmallObjects} reports them. */
enum SmallOp {
    /** The baseline: one request/response of 8 bytes over a Unix-domain socket to another process. */
    PING("ping", "Unix-socket ping-pong, 8 B each way (baseline)"),
    /** create, write the bytes, seal, close (which sends the release without waiting). Two round trips. */
    CREATE("create", "create + write + seal + release"),
    /** get, read (sum) the bytes, close (release sent without waiting). One round trip. */
    GET("get", "get + read + release"),
    /** {@link #CREATE} by a client on the command rings (requests and replies in shared memory). */
    CREATE_RINGS("createRings", "create + write + seal + release, rings"),
    /** {@link #GET} by a client on the command rings. */
    GET_RINGS("getRings", "get + read + release, rings"),
    /** {@link #GET_RINGS} with batched view ends: buffers share scopes, releases go back in batches. */
    GET_BATCHED("getBatched", "get + read + release, rings, batched view ends"),
    /** createAndSeal of a batch: create, copy, seal and release every object, two round trips per batch. */
    CREATE_BATCH("createBatch", "createAndSeal(batch of %d)"),
    /** get of a batch in one round trip, then read and close every buffer (one release message each). */
    GET_BATCH("getBatch", "get(batch of %d) + read + release each");

    final String word;
    private final String label;

    SmallOp(String word, String label) {
        this.word = word;
        this.label = label;
    }

    /** What the report calls it. */
    String label(int batch) {
        return label.formatted(batch);
    }

    /** Objects one call handles (a ping counts as one). */
    int objectsPerCall(int batch) {
        return isBatch() ? batch : 1;
    }

    boolean isBatch() {
        return this == CREATE_BATCH || this == GET_BATCH;
    }

    /** Whether the operation leaves new objects in the store (the worker deletes them after each window). */
    boolean creates() {
        return this == CREATE || this == CREATE_BATCH || this == CREATE_RINGS;
    }

    /** Whether the operation's client uses the command rings instead of the socket. */
    boolean rings() {
        return this == CREATE_RINGS || this == GET_RINGS || this == GET_BATCHED;
    }

    static SmallOp of(String word) {
        return Arrays.stream(values()).filter(o -> o.word.equals(word)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no small-object operation '" + word + "'"));
    }
}
