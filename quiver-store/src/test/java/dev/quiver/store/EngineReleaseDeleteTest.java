package dev.quiver.store;

import static dev.quiver.store.EngineDriver.error;
import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Reply.Location;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class EngineReleaseDeleteTest {
    final EngineDriver d = new EngineDriver(1 << 20);
    final long writer = d.connect("writer");
    final long reader = d.connect("reader");
    final long watcher = d.connect("watcher");
    final ObjectId x = id("x");
    final ObjectId y = id("y");

    EngineReleaseDeleteTest() {
        assertThat(d.call(watcher, new Request.Subscribe())).isEqualTo(new Reply.Ok());
    }

    private int refCount(ObjectId id) {
        return d.info(writer, id).orElseThrow().refCount();
    }

    private long deletions(ObjectId id) {
        return d.outbox.notifications(watcher).stream()
                .filter(n -> n.kind() == Reply.Notification.Kind.DELETED && n.id().equals(id)).count();
    }

    @Nested
    class Release {

        @Test
        void releasingWhatWasNeverHeldIsNotHeld() {
            d.putHeld(writer, x, 10);

            assertThat(d.release(reader, x, id("nothing"))).containsExactly(Status.NOT_HELD, Status.NOT_HELD);

            assertThat(refCount(x)).isEqualTo(1);
        }

        @Test
        void theWriterCannotReleaseItsUnsealedObject() {
            d.created(writer, x, 10);

            assertThat(d.release(writer, x)).containsExactly(Status.NOT_SEALED);

            assertThat(refCount(x)).isEqualTo(1);
            assertThat(d.seal(writer, x)).as("still the writer's to seal").isEqualTo(Status.OK);
            assertThat(d.release(writer, x)).containsExactly(Status.OK);
        }

        @Test
        void theWriterReleasesItsGetsOfItsPublishedObjectButNotItsOwnReference() {
            d.created(writer, x, 10);
            assertThat(d.call(writer, new Request.Publish(x))).isEqualTo(new Reply.Ok());
            d.get(writer, 0, x); // the writer's process reads its own stream
            assertThat(refCount(x)).isEqualTo(2);

            assertThat(d.release(writer, x)).containsExactly(Status.OK);
            assertThat(refCount(x)).isEqualTo(1);
            assertThat(d.release(writer, x)).as("the creator's reference").containsExactly(Status.NOT_SEALED);

            assertThat(d.seal(writer, x)).isEqualTo(Status.OK);
            assertThat(d.release(writer, x)).containsExactly(Status.OK);
            assertThat(d.stats().pinned()).isZero();
        }

        @Test
        void theLastReleaseMakesTheObjectEvictable() {
            d.putHeld(writer, x, 100);
            d.get(reader, 0, x);
            assertThat(d.stats().evictable()).isZero();

            assertThat(d.release(writer, x)).containsExactly(Status.OK);
            assertThat(d.stats().evictable()).isZero();
            assertThat(d.release(reader, x)).containsExactly(Status.OK);

            assertThat(d.stats().evictable()).isEqualTo(128);
            assertThat(d.stats().pinned()).isZero();
            assertThat(d.release(reader, x)).containsExactly(Status.NOT_HELD);
            assertThat(d.contains(reader, x)).as("released is not deleted").containsExactly(Status.OK);
        }

        @Test
        void referencesArePerClient() {
            d.putHeld(writer, x, 10);
            d.get(reader, 0, x);

            // The reader cannot release the writer's reference by releasing twice.
            assertThat(d.release(reader, x, x)).containsExactly(Status.OK, Status.NOT_HELD);
            assertThat(refCount(x)).isEqualTo(1);
        }
    }

    @Nested
    class Delete {

        @Test
        void deletingAnUnreferencedObjectFreesItAtOnce() {
            d.put(writer, x, 1000);
            d.put(writer, y, 10);

            assertThat(d.delete(reader, x)).containsExactly(Status.OK);

            assertThat(d.stats().used()).isEqualTo(64);
            assertThat(d.stats().evictable()).isEqualTo(64);
            assertThat(d.contains(reader, x)).containsExactly(Status.OBJECT_NOT_FOUND);
            assertThat(deletions(x)).isEqualTo(1);
            assertThat(d.stats().evictedObjects()).as("a delete is not an eviction").isZero();
            d.checkBooks(reader);
        }

        @Test
        void deletingAnUnsealedOrUnknownObjectIsRefused() {
            d.created(writer, x, 10);

            assertThat(d.delete(writer, x, y)).containsExactly(Status.NOT_SEALED, Status.OBJECT_NOT_FOUND);

            assertThat(d.info(writer, x)).isPresent();
        }

        @Test
        void deletingAReferencedObjectIsDeferredAndHidesIt() {
            long offset = d.putHeld(writer, x, 100);
            d.get(reader, 0, x);

            assertThat(d.delete(writer, x)).containsExactly(Status.DEFERRED);

            // Invisible...
            assertThat(d.get(reader, 0, x)).containsExactly(Location.ABSENT);
            assertThat(d.contains(reader, x)).containsExactly(Status.OBJECT_NOT_FOUND);
            error(d.hash(reader, x), Status.OBJECT_NOT_FOUND);
            // ...but its id is reserved and its memory still in use by the holders.
            assertThat(error(d.create(reader, x, 10, 0, 0), Status.OBJECT_EXISTS)).contains("reserved");
            assertThat(d.stats().used()).isEqualTo(128);
            assertThat(d.stats().pinned()).isEqualTo(128);
            assertThat(d.evict(reader, Long.MAX_VALUE).bytes()).isZero();
            assertThat(deletions(x)).isZero();
            // Deleting again changes nothing.
            assertThat(d.delete(reader, x)).containsExactly(Status.DEFERRED);

            assertThat(d.release(writer, x)).containsExactly(Status.OK);
            assertThat(d.stats().used()).as("one holder left").isEqualTo(128);
            assertThat(d.stats().evictable()).isZero();
            assertThat(d.release(reader, x)).containsExactly(Status.OK);

            assertThat(d.stats().used()).isZero();
            assertThat(d.stats().evictable()).isZero();
            assertThat(deletions(x)).isEqualTo(1);
            assertThat(d.outbox.notifications(watcher).getLast())
                    .isEqualTo(new Reply.Notification(Reply.Notification.Kind.DELETED, x, 100, 0,
                            EngineDriver.digestOf(x)));
            // The id is free again, and the old offset is reusable.
            assertThat(d.created(reader, x, 100)).isEqualTo(offset);
            d.checkBooks(reader);
        }

        @Test
        void aGetWaitingOnADeferredDeleteIsAnsweredByTheNextObjectOfThatId() {
            d.putHeld(writer, x, 100);
            d.delete(writer, x);
            int get = d.getWaiting(reader, -1, x);

            d.release(writer, x);
            assertThat(d.answer(reader, get)).isEmpty();
            long offset = d.putHeld(writer, x, 7);

            assertThat(d.gotten(reader, get)).containsExactly(new Location(true, offset, 7, 0));
        }

        @Test
        void aDeleteOfSeveralObjectsAnswersEachInOrder() {
            d.put(writer, x, 10);
            d.putHeld(writer, y, 10);
            d.created(writer, id("unsealed"), 10);

            assertThat(d.delete(reader, x, y, id("unsealed"), id("nothing"), x)).containsExactly(Status.OK,
                    Status.DEFERRED, Status.NOT_SEALED, Status.OBJECT_NOT_FOUND, Status.OBJECT_NOT_FOUND);
        }
    }
}
