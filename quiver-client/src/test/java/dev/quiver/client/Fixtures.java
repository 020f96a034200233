package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.Patterns;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** Small helpers shared by the integration tests: real stores, patterned objects, store-side facts. */
final class Fixtures {
    static final Duration WAIT = Duration.ofSeconds(30);

    private Fixtures() {}

    /** A real store, in this JVM, arena in /dev/shm, socket in {@code dir}. */
    static StoreServer store(Path dir, long bytes) {
        try {
            return StoreServer.start(StoreConfig.of(bytes, dir.resolve("store.sock")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectId id(String name) {
        return ObjectId.forName(name);
    }

    /**
     * Creates, fills with the pattern of {@code seed}, seals and releases. The release is sent without waiting for
     * its answer; the round trip after it makes sure the store has handled it, so that reference counts read through
     * another connection include it.
     */
    static void put(QuiverClient c, ObjectId id, long dataSize, long metadataSize, long seed) {
        c.createAndSeal(id, MemorySegment.ofArray(Patterns.data(dataSize, seed)),
                MemorySegment.ofArray(Patterns.metadata(metadataSize, seed)));
        assertThat(c.contains(id)).isTrue();
    }

    /** Asserts the buffer shows the pattern of {@code seed}, with these sizes. */
    static void assertContent(ObjectBuffer b, long dataSize, long metadataSize, long seed) {
        assertThat(b.data().byteSize()).as("data size").isEqualTo(dataSize);
        assertThat(b.metadata().byteSize()).as("metadata size").isEqualTo(metadataSize);
        assertThat(Patterns.matches(b.data(), b.metadata(), seed)).as("contents of " + b.id()).isTrue();
    }

    /**
     * Asserts an object is intact: readable with the pattern of {@code seed}, and its recorded digest equals both the
     * expected one and the one the reader computes over the bytes it sees.
     */
    static void assertIntact(QuiverClient c, ObjectId id, long dataSize, long metadataSize, long seed) {
        try (ObjectBuffer b = c.get(id, QuiverClient.NO_WAIT).orElseThrow(() -> new AssertionError(id + " is gone"))) {
            assertContent(b, dataSize, metadataSize, seed);
            assertThat(c.hash(id)).as("digest of " + id)
                    .isEqualTo(Patterns.digest(dataSize, metadataSize, seed))
                    .isEqualTo(Patterns.digest(b));
        }
    }

    static Optional<ObjectInfo> info(QuiverClient c, ObjectId id) {
        return c.list().stream().filter(i -> i.id().equals(id)).findFirst();
    }

    /** The store's reference count of an object (fails if there is no such object). */
    static int refCount(QuiverClient c, ObjectId id) {
        return info(c, id).orElseThrow(() -> new AssertionError("no object " + id)).refCount();
    }

    /** The bytes the listed objects occupy: data + metadata rounded up to 64, at least 64, summed. */
    static long sumOfBlocks(QuiverClient c) {
        return c.list().stream().mapToLong(i -> Patterns.blockSize(i.dataSize(), i.metadataSize())).sum();
    }

    /** Skips events until {@code kind} of {@code id} arrives. */
    static ObjectEvent awaitEvent(Subscription s, ObjectEvent.Kind kind, ObjectId id) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no " + kind + " event for " + id + " within " + WAIT);
            }
            Optional<ObjectEvent> e = s.next(Duration.ofNanos(left));
            if (e.isPresent() && e.get().kind() == kind && e.get().id().equals(id)) {
                return e.get();
            }
        }
    }

    /** The next event; fails if none comes within the test's patience. */
    static ObjectEvent nextEvent(Subscription s) {
        return s.next(WAIT).orElseThrow(() -> new AssertionError("no event within " + WAIT));
    }

    /** A call running in a thread of its own. */
    record Call<T>(Thread thread, CompletableFuture<T> result) {
        /** Its result, waiting at most the test's patience; an exception thrown by the call is rethrown as is. */
        T join() {
            try {
                return result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new AssertionError(e.getCause());
            } catch (TimeoutException e) {
                throw new AssertionError(thread.getName() + " did not finish within " + WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        /** What the call threw. */
        Throwable failure() {
            try {
                join();
            } catch (RuntimeException e) {
                return e;
            }
            throw new AssertionError(thread.getName() + " did not fail");
        }
    }

    /**
     * Polls {@code condition} (a question to the store, typically) until it holds; fails if it does not within
     * {@code timeout}. For facts that follow an event the test cannot observe directly, such as the store reading the
     * end of a killed process's socket.
     */
    static void awaitCondition(java.util.function.BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the condition did not hold within " + timeout);
            }
            Thread.yield();
        }
    }

    static <T> Call<T> inThread(String name, Supplier<T> body) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name(name).daemon().start(() -> {
            try {
                f.complete(body.get());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return new Call<>(t, f);
    }
}
