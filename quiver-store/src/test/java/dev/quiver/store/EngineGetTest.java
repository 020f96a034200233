package dev.quiver.store;

import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Reply.Location;
import dev.quiver.protocol.Status;
import org.junit.jupiter.api.Test;

class EngineGetTest {
    final EngineDriver d = new EngineDriver(1 << 20);
    final long writer = d.connect("writer");
    final long reader = d.connect("reader");
    final ObjectId x = id("x");
    final ObjectId y = id("y");
    final ObjectId z = id("z");

    private int refCount(ObjectId id) {
        return d.info(writer, id).orElseThrow().refCount();
    }

    @Test
    void aPresentObjectIsAnsweredAtOnceAndTakesAReference() {
        long offset = d.put(writer, x, 1000);
        assertThat(d.stats().evictable()).isEqualTo(1024);

        assertThat(d.get(reader, 0, x)).containsExactly(new Location(true, offset, 1000, 0));

        assertThat(refCount(x)).isEqualTo(1);
        assertThat(d.stats().evictable()).as("a held object is pinned").isZero();
        assertThat(d.stats().pinned()).isEqualTo(1024);
        assertThat(d.evict(writer, Long.MAX_VALUE)).isEqualTo(new Reply.Evicted(0, 0));
    }

    @Test
    void anAbsentObjectWithTimeoutZeroIsAnsweredAbsentAtOnce() {
        long offset = d.putHeld(writer, y, 10);

        assertThat(d.get(reader, 0, x, y)).containsExactly(Location.ABSENT, new Location(true, offset, 10, 0));

        assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        // Sealing x later does not answer the same get again.
        d.putHeld(writer, x, 10);
        assertThat(d.outbox.to(reader)).hasSize(2); // Connected, Objects
    }

