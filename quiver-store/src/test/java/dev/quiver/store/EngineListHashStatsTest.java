package dev.quiver.store;

import static dev.quiver.store.EngineDriver.error;
import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

class EngineListHashStatsTest {
    final EngineDriver d = new EngineDriver(1 << 20);
    final long a = d.connect("a");
    final long b = d.connect("b");

    @Test
    void anEmptyStoreListsOneEmptyLastFrame() {
        int r = d.send(a, new Request.ListObjects());

        assertThat(d.outbox.replies(a, r)).containsExactly(new Reply.Listing(List.of(), true));
    }

    @Test
    void listReportsEveryFieldWithTimesFromTheClocks() {
        long wall0 = d.clock.wallMillis();
        d.created(a, id("first"), 1000, 24);
        d.clock.advanceNanos(1_234_567);
        d.created(b, id("second"), 5, 0);
        d.clock.advanceNanos(10_000_000);
        d.seal(a, id("first"), 77);
        d.get(b, 0, id("first"));
        d.get(a, 0, id("first"));

        List<ObjectInfo> infos = d.list(b);

        assertThat(infos).containsExactly(
                new ObjectInfo(id("first"), 1000, 24, 3, ObjectState.SEALED, wall0, 11_234_567, 77),
                new ObjectInfo(id("second"), 5, 0, 1, ObjectState.CREATED, wall0 + 1, -1, 0));
    }

    @Test
    void listIncludesDeferredDeletesAndSortsByCreateTime() {
        ObjectId[] ids = {id("c"), id("a"), id("b")};
        for (ObjectId i : ids) {
            d.putHeld(a, i, 10);
            d.clock.advanceMillis(5);
        }
        d.delete(a, id("a"));

        assertThat(d.list(b)).extracting(ObjectInfo::id).containsExactly(ids);
    }

    @Test
    void objectsAreListedInTheOrderTheyWereCreatedWhateverTheirIdsAndTimes() {
        byte[] high = new byte[ObjectId.SIZE];
        high[0] = (byte) 0x80;
        byte[] low = new byte[ObjectId.SIZE];
        low[0] = 0x7F;
        d.created(a, ObjectId.of(high), 1);
        d.created(a, ObjectId.of(low), 1);
        d.created(a, ObjectId.of(new byte[ObjectId.SIZE]), 1);

        assertThat(d.list(b)).extracting(ObjectInfo::id).containsExactly(ObjectId.of(high), ObjectId.of(low),
                ObjectId.of(new byte[ObjectId.SIZE]));
    }

    @Test
    void aLongListingIsSplitIntoChunksWithOnlyTheLastFlagged() {
        EngineDriver big = new EngineDriver(64L * 10_000);
        long c = big.connect();
        int n = 2 * FrameCodec.LISTING_CHUNK + 5;
        for (int i = 0; i < n; i++) {
            big.created(c, id("o" + i), 1);
        }

        int r = big.send(c, new Request.ListObjects());

        List<Reply> frames = big.outbox.replies(c, r);
        assertThat(frames).hasSize(3);
        assertThat(frames).extracting(f -> ((Reply.Listing) f).objects().size())
                .containsExactly(FrameCodec.LISTING_CHUNK, FrameCodec.LISTING_CHUNK, 5);
        assertThat(big.list(c)).hasSize(n).extracting(ObjectInfo::id).doesNotHaveDuplicates();
        // Every frame fits the wire.
        frames.forEach(f -> assertThat(FrameCodec.encode(r, f).remaining()).isLessThanOrEqualTo(FrameCodec.MAX_FRAME));
    }

    @Test
    void aListingOfExactlyOneChunkIsOneFrame() {
        EngineDriver big = new EngineDriver(64L * FrameCodec.LISTING_CHUNK);
        long c = big.connect();
        for (int i = 0; i < FrameCodec.LISTING_CHUNK; i++) {
            big.created(c, id("o" + i), 1);
        }

        int r = big.send(c, new Request.ListObjects());

        assertThat(big.outbox.replies(c, r)).singleElement()
                .satisfies(f -> assertThat(((Reply.Listing) f).last()).isTrue());
    }

    @Test
    void hashAnswersTheSealedDigest() {
        d.putHeld(a, id("x"), 10);
        d.created(a, id("y"), 10);
        d.seal(a, id("y"), 0);

        assertThat(d.hash(b, id("x"))).isEqualTo(new Reply.Digest(EngineDriver.digestOf(id("x"))));
        assertThat(d.hash(b, id("y"))).isEqualTo(new Reply.Digest(0));
    }

    @Test
    void hashOfAnUnsealedOrUnknownObjectIsAnError() {
        d.created(a, id("x"), 10);

        assertThat(error(d.hash(b, id("x")), Status.NOT_SEALED)).contains(id("x").toString());
        assertThat(error(d.hash(b, id("nothing")), Status.OBJECT_NOT_FOUND)).contains(id("nothing").toString());
    }

    @Test
    void statsTrackCapacityUsedPinnedEvictableObjectsAndClients() {
        assertThat(d.stats()).isEqualTo(new Reply.StoreStats(1 << 20, 0, 0, 0, 0, 2, 0, 0));

        d.created(a, id("unsealed"), 100);          // 128 pinned
        d.putHeld(a, id("held"), 1000);              // 1024 pinned
        d.put(a, id("free1"), 64);                   // 64 evictable
        d.put(b, id("free2"), 65);                   // 128 evictable
        d.get(b, 0, id("free2"));                    // 128 pinned again
        assertThat(d.stats()).isEqualTo(new Reply.StoreStats(1 << 20, 128 + 1024 + 64 + 128, 128 + 1024 + 128, 64, 4,
                2, 0, 0));

        d.evict(a, 1);
        assertThat(d.stats()).isEqualTo(new Reply.StoreStats(1 << 20, 128 + 1024 + 128, 128 + 1024 + 128, 0, 3,
                2, 1, 64));

        d.engine.disconnect(a);
        assertThat(d.stats()).isEqualTo(new Reply.StoreStats(1 << 20, 1024 + 128, 128, 1024, 2, 1, 1, 64));
        d.checkBooks(b);
    }

    @Test
    void clientsReportTheReferencesAndBytesEachHolds() {
        d.created(a, id("unsealed"), 100);          // a: 128 bytes, writing
        d.putHeld(a, id("held"), 1000);              // a: 1024 bytes
        d.put(a, id("free"), 64);                    // nobody
        d.get(b, 0, id("held"));                     // b: the same 1024 bytes
        d.get(b, 0, id("held"));                     // a second reference, no more bytes

        Reply.ClientList clients = (Reply.ClientList) d.call(b, new Request.Clients());

        assertThat(clients.clients()).containsExactly(
                new Reply.Client(a, "a", 4242, false, 2, 2, 128 + 1024, 1),
                new Reply.Client(b, "b", 4242, false, 1, 2, 1024, 0));

        d.engine.disconnect(a);
        assertThat(((Reply.ClientList) d.call(b, new Request.Clients())).clients())
                .containsExactly(new Reply.Client(b, "b", 4242, false, 1, 2, 1024, 0));
    }
}
