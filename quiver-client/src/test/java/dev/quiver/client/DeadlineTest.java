package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.assertContent;
import static dev.quiver.client.Fixtures.awaitEvent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.info;
import static dev.quiver.client.Fixtures.put;
import static dev.quiver.client.Fixtures.refCount;
import static dev.quiver.client.QuiverClient.NO_WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.StoreChild;
import dev.quiver.protocol.ObjectId;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingSupplier;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that stops answering (a child JVM frozen with SIGSTOP): every call ends with
 * {@link StoreUnavailableException} by its deadline, the connection is then treated as lost (views die, pinned
 * buffers stay readable and keep the socket open), and the store, once it runs again, releases the client's memory
 * only when that socket closes.
 */
class DeadlineTest {
    private static final long CAPACITY = 4 << 20;
    /** Far above any deadline these tests expect to see: a call that waits this long did not use its own deadline. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);
    private static final ClientOptions QUICK = ClientOptions.defaults().withRequestTimeout(Duration.ofSeconds(1));

    @TempDir
    Path dir;
    Path socket;
    ChildJvm store;
    Path arena;

    @BeforeEach
    void start() {
        socket = dir.resolve("store.sock");
        store = ChildJvm.start(StoreChild.class, socket.toString(), String.valueOf(CAPACITY));
        arena = Path.of(store.expect("ready", WAIT));
    }

    @AfterEach
    void stop() throws IOException {
        store.resume();
        store.send("stop");
        store.waitFor(WAIT);
        Files.deleteIfExists(arena);
    }

    @Test
    void aBlockingGetOnAFrozenStoreEndsAfterItsOwnTimeoutNotTheRequestTimeout() {
        ClientOptions patient = ClientOptions.defaults().withRequestTimeout(Duration.ofMinutes(10));
        try (QuiverClient c = QuiverClient.connect(socket, patient)) {
            store.suspend();
            try {
                assertThatThrownBy(() -> guarded(() -> c.get(id("never"), 500)))
                        .as("a get of 500 ms on a frozen store ends after 500 ms + 2 s, not after 10 minutes")
                        .isInstanceOf(StoreUnavailableException.class)
                        .hasMessageContaining("did not answer GET within 2.5 s")
                        .hasMessageContaining(socket.toString());
                assertThat(c.isConnected()).isFalse();
                assertThatThrownBy(() -> c.contains(id("x"))).isInstanceOf(StoreUnavailableException.class)
                        .hasMessageContaining("no answer to GET within 2.5 s");
            } finally {
                store.resume();
            }
        }
    }

    @Test
    void statsOnAFrozenStoreEndsAfterTheRequestTimeout() {
        try (QuiverClient c = QuiverClient.connect(socket, QUICK)) {
            store.suspend();
            try {
                assertThatThrownBy(() -> guarded(c::stats)).isInstanceOf(StoreUnavailableException.class)
                        .hasMessageContaining("did not answer STATS within 1 s")
                        .hasMessageContaining(socket.toString());
                assertThat(c.isConnected()).isFalse();
            } finally {
                store.resume();
            }
        }
        try (QuiverClient again = QuiverClient.connect(socket, QUICK)) {
            assertThat(again.stats().capacity()).as("the store serves new clients once it runs").isEqualTo(CAPACITY);
        }
    }

    @Test
    void theHandshakeWithAFrozenStoreHasADeadline() {
        store.suspend();
        try {
            // The kernel accepts the connection for the frozen process; the CONNECT is what goes unanswered.
            assertThatThrownBy(() -> guarded(() -> QuiverClient.connect(socket, QUICK)))
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("did not answer CONNECT within 1 s");
        } finally {
            store.resume();
        }
    }

    @Test
    void aRequestTimeoutMustBePositive() {
        assertThatThrownBy(() -> QuiverClient.connect(socket,
                ClientOptions.defaults().withRequestTimeout(Duration.ZERO))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
        assertThatThrownBy(() -> ClientOptions.defaults().withRequestTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
        try (QuiverClient c = QuiverClient.connect(socket, QUICK)) {
            assertThat(c.stats().clients()).as("the refused options opened no connection").isEqualTo(1);
        }
    }

    /**
     * After a missed deadline the client's views and writers die, but a pinned buffer stays readable and keeps the
     * socket open: the store, running again, still holds every reference of the client, and frees the memory only
     * when the last pinned buffer is closed.
     */
    @Test
    void afterADeadlineViewsDieAndAPinnedBufferKeepsTheStoresMemoryUntilClosed() {
        ObjectId plain = id("plain");
        ObjectId pinnedId = id("pinned");
        ObjectId unsealed = id("unsealed");
        QuiverClient c = QuiverClient.connect(socket, QUICK);
        try {
            put(c, plain, 1000, 10, 1);
            put(c, pinnedId, 3000, 0, 2);
            ObjectBuffer view = c.get(plain, NO_WAIT).orElseThrow();
            ObjectBuffer pinned = c.get(pinnedId, NO_WAIT).orElseThrow();
            pinned.pin();
            WritableObject writer = c.create(unsealed, 500);

            store.suspend();
            try {
                assertThatThrownBy(() -> guarded(c::stats)).isInstanceOf(StoreUnavailableException.class);
            } finally {
                store.resume();
            }

            assertThat(c.isConnected()).isFalse();
            assertThat(view.isOpen()).isFalse();
            assertThatThrownBy(() -> view.data().get(ValueLayout.JAVA_BYTE, 0))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> writer.data().get(ValueLayout.JAVA_BYTE, 0))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(writer.isWritable()).isFalse();
            assertThatThrownBy(writer::seal).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("cannot seal object " + unsealed)
                    .hasMessageContaining("no answer to STATS within 1 s");
            writer.close();
            view.close();
            assertThat(pinned.isOpen()).isTrue();
            assertContent(pinned, 3000, 0, 2);
            assertThatThrownBy(() -> c.get(plain, NO_WAIT)).isInstanceOf(StoreUnavailableException.class);

            try (QuiverClient other = QuiverClient.connect(socket, QUICK); Subscription events = other.subscribe()) {
                assertThat(other.stats().clients()).as("the lost client's socket is still open")
                        .isEqualTo(3);
                assertThat(refCount(other, plain)).as("the store still holds the lost client's references").isOne();
                assertThat(refCount(other, pinnedId)).isOne();
                assertThat(info(other, unsealed)).as("and its unsealed object").isPresent();
                assertThat(other.delete(pinnedId)).isEqualTo(DeleteOutcome.DEFERRED);

                pinned.close(); // the last pinned buffer: now the client closes its socket

                awaitEvent(events, ObjectEvent.Kind.DELETED, pinnedId);
                assertThat(refCount(other, plain)).as("released when the socket closed").isZero();
                assertThat(info(other, unsealed)).as("aborted when the socket closed").isEmpty();
                assertThat(other.stats().clients()).isEqualTo(2);
            }
        } finally {
            c.close();
        }
    }

    /**
     * Releases are sent without waiting for an answer; into a socket that a frozen store no longer drains, they would
     * block the thread closing a buffer forever. Their writes have the request timeout as their deadline too.
     */
    @Test
    void releasesIntoAFullSocketNeverBlockForever() {
        ObjectId x = id("x");
        try (QuiverClient c = QuiverClient.connect(socket, QUICK)) {
            put(c, x, 100, 0, 3);
            // Far more RELEASE frames than a Unix socket's buffer holds (a few hundred small frames).
            List<ObjectBuffer> buffers = c.get(Collections.nCopies(10_000, x), NO_WAIT);
            store.suspend();
            try {
                guarded(() -> {
                    buffers.forEach(ObjectBuffer::close);
                    return null;
                });
                assertThat(c.isConnected()).as("a release could not be sent within 1 s: the connection is lost")
                        .isFalse();
                assertThatThrownBy(c::stats).isInstanceOf(StoreUnavailableException.class)
                        .hasMessageContaining("could not send RELEASE within 1 s");
            } finally {
                store.resume();
            }
        }
    }

    private static <T> T guarded(ThrowingSupplier<T> call) {
        return assertTimeoutPreemptively(HANG_GUARD, call);
    }
}
