package dev.quiver.store;

import static dev.quiver.store.EngineDriver.error;
import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Request.CreateSpec;
import dev.quiver.protocol.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Creates that do not fit wait, with a timeout, for other clients to free memory. */
class EngineBackpressureTest {
    static final long CAPACITY = 16 * 1024;
    final EngineDriver d = new EngineDriver(CAPACITY);
    final long holder = d.connect("holder");
    final long writer = d.connect("writer");

    EngineBackpressureTest() {
        d.created(holder, id("big"), 12 * 1024);   // 12 KiB pinned, unsealed
        d.putHeld(holder, id("held"), 4 * 1024);   // 4 KiB pinned, sealed
        assertThat(d.stats().used()).isEqualTo(CAPACITY);
    }

    private int createWaiting(long client, String name, long size, long timeoutMillis) {
        int r = d.send(client, new Request.Create(id(name), size, 0, timeoutMillis));
        assertThat(d.answer(client, r)).as("create of %s answered early", name).isEmpty();
        return r;
    }

    @Test
    void withoutATimeoutACreateThatDoesNotFitFailsAtOnceSayingWhy() {
        Reply r = d.create(writer, id("x"), 1000, 0, 0);

        String message = error(r, Status.STORE_FULL);
        assertThat(message).contains("needed 1024").contains("evictable 0").contains("pinned " + CAPACITY)
                .contains("capacity " + CAPACITY);
        assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aWaitingCreateSucceedsWhenAnotherClientReleases() {
        int r = createWaiting(writer, "x", 1000, 5_000);
        d.advanceMillis(1000);

        assertThat(d.release(holder, id("held"))).containsExactly(Status.OK);

        assertThat(d.answer(writer, r)).get().isInstanceOf(Reply.Created.class);
        ObjectInfo x = d.info(writer, id("x")).orElseThrow();
        assertThat(x.createTimeMillis()).as("created when it succeeded").isEqualTo(d.clock.wallMillis());
        assertThat(d.contains(writer, id("held"))).as("evicted to make room").containsExactly(Status.OBJECT_NOT_FOUND);
        assertThat(d.stats().evictedObjects()).isEqualTo(1);
        assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        d.advanceMillis(10_000);
        assertThat(d.outbox.replies(writer, r)).hasSize(1);
        d.checkBooks(writer);
    }

    @Test
    void aWaitingCreateSucceedsWhenAnotherClientDeletes() {
        int r = createWaiting(writer, "x", 4096, -1);
        assertThat(d.delete(holder, id("held"))).containsExactly(Status.DEFERRED);
        assertThat(d.answer(writer, r)).isEmpty();

        d.release(holder, id("held"));

        assertThat(d.answer(writer, r)).get().isEqualTo(new Reply.Created(12 * 1024));
        assertThat(d.stats().evictedObjects()).as("freed by the delete, nothing evicted").isZero();
    }

    @Test
    void aWaitingCreateSucceedsWhenAnotherClientAborts() {
        int r = createWaiting(writer, "x", 12 * 1024, 1000);

        d.abort(holder, id("big"));

        assertThat(d.answer(writer, r)).get().isEqualTo(new Reply.Created(0));
    }

    @Test
    void aWaitingCreateSucceedsWhenTheHolderDies() {
        int r = createWaiting(writer, "x", 2000, 1000);

        d.engine.disconnect(holder);

        assertThat(d.answer(writer, r)).get().isInstanceOf(Reply.Created.class);
        d.checkBooks(writer);
    }

    @Test
    void aWaitingCreateFailsWithStoreFullAtItsDeadline() {
        long start = d.clock.nanos();
        int r = createWaiting(writer, "x", 1000, 250);
        assertThat(d.engine.nextDeadline()).isEqualTo(start + 250_000_000L);

        d.advanceMillis(249);
        assertThat(d.answer(writer, r)).isEmpty();
        d.advanceMillis(1);

        String message = error(d.answer(writer, r).orElseThrow(), Status.STORE_FULL);
        assertThat(message).contains("needed 1024").contains("evictable 0").contains("pinned " + CAPACITY);
        assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        // No trace: memory freed later does not create it.
        d.release(holder, id("held"));
        assertThat(d.info(writer, id("x"))).isEmpty();
        assertThat(d.outbox.replies(writer, r)).hasSize(1);
        d.checkBooks(writer);
    }

    @Test
    void whenTheHeadOfTheQueueTimesOutTheCreatesBehindItAreRetried() {
        int head = createWaiting(writer, "head", 8 * 1024, 100);
        long third = d.connect("third");
        int behind = createWaiting(third, "behind", 4 * 1024, -1);
        d.release(holder, id("held")); // 4 KiB evictable: enough for "behind", not for "head"
        assertThat(d.answer(third, behind)).as("first come, first served: waits behind the head").isEmpty();

        d.advanceMillis(100);

        error(d.answer(writer, head).orElseThrow(), Status.STORE_FULL);
        assertThat(d.answer(third, behind)).as("retried once the head is gone").get()
                .isInstanceOf(Reply.Created.class);
        d.checkBooks(third);
    }

    @Test
    void theStoreFullMessageCountsEvictableMemory() {
        // Releasing "held" makes 4 KiB evictable; 8 KiB are still more than can be had.
        d.release(holder, id("held"));

        String message = error(d.create(writer, id("x"), 8192, 0, 0), Status.STORE_FULL);

        assertThat(message).contains("needed 8192").contains("evictable 4096").contains("pinned 12288");
        assertThat(d.contains(writer, id("held"))).as("nothing evicted in vain").containsExactly(Status.OK);
    }

    @Test
    void waitingCreatesAreServedFirstComeFirstServed() {
        long third = d.connect("third");
        int first = createWaiting(writer, "first", 4096, -1);
        int second = createWaiting(third, "second", 4096, -1);

        d.release(holder, id("held")); // room for one of them

        assertThat(d.answer(writer, first)).get().isInstanceOf(Reply.Created.class);
        assertThat(d.answer(third, second)).isEmpty();

        d.abort(holder, id("big"));
        assertThat(d.answer(third, second)).get().isInstanceOf(Reply.Created.class);
    }

    @Test
    void aWaitingBatchIsCreatedWholeOrNotAtAll() {
        int r = d.send(writer, new Request.CreateBatch(List.of(new CreateSpec(id("p"), 2048, 0),
                new CreateSpec(id("q"), 4096, 0)), 1000));
        assertThat(d.answer(writer, r)).isEmpty();

        d.release(holder, id("held")); // 4 KiB: not enough for 6 KiB
        assertThat(d.answer(writer, r)).isEmpty();
        assertThat(d.info(writer, id("p"))).isEmpty();
        assertThat(d.contains(writer, id("held"))).as("not evicted in vain").containsExactly(Status.OK);

        d.abort(holder, id("big"));
        assertThat(d.answer(writer, r)).get().isInstanceOf(Reply.CreatedBatch.class);
        assertThat(d.list(writer)).extracting(ObjectInfo::id).contains(id("p"), id("q"));
        d.checkBooks(writer);
    }

    @Test
    void aWaitingCreateWhoseIdIsTakenMeanwhileFailsWithObjectExists() {
        long third = d.connect("third");
        int first = createWaiting(writer, "x", 4096, -1);
        int second = createWaiting(third, "x", 10, -1);

        d.release(holder, id("held"));

        assertThat(d.answer(writer, first)).get().isInstanceOf(Reply.Created.class);
        assertThat(error(d.answer(third, second).orElseThrow(), Status.OBJECT_EXISTS)).contains(id("x").toString());
        assertThat(d.info(writer, id("x")).orElseThrow().dataSize()).isEqualTo(4096);
    }

    @Test
    void aWaitingCreateOfADeadClientIsDropped() {
        int r = createWaiting(writer, "x", 1000, -1);

        d.engine.disconnect(writer);
        d.release(holder, id("held"));

        assertThat(d.outbox.replies(writer, r)).isEmpty();
        assertThat(d.info(holder, id("x"))).isEmpty();
        assertThat(d.contains(holder, id("held"))).as("nothing evicted for the dead").containsExactly(Status.OK);
    }
}
