package dev.quiver.store;

import static dev.quiver.protocol.Reply.Notification.Kind.DELETED;
import static dev.quiver.protocol.Reply.Notification.Kind.SEALED;
import static dev.quiver.store.EngineDriver.error;
import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Reply.Notification;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

class EngineSubscribeTest {
    final EngineDriver d = new EngineDriver(64 * 1024);
    final long writer = d.connect("writer");

    @Test
    void aLateSubscriberFirstReceivesEverySealedObjectThenLiveEvents() {
        d.created(writer, id("one"), 10, 1);
        d.clock.advanceMillis(1);
        d.putHeld(writer, id("two"), 20);
        d.clock.advanceMillis(1);
        d.seal(writer, id("one"), 111);           // sealed after "two": notified after it
        d.created(writer, id("unsealed"), 30);
        d.putHeld(writer, id("deleting"), 40);
        d.delete(writer, id("deleting"));           // deferred: invisible, but still in memory

        long sub = d.connect("subscriber");
        int r = d.send(sub, new Request.Subscribe());

        assertThat(d.outbox.to(sub).stream().skip(1).map(RecordingOutbox.Sent::reply)).containsExactly(
                new Reply.Ok(),
                new Notification(SEALED, id("two"), 20, 0, EngineDriver.digestOf(id("two"))),
                new Notification(SEALED, id("one"), 10, 1, 111),
                new Notification(SEALED, id("deleting"), 40, 0, EngineDriver.digestOf(id("deleting"))));
        assertThat(d.outbox.replies(sub, r)).containsExactly(new Reply.Ok());

        d.seal(writer, id("unsealed"), 333);
        d.release(writer, id("deleting"));          // the deferred delete completes
        d.release(writer, id("two"));
        d.delete(writer, id("two"));
        d.release(writer, id("one"));
        d.evict(writer, 1);                          // evicts "one"
        d.created(writer, id("aborted"), 5);
        d.abort(writer, id("aborted"));              // never visible: no event

        assertThat(d.outbox.notifications(sub)).containsExactly(
                new Notification(SEALED, id("two"), 20, 0, EngineDriver.digestOf(id("two"))),
                new Notification(SEALED, id("one"), 10, 1, 111),
                new Notification(SEALED, id("deleting"), 40, 0, EngineDriver.digestOf(id("deleting"))),
                new Notification(SEALED, id("unsealed"), 30, 0, 333),
                new Notification(DELETED, id("deleting"), 40, 0, EngineDriver.digestOf(id("deleting"))),
                new Notification(DELETED, id("two"), 20, 0, EngineDriver.digestOf(id("two"))),
                new Notification(DELETED, id("one"), 10, 1, 111));
    }

    @Test
    void everySubscriberGetsEveryEventAndOthersNone() {
        long s1 = d.connect();
        long s2 = d.connect();
        long bystander = d.connect();
        d.call(s1, new Request.Subscribe());
        d.call(s2, new Request.Subscribe());

        d.put(writer, id("x"), 10);
        d.delete(writer, id("x"));

        assertThat(d.outbox.notifications(s1)).hasSize(2).isEqualTo(d.outbox.notifications(s2));
        assertThat(d.outbox.notifications(bystander)).isEmpty();
        assertThat(d.outbox.notifications(writer)).isEmpty();
    }

    @Test
    void subscribingTwiceIsInvalid() {
        long s = d.connect();
        d.call(s, new Request.Subscribe());

        assertThat(error(d.call(s, new Request.Subscribe()), Status.INVALID_REQUEST)).contains("subscribed");
    }

    @Test
    void aDisconnectedSubscriberHearsNothingMore() {
        long s = d.connect();
        d.call(s, new Request.Subscribe());
        d.put(writer, id("x"), 10);
        d.engine.disconnect(s);

        d.put(writer, id("y"), 10);
        d.delete(writer, id("x"));

        assertThat(d.outbox.notifications(s)).extracting(Notification::id).containsExactly(id("x"));
    }

    @Test
    void anEmptyStoreSubscriptionAnswersOkOnly() {
        long s = d.connect();
        int r = d.send(s, new Request.Subscribe());

        assertThat(d.outbox.replies(s, r)).containsExactly(new Reply.Ok());
        assertThat(d.outbox.notifications(s)).isEqualTo(List.of());
    }
}
