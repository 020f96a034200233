package dev.quiver.store;

import static dev.quiver.store.EngineDriver.block;
import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import org.junit.jupiter.api.Test;

/**
 * PUBLISH: an unsealed object its creator makes gettable while it goes on writing it (a stream log's segment). It
 * cannot be aborted after, is never evicted or deleted while unsealed, and is sealed as it is, not discarded, when its
 * creator goes away.
 */
class EnginePublishTest {
    final EngineDriver d = new EngineDriver(1 << 20);
    final long writer = d.connect("writer");
    final long reader = d.connect("reader");
    final ObjectId x = id("x");

    private Reply publish(long client, ObjectId id) {
        return d.call(client, new Request.Publish(id));
    }

    @Test
    void aPublishedObjectIsGettableWhileStillUnsealedAndWakesWaitingGets() {
        long offset = d.created(writer, x, 1000);
        int waiting = d.getWaiting(reader, 60_000, x);
        assertThat(d.get(reader, 0, x).getFirst().present()).as("not before it is published").isFalse();

        assertThat(publish(writer, x)).isInstanceOf(Reply.Ok.class);
        Reply.Location woken = d.gotten(reader, waiting).getFirst();
        assertThat(woken.present()).isTrue();
        assertThat(woken.offset()).isEqualTo(offset);
        assertThat(d.get(reader, 0, x).getFirst().present()).isTrue();
        assertThat(d.info(reader, x).orElseThrow().state()).as("still being written").isEqualTo(ObjectState.CREATED);
        assertThat(d.info(reader, x).orElseThrow().refCount()).as("writer + two gets").isEqualTo(3);
        assertThat(d.contains(reader, x)).as("contains means sealed").containsExactly(Status.OBJECT_NOT_FOUND);
        assertThat(publish(writer, x)).as("twice is fine").isInstanceOf(Reply.Ok.class);
        assertThat(d.engine.checkInvariants()).isEmpty();
    }

    @Test
    void aPublishedObjectCannotBeAbortedDeletedOrEvicted() {
        d.created(writer, x, 1000);
        publish(writer, x);
        EngineDriver.error(d.abort(writer, x), Status.INVALID_REQUEST);
        assertThat(d.delete(reader, x)).containsExactly(Status.NOT_SEALED);
        assertThat(d.evict(reader, Long.MAX_VALUE).bytes()).isZero();
        assertThat(d.info(reader, x)).isPresent();
        assertThat(d.seal(writer, x)).as("its writer seals it when done").isEqualTo(Status.OK);
        assertThat(d.engine.checkInvariants()).isEmpty();
    }

    @Test
    void onlyItsCreatorPublishesAnUnsealedObject() {
        d.created(writer, x, 10);
        EngineDriver.error(publish(reader, x), Status.NOT_OWNER);
        EngineDriver.error(publish(writer, id("nothing")), Status.OBJECT_NOT_FOUND);
        assertThat(d.get(reader, 0, x).getFirst().present()).as("nothing changed").isFalse();
        d.seal(writer, x);
        EngineDriver.error(publish(writer, x), Status.ALREADY_SEALED);
    }

    @Test
    void whenItsCreatorGoesAwayAPublishedObjectIsSealedAsItIsAndReadersKeepIt() {
        d.engine.digestWith((offset, dataSize, metadataSize) -> offset + dataSize + metadataSize);
        ObjectId unpublished = id("unpublished");
        long offset = d.created(writer, x, 1000);
        d.created(writer, unpublished, 500);
        publish(writer, x);
        d.get(reader, 0, x);

        d.engine.disconnect(writer);
        assertThat(d.info(reader, unpublished)).as("an unpublished one is discarded").isEmpty();
        assertThat(d.info(reader, x).orElseThrow().state()).isEqualTo(ObjectState.SEALED);
        assertThat(d.info(reader, x).orElseThrow().refCount()).as("the reader's reference").isEqualTo(1);
        assertThat(d.hash(reader, x)).as("the digest the store computed over its bytes")
                .isEqualTo(new Reply.Digest(offset + 1000));
        assertThat(d.release(reader, x)).containsExactly(Status.OK);
        assertThat(d.stats().evictable()).as("sealed and unreferenced: an ordinary object now").isEqualTo(block(1000));
        assertThat(d.engine.checkInvariants()).isEmpty();
    }

    @Test
    void aReaderReleasesAPublishedObjectAsAnyOther() {
        d.created(writer, x, 100);
        publish(writer, x);
        d.get(reader, 0, x);
        assertThat(d.release(reader, x)).containsExactly(Status.OK);
        assertThat(d.release(reader, x)).containsExactly(Status.NOT_HELD);
        assertThat(d.release(writer, x)).as("the writer's reference goes with seal").containsExactly(Status.NOT_SEALED);
        assertThat(d.info(reader, x).orElseThrow().refCount()).isEqualTo(1);
        assertThat(d.engine.checkInvariants()).isEmpty();
    }
}