    @Test
    void aGetWaitsUntilItsTimeoutThenAnswersAbsent() {
        long offset = d.putHeld(writer, y, 10);
        long start = d.clock.nanos();

        int get = d.getWaiting(reader, 100, x, y);

        assertThat(d.engine.nextDeadline()).isEqualTo(start + 100_000_000L);
        d.advanceMillis(99);
        assertThat(d.answer(reader, get)).isEmpty();
        d.clock.advanceNanos(999_999);
        d.engine.expire();
        assertThat(d.answer(reader, get)).isEmpty();
        d.clock.advanceNanos(1);
        d.engine.expire();
        assertThat(d.gotten(reader, get)).containsExactly(Location.ABSENT, new Location(true, offset, 10, 0));
        // The present one was taken for the reader and stays held.
        assertThat(refCount(y)).isEqualTo(2);
        assertThat(d.release(reader, y)).containsExactly(Status.OK);
        assertThat(d.release(reader, x)).containsExactly(Status.NOT_HELD);
        assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aTimedOutGetIsNotWokenBySealsAfterwards() {
        int get = d.getWaiting(reader, 10, x);
        d.advanceMillis(10);
        assertThat(d.gotten(reader, get)).containsExactly(Location.ABSENT);

        d.putHeld(writer, x, 10);

        assertThat(d.outbox.replies(reader, get)).hasSize(1);
        assertThat(refCount(x)).isEqualTo(1);
    }

    @Test
    void aSealBeforeTheDeadlineAnswersOnceAndTheDeadlineIsForgotten() {
        int get = d.getWaiting(reader, 1000, x);
        long offset = d.created(writer, x, 50);
        assertThat(d.answer(reader, get)).as("not before the seal").isEmpty();

        d.seal(writer, x);

        assertThat(d.gotten(reader, get)).containsExactly(new Location(true, offset, 50, 0));
        assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        d.advanceMillis(5000);
        assertThat(d.outbox.replies(reader, get)).hasSize(1);
    }

    @Test
    void aGetWithTimeoutMinusOneWaitsForeverUntilAnotherClientSeals() {
        int get = d.getWaiting(reader, -1, x);
        assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        d.advanceMillis(365L * 24 * 3600 * 1000);
        assertThat(d.answer(reader, get)).isEmpty();

        long offset = d.created(writer, x, 123, 45);
        assertThat(d.answer(reader, get)).isEmpty();
        d.seal(writer, x);

        assertThat(d.gotten(reader, get)).containsExactly(new Location(true, offset, 123, 45));
        assertThat(refCount(x)).as("writer's and reader's").isEqualTo(2);
    }

    @Test
    void aRepeatedIdTakesOneReferencePerOccurrence() {
        long offset = d.put(writer, x, 10);
        Location here = new Location(true, offset, 10, 0);

        assertThat(d.get(reader, 0, x, x, x)).containsExactly(here, here, here);

        assertThat(refCount(x)).isEqualTo(3);
        assertThat(d.release(reader, x, x)).containsExactly(Status.OK, Status.OK);
        assertThat(refCount(x)).isEqualTo(1);
        assertThat(d.release(reader, x, x)).containsExactly(Status.OK, Status.NOT_HELD);
        assertThat(d.stats().evictable()).isEqualTo(64);
    }

    @Test
    void aRepeatedAbsentIdDoesNotHangAndIsAnsweredOncePerOccurrence() {
        int get = d.getWaiting(reader, -1, x, y, x);

        long offsetX = d.putHeld(writer, x, 10);
        assertThat(d.answer(reader, get)).as("y is still missing").isEmpty();
        long offsetY = d.putHeld(writer, y, 20);

        Location atX = new Location(true, offsetX, 10, 0);
        assertThat(d.gotten(reader, get)).containsExactly(atX, new Location(true, offsetY, 20, 0), atX);
        assertThat(refCount(x)).isEqualTo(3);
        assertThat(refCount(y)).isEqualTo(2);
    }

    @Test
    void aRepeatedAbsentIdAloneIsAnsweredWhenSealed() {
        int get = d.getWaiting(reader, -1, x, x);

        long offset = d.putHeld(writer, x, 10);

        Location at = new Location(true, offset, 10, 0);
        assertThat(d.gotten(reader, get)).containsExactly(at, at);
        assertThat(refCount(x)).isEqualTo(3);
    }

    @Test
    void aGetOnSeveralIdsAnswersWhenTheLastIsSealed() {
        int get = d.getWaiting(reader, 10_000, x, y, z);

        d.putHeld(writer, z, 10);
        d.advanceMillis(1000);
        d.putHeld(writer, x, 10);
        assertThat(d.answer(reader, get)).isEmpty();
        d.putHeld(writer, y, 10);

        assertThat(d.gotten(reader, get)).allMatch(Location::present).hasSize(3);
        assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aSealWakesEveryWaitingClient() {
        long other = d.connect("other");
        int first = d.getWaiting(reader, -1, x);
        int second = d.getWaiting(other, 500, x);
        int third = d.getWaiting(reader, -1, x, y);

        d.putHeld(writer, x, 10);

        assertThat(d.gotten(reader, first)).singleElement().matches(Location::present);
        assertThat(d.gotten(other, second)).singleElement().matches(Location::present);
        assertThat(d.answer(reader, third)).isEmpty();
        assertThat(refCount(x)).isEqualTo(4);
    }

    @Test
    void aGetOnItsOwnUnsealedObjectIsAnsweredByItsOwnSeal() {
        d.created(writer, x, 10);
        int get = d.getWaiting(writer, -1, x);

        d.seal(writer, x);

        assertThat(d.gotten(writer, get)).singleElement().matches(Location::present);
        assertThat(refCount(x)).isEqualTo(2);
    }

    @Test
    void anAbortDoesNotAnswerAWaitingGetButALaterSealDoes() {
        int get = d.getWaiting(reader, -1, x);
        d.created(writer, x, 10);
        d.abort(writer, x);
        assertThat(d.answer(reader, get)).isEmpty();

        d.putHeld(writer, x, 30);

        assertThat(d.gotten(reader, get)).singleElement().satisfies(l -> assertThat(l.dataSize()).isEqualTo(30));
    }

    @Test
    void deadlinesAreAnsweredInOrder() {
        int late = d.getWaiting(reader, 300, x);
        int early = d.getWaiting(reader, 100, y);
        int never = d.getWaiting(reader, -1, z);
        long start = d.clock.nanos();
        assertThat(d.engine.nextDeadline()).isEqualTo(start + 100_000_000L);

        d.advanceMillis(150);
        assertThat(d.answer(reader, early)).isPresent();
        assertThat(d.answer(reader, late)).isEmpty();
        assertThat(d.engine.nextDeadline()).isEqualTo(start + 300_000_000L);

        d.advanceMillis(150);
        assertThat(d.answer(reader, late)).isPresent();
        assertThat(d.answer(reader, never)).isEmpty();
        assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aHugeTimeoutDoesNotOverflowIntoThePast() {
        int get = d.getWaiting(reader, Long.MAX_VALUE, x);

        assertThat(d.engine.nextDeadline()).isGreaterThan(d.clock.nanos());
        d.advanceMillis(1000);
        assertThat(d.answer(reader, get)).isEmpty();
    }

    @Test
    void anEmptyGetIsAnsweredAtOnce() {
        assertThat(d.get(reader, -1)).isEmpty();
    }

    @Test
    void containsAnswersPerIdWhetherSealedAndNotDeleted() {
        d.putHeld(writer, x, 10);
        d.created(writer, y, 10);
        d.putHeld(writer, z, 10);
        assertThat(d.delete(writer, z)).containsExactly(Status.DEFERRED);

        assertThat(d.contains(reader, x, y, z, id("nothing"), x)).containsExactly(Status.OK, Status.OBJECT_NOT_FOUND,
                Status.OBJECT_NOT_FOUND, Status.OBJECT_NOT_FOUND, Status.OK);
        assertThat(d.contains(reader)).isEmpty();
    }
}
