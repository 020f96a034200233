package dev.quiver.store;

import static dev.quiver.protocol.Reply.Notification.Kind.DELETED;
import static dev.quiver.protocol.Reply.Notification.Kind.SEALED;
import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Long replies are produced a chunk at a time, as the client reads: the engine answers other clients in between, and
 * the store's state changes in between. Each test pumps by hand, as a slow reader would be served.
 */
class EngineChunkedRepliesTest {
    private static final int CHUNK = FrameCodec.LISTING_CHUNK;
    final EngineDriver d = new EngineDriver(64L * 5 * CHUNK);
    final long writer = d.connect("writer");
    final long reader = d.connect("reader");

    @Test
    void aListingIsSentOneChunkPerPumpAndOthersAreServedInBetween() {
        List<ObjectId> ids = putMany("a", 3 * CHUNK + 5);
        int r = d.sendUnpumped(reader, new Request.ListObjects());

        assertThat(listingFrames(r)).hasSize(1); // the first chunk at once, the rest when the transport pumps
        assertThat(d.engine.pump(reader)).isTrue();
        assertThat(listingFrames(r)).hasSize(2);
        assertThat(d.call(writer, new Request.Stats())).isInstanceOf(Reply.StoreStats.class); // served in between
        while (d.engine.pump(reader)) {
            // the rest
        }

        List<Reply.Listing> frames = listingFrames(r);
        assertThat(frames).hasSize(4);
        assertThat(frames).extracting(Reply.Listing::last).containsExactly(false, false, false, true);
        assertThat(frames.stream().flatMap(f -> f.objects().stream()).map(ObjectInfo::id)).containsExactlyElementsOf(ids);
    }

    @Test
    void objectsPresentForTheWholeListingAppearOnceInCreationOrderWhateverChangesMeanwhile() {
        List<ObjectId> early = putMany("early", 2 * CHUNK);
        int r = d.sendUnpumped(reader, new Request.ListObjects()); // the first chunk is out

        // Delete one already listed and one not yet listed, and create new ones, while the listing runs.
        d.delete(writer, early.get(10));
        d.delete(writer, early.get(CHUNK + 10));
        List<ObjectId> late = putMany("late", 3);
        while (d.engine.pump(reader)) {
            // the rest
        }

        List<ObjectId> listed = listingFrames(r).stream().flatMap(f -> f.objects().stream()).map(ObjectInfo::id)
                .toList();
        List<ObjectId> throughout = new ArrayList<>(early);
        throughout.remove(early.get(10));
        throughout.remove(early.get(CHUNK + 10));
        assertThat(listed).doesNotHaveDuplicates().containsSubsequence(throughout).doesNotContain(early.get(CHUNK + 10));
        assertThat(listed).contains(early.get(10)); // listed before it was deleted
        assertThat(listed.subList(listed.size() - late.size(), listed.size())).isEqualTo(late);
    }

    @Test
    void aNewSubscribersFirstNotificationsAndLiveEventsComeOnceEachInOrder() {
        List<ObjectId> sealed = putMany("s", 2 * CHUNK + 1);
        long sub = d.connect("subscriber");
        d.sendUnpumped(sub, new Request.Subscribe()); // the burst's first chunk is out

        ObjectId passed = sealed.get(5);          // already announced by the burst
        ObjectId ahead = sealed.get(CHUNK + 5);   // not yet reached
        d.delete(writer, passed);
        d.delete(writer, ahead);
        ObjectId fresh = id("fresh");
        d.put(writer, fresh, 10);
        while (d.engine.pump(sub)) {
            // the rest of the burst
        }
        ObjectId after = id("after");
        d.put(writer, after, 10);

        List<Reply.Notification> n = d.outbox.notifications(sub);
        List<ObjectId> announced = n.stream().filter(x -> x.kind() == SEALED).map(Reply.Notification::id).toList();
        List<ObjectId> expected = new ArrayList<>(sealed);
        expected.remove(ahead);
        expected.add(fresh);
        expected.add(after);
        assertThat(announced).containsExactlyElementsOf(expected);
        assertThat(n.stream().filter(x -> x.kind() == DELETED).map(Reply.Notification::id)).containsExactly(passed);
        // The deletion of the announced object comes after its announcement, and before the burst's later objects.
        int deletedAt = n.indexOf(n.stream().filter(x -> x.kind() == DELETED).findFirst().orElseThrow());
        assertThat(n.subList(0, deletedAt)).extracting(Reply.Notification::id).contains(passed);
    }

    @Test
    void aShortListingIsAnsweredAtOnceInRequestOrder() {
        List<ObjectId> ids = putMany("short", 3);
        int list = d.sendUnpumped(reader, new Request.ListObjects());
        int stats = d.sendUnpumped(reader, new Request.Stats());

        assertThat(d.engine.pump(reader)).isFalse(); // nothing left to pump
        List<Integer> order = d.outbox.to(reader).stream().map(RecordingOutbox.Sent::requestId)
                .filter(id -> id == list || id == stats).toList();
        assertThat(order).containsExactly(list, stats);
        assertThat(listingFrames(list)).singleElement().satisfies(l -> {
            assertThat(l.last()).isTrue();
            assertThat(l.objects()).extracting(ObjectInfo::id).containsExactlyElementsOf(ids);
        });
    }

    @Test
    void waitingGetsAndCreatesAreCountedAsHeldMemoryUntilAnswered() {
        assertThat(d.engine.pendingBytes()).isZero();
        int get = d.getWaiting(reader, 1000, IntStream.range(0, 100).mapToObj(i -> id("missing" + i))
                .toArray(ObjectId[]::new));

        assertThat(d.engine.pendingBytes(reader)).isEqualTo(PendingGet.heapBytes(100));
        assertThat(d.engine.pendingBytes()).isEqualTo(PendingGet.heapBytes(100));
        d.advanceMillis(1001);
        assertThat(d.gotten(reader, get)).hasSize(100);
        assertThat(d.engine.pendingBytes()).isZero();

        d.getWaiting(reader, -1, id("never"));
        assertThat(d.engine.pendingBytes()).isPositive();
        d.engine.suspend(reader);
        assertThat(d.engine.pendingBytes()).isZero();
    }

    @Test
    void theInvariantsHoldThroughOrdinaryWorkAndCatchACorruptedCount() {
        List<ObjectId> ids = putMany("x", 50);
        d.get(reader, 0, ids.get(1), ids.get(2));
        d.created(writer, id("unsealed"), 100);
        d.delete(writer, ids.get(1));
        assertThat(d.engine.checkInvariants()).isEmpty();

        corruptReferenceCount(ids.get(2));

        assertThat(d.engine.checkInvariants()).isNotEmpty()
                .anySatisfy(p -> assertThat(p).contains(ids.get(2).toString()).contains("references"));
    }

    /** What a bug would do: a reference count that no client's references add up to. */
    private void corruptReferenceCount(ObjectId id) {
        try {
            Field objects = Engine.class.getDeclaredField("objects");
            objects.setAccessible(true);
            ((Map<?, ?>) objects.get(d.engine)).values().stream().map(StoredObject.class::cast)
                    .filter(o -> o.id.equals(id)).forEach(o -> o.refCount++);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private List<ObjectId> putMany(String prefix, int n) {
        List<ObjectId> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ObjectId id = id(prefix + i);
            d.put(writer, id, 1);
            ids.add(id);
        }
        return ids;
    }

    private List<Reply.Listing> listingFrames(int requestId) {
        return d.outbox.replies(reader, requestId).stream().map(Reply.Listing.class::cast).toList();
    }
}
