package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static dev.quiver.client.QuiverClient.NO_WAIT;
import static dev.quiver.client.QuiverClient.WAIT_FOREVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.testing.Blocking;
import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.StoreChild;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreServer;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every error a client can meet, over a real socket: the store's refusals become one exception type each, with a
 * message that names what happened, the limit involved and what to do; a missing or vanished store is a
 * {@link StoreUnavailableException}.
 */
class ErrorsTest {
    private static final long CAPACITY = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void createRefusesTakenIdsAndNonsense() {
        try (StoreServer store = Fixtures.store(dir, CAPACITY); QuiverClient c = QuiverClient.connect(store.socket())) {
            ObjectId sealed = id("sealed");
            put(c, sealed, 10, 0, 1);
            assertThatThrownBy(() -> c.create(sealed, 10)).isInstanceOf(ObjectExistsException.class)
                    .hasMessageContaining("object " + sealed + " exists");
            ObjectId writing = id("writing");
            WritableObject w = c.create(writing, 10);
            assertThatThrownBy(() -> c.create(writing, 10)).isInstanceOf(ObjectExistsException.class)
                    .hasMessageContaining("being created");
            assertThatThrownBy(() -> c.create(id("negative"), -1)).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("sizes must be >= 0");
            assertThatThrownBy(() -> c.create(id("negative"), 1, -5, NO_WAIT)).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("metadata -5");
            assertThatThrownBy(() -> c.createAndSeal(List.of())).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("empty create batch");
            assertThatThrownBy(() -> c.evict(-1)).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("negative");
            assertThat(c.list()).hasSize(2);
            w.close();
        }
    }

