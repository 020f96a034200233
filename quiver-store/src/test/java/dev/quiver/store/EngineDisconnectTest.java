package dev.quiver.store;

import static dev.quiver.store.EngineDriver.block;
import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** A client that dies (EOF) leaves nothing behind: what it wrote is aborted, what it held is released. */
class EngineDisconnectTest {
    final EngineDriver d = new EngineDriver(1 << 20);
    final long dying = d.connect("dying");
    final long survivor = d.connect("survivor");
    final long watcher = d.connect("watcher");

    EngineDisconnectTest() {
        d.call(watcher, new Request.Subscribe());
    }

    private Map<ObjectId, ObjectInfo> objects() {
        return d.list(survivor).stream().collect(Collectors.toMap(ObjectInfo::id, Function.identity()));
    }

    @Test
    void aDeadClientsWorkIsUndoneAndOthersAreUntouched() {
        // The dying client's own objects.
        d.created(dying, id("dying.unsealed"), 1000);
        d.putHeld(dying, id("dying.sealed"), 2000);
        d.put(dying, id("dying.released"), 3000);
        // The survivor's objects, some of which the dying client holds.
        d.created(survivor, id("survivor.unsealed"), 100);
        d.put(survivor, id("survivor.shared"), 200);
        d.get(dying, 0, id("survivor.shared"), id("survivor.shared"));
        d.get(survivor, 0, id("survivor.shared"));
        d.putHeld(survivor, id("survivor.deleted"), 300);
        d.get(dying, 0, id("survivor.deleted"));
        d.release(survivor, id("survivor.deleted"));
        assertThat(d.delete(survivor, id("survivor.deleted"))).containsExactly(Status.DEFERRED);
        d.putHeld(survivor, id("survivor.held"), 400);
        // Waits of the dying client.
        int pendingGet = d.getWaiting(dying, -1, id("later"));
        d.created(survivor, id("filler"), (1 << 20) - d.stats().used() - 64);
        int pendingCreate = d.send(dying, new Request.Create(id("dying.waiting"), 4096, 0, -1));
        assertThat(d.answer(dying, pendingCreate)).isEmpty();
        int sentBefore = d.outbox.to(dying).size();

        d.engine.disconnect(dying);

        Map<ObjectId, ObjectInfo> left = objects();
        assertThat(left).doesNotContainKey(id("dying.unsealed")).doesNotContainKey(id("survivor.deleted"));
        // Its sealed objects stay, unreferenced and evictable.
        assertThat(left.get(id("dying.sealed")).refCount()).isZero();
        assertThat(left.get(id("dying.released")).refCount()).isZero();
        // Its references on others' objects are gone; the others' own remain.
        assertThat(left.get(id("survivor.shared")).refCount()).isEqualTo(1);
        assertThat(left.get(id("survivor.held")).refCount()).isEqualTo(1);
        assertThat(left.get(id("survivor.unsealed")).state()).isEqualTo(ObjectState.CREATED);
        assertThat(left.get(id("survivor.unsealed")).refCount()).isEqualTo(1);
        // The deferred delete it was blocking completed.
        assertThat(d.outbox.notifications(watcher)).filteredOn(n -> n.kind() == Reply.Notification.Kind.DELETED)
                .extracting(Reply.Notification::id).containsExactly(id("survivor.deleted"));
        // Memory: exactly what remains.
        long remaining = left.values().stream().mapToLong(i -> block(i.dataSize() + i.metadataSize())).sum();
        assertThat(d.stats().used()).isEqualTo(remaining);
        assertThat(d.stats().evictable()).isEqualTo(block(2000) + block(3000));
        assertThat(d.stats().clients()).isEqualTo(2);
        d.checkBooks(survivor);
        // Its waiting create was dropped: the memory now evictable is not given to it.
        assertThat(left).doesNotContainKey(id("dying.waiting"));
        // Its waiting get was dropped: a seal of what it waited for is not sent to it.
        d.putHeld(survivor, id("later"), 10);
        assertThat(d.outbox.to(dying)).hasSize(sentBefore);
        assertThat(d.info(survivor, id("later")).orElseThrow().refCount()).isEqualTo(1);
        assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        // Its unsealed object's id is free.
        d.created(survivor, id("dying.unsealed"), 10);
    }

    @Test
    void aDeadClientsTimedWaitsNeverFire() {
        d.created(survivor, id("filler"), 1 << 20);
        int get = d.getWaiting(dying, 100, id("x"));
        int create = d.send(dying, new Request.Create(id("y"), 64, 0, 100));

        d.engine.disconnect(dying);
        d.advanceMillis(1000);

        assertThat(d.outbox.replies(dying, get)).isEmpty();
        assertThat(d.outbox.replies(dying, create)).isEmpty();
        assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aDeadClientsGetThatHadTakenSomeObjectsReleasesThem() {
        d.put(survivor, id("present"), 100);
        d.getWaiting(dying, -1, id("present"), id("absent"));
        assertThat(d.info(survivor, id("present")).orElseThrow().refCount()).isEqualTo(1);

        d.engine.disconnect(dying);

        assertThat(d.info(survivor, id("present")).orElseThrow().refCount()).isZero();
        assertThat(d.stats().evictable()).isEqualTo(128);
    }

    @Test
    void aDeadSubscriberIsForgotten() {
        d.call(dying, new Request.Subscribe());

        d.engine.disconnect(dying);
        d.put(survivor, id("x"), 10);

        assertThat(d.outbox.notifications(dying)).isEmpty();
        assertThat(d.outbox.notifications(watcher)).hasSize(1);
    }

    @Test
    void aClientThatDiesWithEverythingLeavesAnEmptyStore() {
        for (int i = 0; i < 50; i++) {
            d.created(dying, id("u" + i), 1000 + i);
        }

        d.engine.disconnect(dying);

        assertThat(d.stats().used()).isZero();
        assertThat(d.stats().objects()).isZero();
        assertThat(d.created(survivor, id("all"), 1 << 20)).isZero();
    }
}
