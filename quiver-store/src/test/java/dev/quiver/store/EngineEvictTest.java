package dev.quiver.store;

import static dev.quiver.store.EngineDriver.error;
import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

class EngineEvictTest {
    final EngineDriver d = new EngineDriver(64 * 1024);
    final long a = d.connect("a");
    final long b = d.connect("b");
    final long watcher = d.connect("watcher");

    EngineEvictTest() {
        d.call(watcher, new Request.Subscribe());
    }

    /** Ids of DELETED notifications, in order. */
    private List<ObjectId> removed() {
        return d.outbox.notifications(watcher).stream().filter(n -> n.kind() == Reply.Notification.Kind.DELETED)
                .map(Reply.Notification::id).toList();
    }

    @Test
    void evictFreesLeastRecentlyReleasedFirstAndReportsExactBytes() {
        d.put(a, id("1"), 100);   // 128
        d.put(a, id("2"), 1000);  // 1024
        d.put(a, id("3"), 10);    // 64
        d.put(a, id("4"), 4096);  // 4096

        assertThat(d.evict(b, 1)).isEqualTo(new Reply.Evicted(128, 1));
        assertThat(d.evict(b, 1024)).as("stops as soon as enough is freed").isEqualTo(new Reply.Evicted(1024, 1));
        assertThat(d.evict(b, 65)).isEqualTo(new Reply.Evicted(64 + 4096, 2));
        assertThat(d.evict(b, 0)).isEqualTo(new Reply.Evicted(0, 0));
        assertThat(removed()).containsExactly(id("1"), id("2"), id("3"), id("4"));
        assertThat(d.contains(b, id("1"), id("2"), id("3"), id("4"))).containsOnly(Status.OBJECT_NOT_FOUND);
        assertThat(d.stats().evictedObjects()).isEqualTo(4);
        assertThat(d.stats().evictedBytes()).isEqualTo(128 + 1024 + 64 + 4096);
        assertThat(d.stats().used()).isZero();
        d.checkBooks(a);
    }

    @Test
    void recencyIsTheTimeOfTheLastReleaseNotOfTheCreate() {
        d.putHeld(a, id("old"), 10);
        d.put(a, id("mid"), 10);
        d.put(a, id("new"), 10);
        d.release(a, id("old"));          // released last although created first
        d.get(b, 0, id("mid"));
        d.release(b, id("mid"));          // used again: now the most recent

        d.evict(b, Long.MAX_VALUE);

        assertThat(removed()).containsExactly(id("new"), id("old"), id("mid"));
    }

    @Test
    void neverEvictsAnythingWithAReferenceOrUnsealed() {
        d.created(a, id("unsealed"), 10);
        d.putHeld(a, id("writerHolds"), 10);
        d.put(a, id("readerHolds"), 10);
        d.get(b, 0, id("readerHolds"));
        d.put(a, id("free"), 10);

        assertThat(d.evict(b, Long.MAX_VALUE)).isEqualTo(new Reply.Evicted(64, 1));

        assertThat(removed()).containsExactly(id("free"));
        assertThat(d.stats().used()).isEqualTo(3 * 64);
        assertThat(d.stats().evictable()).isZero();
    }

    @Test
    void evictingMoreThanIsEvictableFreesWhatThereIs() {
        d.put(a, id("x"), 100);
        d.put(a, id("y"), 100);

        assertThat(d.evict(b, 1 << 30)).isEqualTo(new Reply.Evicted(256, 2));
        assertThat(d.evict(b, 1 << 30)).isEqualTo(new Reply.Evicted(0, 0));
        assertThat(d.stats().used()).isZero();
    }

    @Test
    void aNegativeEvictIsInvalid() {
        d.put(a, id("x"), 100);

        assertThat(error(d.call(b, new Request.Evict(-1)), Status.INVALID_REQUEST)).contains("-1");
        assertThat(d.stats().used()).isEqualTo(128);
    }

    @Test
    void aCreateThatDoesNotFitEvictsLeastRecentlyReleasedUntilItFits() {
        // 16 objects of 4 KiB fill the 64 KiB store.
        for (int i = 0; i < 16; i++) {
            d.put(a, id("o" + i), 4096);
        }
        d.get(b, 0, id("o0")); // o0 is pinned: skipped by eviction
        assertThat(d.stats().used()).isEqualTo(64 * 1024);

        d.created(b, id("big"), 3 * 4096);

        // Evicting o1, o2, o3 frees three adjacent blocks: exactly enough.
        assertThat(removed()).containsExactly(id("o1"), id("o2"), id("o3"));
        assertThat(d.stats().evictedObjects()).isEqualTo(3);
        assertThat(d.stats().evictedBytes()).isEqualTo(3 * 4096);
        assertThat(d.stats().used()).isEqualTo(64 * 1024);
        d.checkBooks(a);
    }

    @Test
    void aCreateThatCouldNotFitEvenAfterEvictingEverythingEvictsNothing() {
        d.created(a, id("pinned"), 60 * 1024);
        d.put(a, id("free"), 2048);

        Reply r = d.create(b, id("big"), 8 * 1024, 0, 0);

        String message = error(r, Status.STORE_FULL);
        assertThat(message).contains("needed 8192").contains("evictable 2048").contains("pinned 61440");
        assertThat(removed()).isEmpty();
        assertThat(d.contains(b, id("free"))).containsExactly(Status.OK);
        assertThat(d.stats().evictedObjects()).isZero();
    }

    @Test
    void aCreateThatFragmentationDefeatsEvictsNothing() {
        // The 64 KiB arena in four quarters: held, evictable, held, evictable. 32 KiB are free once evicted, but
        // never in one piece, so a 32 KiB create must fail without throwing the evictable objects away.
        long quarter = 16 * 1024;
        d.putHeld(a, id("held-1"), quarter);
        d.put(a, id("free-1"), quarter);
        d.putHeld(a, id("held-2"), quarter);
        d.put(a, id("free-2"), quarter);

        Reply r = d.create(b, id("big"), 2 * quarter, 0, 0);

        assertThat(error(r, Status.STORE_FULL)).contains("needed " + 2 * quarter);
        assertThat(d.stats().evictedObjects()).isZero();
        assertThat(d.contains(b, id("free-1"), id("free-2"))).containsOnly(Status.OK);
        assertThat(removed()).isEmpty();

        d.release(a, id("held-1")); // now the first half can be one run: evicting makes room
        assertThat(d.create(b, id("big"), 2 * quarter, 0, 0)).isInstanceOf(Reply.Created.class);
        assertThat(removed()).contains(id("free-1"));
        d.checkBooks(a);
    }
}
