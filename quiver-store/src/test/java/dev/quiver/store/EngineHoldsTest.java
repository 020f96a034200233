package dev.quiver.store;

import static dev.quiver.store.EngineDriver.block;
import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RELEASE_HELD and END_HOLDS: a released reference counts as gone at once for everything a client can observe
 * (reference counts, deletes, notifications), but the object's memory is neither evicted nor reused until the
 * releasing client ends its hold or disconnects.
 */
class EngineHoldsTest {
    final EngineDriver d = new EngineDriver(1 << 20);
    final long writer = d.connect("writer");
    final long reader = d.connect("reader");
    final ObjectId x = id("x");

    private List<Status> releaseHeld(long client, ObjectId... ids) {
        return EngineDriver.statuses(d.call(client, new Request.ReleaseHeld(List.of(ids))));
    }

    private List<Status> endHolds(long client, Long... offsets) {
        return EngineDriver.statuses(d.call(client, new Request.EndHolds(List.of(offsets))));
    }

    private void assertConsistent() {
        assertThat(d.engine.checkInvariants()).isEmpty();
    }

    @Test
    void aHeldReleaseDropsTheReferenceAtOnceButKeepsTheMemoryFromEviction() {
        long offset = d.put(writer, x, 1000);
        d.get(reader, 0, x);
        assertThat(releaseHeld(reader, x)).containsExactly(Status.OK);

        assertThat(d.info(writer, x).orElseThrow().refCount()).as("the reference is gone").isZero();
        assertThat(d.stats().evictable()).as("but the memory is held").isZero();
        assertThat(d.evict(writer, Long.MAX_VALUE).bytes()).isZero();
        assertConsistent();

        assertThat(endHolds(reader, offset)).containsExactly(Status.OK);
        assertThat(d.stats().evictable()).isEqualTo(block(1000));
        assertThat(d.evict(writer, Long.MAX_VALUE).bytes()).isEqualTo(block(1000));
        assertConsistent();
    }

    @Test
    void aDeleteOfAHeldObjectAnswersDeletedAndFreesTheBlockWithTheLastHold() {
        long offset = d.put(writer, x, 1000);
        d.get(reader, 0, x);
        d.get(reader, 0, x);
        assertThat(releaseHeld(reader, x, x)).containsExactly(Status.OK, Status.OK);

        assertThat(EngineDriver.statuses(d.call(writer, new Request.Delete(List.of(x)))))
                .as("nobody references it: deleted, not deferred").containsExactly(Status.OK);
        assertThat(d.info(writer, x)).isEmpty();
        assertThat(d.stats().used()).as("its block is still held").isEqualTo(block(1000));
        assertConsistent();

        long again = d.created(writer, x, 10);
        assertThat(again).as("the id is free again, the held block is not reused").isNotEqualTo(offset);
        assertThat(endHolds(reader, offset)).containsExactly(Status.OK);
        assertThat(d.stats().used()).as("one hold left").isEqualTo(block(1000) + block(10));
        assertThat(endHolds(reader, offset)).containsExactly(Status.OK);
        assertThat(d.stats().used()).as("the last hold freed it").isEqualTo(block(10));
        assertConsistent();
    }

    @Test
    void holdsThatWereNeverTakenAreNotHeldAndChangeNothing() {
        long offset = d.put(writer, x, 100);
        assertThat(releaseHeld(reader, x)).as("no reference to release").containsExactly(Status.NOT_HELD);
        assertThat(endHolds(reader, offset, 12345L)).containsExactly(Status.NOT_HELD, Status.NOT_HELD);
        assertThat(d.stats().evictable()).isEqualTo(block(100));
        assertConsistent();
    }

    @Test
    void aClientThatDisconnectsEndsItsHolds() {
        d.put(writer, x, 1000);
        d.get(reader, 0, x);
        assertThat(releaseHeld(reader, x)).containsExactly(Status.OK);
        d.call(writer, new Request.Delete(List.of(x)));
        assertThat(d.stats().used()).isEqualTo(block(1000));

        d.engine.disconnect(reader);
        assertThat(d.stats().used()).isZero();
        assertConsistent();
    }

    @Test
    void aCreateWaitingForMemoryGetsTheBlockWhenTheHoldEnds() {
        EngineDriver small = new EngineDriver(4096);
        long w = small.connect("writer");
        long r = small.connect("reader");
        long offset = small.put(w, x, 4096);
        small.get(r, 0, x);
        small.call(r, new Request.ReleaseHeld(List.of(x)));
        small.call(w, new Request.Delete(List.of(x)));

        int waiting = small.send(w, new Request.Create(id("y"), 4096, 0, 60_000));
        assertThat(small.answer(w, waiting)).as("the held block is not free yet").isEmpty();
        small.call(r, new Request.EndHolds(List.of(offset)));
        assertThat(small.answer(w, waiting)).get().isInstanceOf(Reply.Created.class);
        assertThat(small.engine.checkInvariants()).isEmpty();
    }
}