    @Test
    void everyRefusalStatusBecomesItsException() {
        try (StoreServer store = Fixtures.store(dir, CAPACITY);
             QuiverClient a = QuiverClient.connect(store.socket());
             QuiverClient b = QuiverClient.connect(store.socket())) {
            ObjectId sealed = id("sealed");
            ObjectId missing = id("missing");
            put(a, sealed, 10, 0, 1);
            WritableObject unsealed = a.create(id("unsealed"), 10);

            // Through the public API.
            assertThatThrownBy(() -> a.hash(missing)).isInstanceOf(ObjectNotFoundException.class)
                    .hasMessageContaining(missing.toString());
            assertThatThrownBy(() -> a.hash(unsealed.id())).isInstanceOf(ObjectNotSealedException.class)
                    .hasMessageContaining("not sealed yet");
            assertThatThrownBy(() -> a.delete(missing)).isInstanceOf(ObjectNotFoundException.class);
            assertThatThrownBy(() -> a.delete(unsealed.id())).isInstanceOf(ObjectNotSealedException.class);
            assertThatThrownBy(() -> b.seal(unsealed.id())).as("only its writer seals it")
                    .isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> b.release(sealed)).isInstanceOf(InvalidRequestException.class);

            // The store's own answers to requests the client API never sends, as they come over the socket.
            Connection raw = b.connection();
            assertThatThrownBy(() -> raw.call(new Request.Abort(sealed)))
                    .isInstanceOf(ObjectAlreadySealedException.class).hasMessageContaining("delete it instead");
            assertThatThrownBy(() -> raw.call(new Request.Abort(missing))).isInstanceOf(ObjectNotFoundException.class);
            assertThatThrownBy(() -> raw.call(new Request.Abort(unsealed.id())))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("another client");
            Reply.Statuses seals = (Reply.Statuses) raw.call(new Request.Seal(List.of(
                    new Request.SealSpec(unsealed.id(), 0), new Request.SealSpec(sealed, 0),
                    new Request.SealSpec(missing, 0))));
            assertThat(seals.statuses()).containsExactly(Status.NOT_OWNER, Status.ALREADY_SEALED,
                    Status.OBJECT_NOT_FOUND);
            assertThatThrownBy(() -> QuiverClient.checkStatus(Status.ALREADY_SEALED, sealed, "seal"))
                    .isInstanceOf(ObjectAlreadySealedException.class).hasMessage("cannot seal object " + sealed
                            + ": already sealed");
            Reply.Statuses releases = (Reply.Statuses) raw.call(new Request.Release(List.of(sealed)));
            assertThat(releases.statuses()).containsExactly(Status.NOT_HELD);
            Reply.Statuses own = (Reply.Statuses) a.connection().call(new Request.Release(List.of(unsealed.id())));
            assertThat(own.statuses()).as("a writer's reference goes by seal or abort")
                    .containsExactly(Status.NOT_SEALED);

            // A protocol violation answers PROTOCOL_ERROR and closes that connection only.
            assertThatThrownBy(() -> raw.call(new Request.Connect(FrameCodec.PROTOCOL_VERSION, "again", 1)))
                    .isInstanceOf(ProtocolException.class).hasMessageContaining("Connect sent twice");
            assertThatThrownBy(b::stats).isInstanceOf(StoreUnavailableException.class);
            assertThat(b.isConnected()).isFalse();
            assertThat(a.contains(sealed)).isTrue();
            unsealed.seal();
            unsealed.close();
            assertThat(a.stats().clients()).isEqualTo(1);
        }
    }

    @Test
    void aFullStoreSaysWhatWasNeededWhatIsFreeEvictableAndPinnedAndWhatToDo() {
        try (StoreServer store = Fixtures.store(dir, CAPACITY); QuiverClient c = QuiverClient.connect(store.socket())) {
            WritableObject pinned = c.create(id("pinned"), 768 << 10);
            ObjectId evictable = id("evictable");
            put(c, evictable, 128 << 10, 0, 1);

            assertThatThrownBy(() -> c.create(id("big"), 512 << 10)).isInstanceOf(StoreFullException.class)
                    .hasMessageStartingWith("store full")
                    .hasMessageContaining("needed 524288 bytes")
                    .hasMessageContaining("free 131072 (largest block 131072)")
                    .hasMessageContaining("evictable 131072")
                    .hasMessageContaining("pinned 786432")
                    .hasMessageContaining("capacity 1048576")
                    .hasMessageContaining("release or delete objects")
                    .hasMessageContaining("larger -m");
            assertThat(c.contains(evictable)).as("a failed create evicts nothing").isTrue();
            assertThat(c.stats().evictedObjects()).isZero();
            assertThat(c.list()).hasSize(2);

            assertThatThrownBy(() -> c.create(id("huge"), 2 << 20)).isInstanceOf(StoreFullException.class)
                    .hasMessageContaining("2097152 bytes can never fit")
                    .hasMessageContaining("capacity is 1048576 bytes")
                    .hasMessageContaining("larger -m");

            // What fits after evicting is created: the evictable object makes room.
            try (WritableObject fits = c.create(id("fits"), 200 << 10)) {
                fits.seal();
            }
            assertThat(c.contains(evictable)).isFalse();
            assertThat(c.stats().evictedObjects()).isEqualTo(1);
            pinned.close();
        }
    }

    @Test
    void connectingWhereNoStoreListensFailsAfterABoundedRetryNamingTheSocket() throws IOException {
        Path nowhere = dir.resolve("nowhere.sock");
        long start = System.nanoTime();
        assertThatThrownBy(() -> QuiverClient.connect(nowhere, Duration.ofMillis(300)))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("no Quiver store at " + nowhere)
                .hasMessageContaining("the socket does not exist")
                .hasMessageContaining("after retrying for 300 ms")
                .hasMessageContaining("quiver store")
                .hasMessageContaining("-s " + nowhere);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("bounded").isLessThan(WAIT);

        // A socket file left by a store that is gone: it exists, nothing accepts.
        Path stale = dir.resolve("stale.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(stale));
        server.close();
        assertThat(stale).exists();
        assertThatThrownBy(() -> QuiverClient.connect(stale, Duration.ofMillis(100)))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("no Quiver store at " + stale)
                .hasMessageContaining("nothing accepts connections there")
                .hasMessageContaining("quiver store");
    }

    @Test
    void connectKeepsRetryingUntilAStoreStarts() throws IOException {
        Path socket = dir.resolve("later.sock");
        Fixtures.Call<QuiverClient> connecting = Fixtures.inThread("connecting",
                () -> QuiverClient.connect(socket, WAIT));
        // Parked between attempts: at least one attempt has failed.
        Blocking.awaitParkedIn(connecting.thread(), "dev.quiver.client.Connection", "open", WAIT);
        try (StoreServer store = StoreServer.start(StoreConfig.of(CAPACITY, socket));
             QuiverClient c = connecting.join()) {
            assertThat(c.isConnected()).isTrue();
            assertThat(c.stats().capacity()).isEqualTo(store.capacity());
        }
    }

    @Test
    void aClientWhoseStoreStoppedGetsStoreUnavailable() {
        StoreServer store = Fixtures.store(dir, CAPACITY);
        QuiverClient c = QuiverClient.connect(store.socket());
        try {
            ObjectId kept = id("kept");
            put(c, kept, 100, 0, 1);
            ObjectBuffer held = c.get(kept, NO_WAIT).orElseThrow();
            Subscription sub = c.subscribe();
            Fixtures.awaitEvent(sub, ObjectEvent.Kind.SEALED, kept);
            Fixtures.Call<Optional<ObjectBuffer>> blocked = Fixtures.inThread("blocked-get",
                    () -> c.get(id("never"), WAIT_FOREVER));
            Blocking.awaitBlockedInStoreCall(blocked.thread(), WAIT);

            store.close();

            assertThat(blocked.failure()).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining(store.socket().toString());
            assertThatThrownBy(c::stats).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("not connected to the store at " + store.socket());
            assertThatThrownBy(() -> c.create(id("new"), 10)).isInstanceOf(StoreUnavailableException.class);
            assertThat(c.isConnected()).isFalse();
            assertThatThrownBy(() -> sub.next(WAIT)).isInstanceOf(StoreUnavailableException.class);
            sub.close();
            c.close();
            assertThatThrownBy(() -> held.data().get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            held.close();
        } finally {
            c.close();
            store.close();
        }
    }

    @Test
    void aClientWhoseStoreWasKilledGetsStoreUnavailable() throws IOException {
        Path socket = dir.resolve("killed.sock");
        try (ChildJvm storeJvm = ChildJvm.start(StoreChild.class, socket.toString(), String.valueOf(CAPACITY))) {
            Path arena = Path.of(storeJvm.expect("ready", WAIT));
            try (QuiverClient c = QuiverClient.connect(socket, WAIT)) {
                put(c, id("x"), 10, 0, 1);
                Fixtures.Call<Optional<ObjectBuffer>> blocked = Fixtures.inThread("blocked-get",
                        () -> c.get(id("never"), WAIT_FOREVER));
                Blocking.awaitBlockedInStoreCall(blocked.thread(), WAIT);
                try (Subscription sub = c.subscribe()) {
                    storeJvm.kill();
                    assertThat(blocked.failure()).isInstanceOf(StoreUnavailableException.class)
                            .hasMessageContaining(socket.toString());
                    assertThatThrownBy(() -> c.contains(id("y"))).isInstanceOf(StoreUnavailableException.class)
                            .hasMessageContaining(socket.toString());
                    assertThatThrownBy(() -> {
                        for (int i = 0; i < 3; i++) {
                            sub.next(WAIT); // the backlog (x), then the end
                        }
                    }).isInstanceOf(StoreUnavailableException.class);
                }
            } finally {
                Files.deleteIfExists(arena); // a killed store leaves its arena for the next store to clean
            }
        }
    }
}
