package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.RawConnection;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A store of two million objects: a listing and a new subscriber's first notifications are produced as fast as their
 * reader takes them, so neither piles up in the store (a lister that reads slowly is not dropped) nor holds up other
 * clients (their calls are answered while the listing waits for its reader).
 */
class MillionsOfObjectsTest {
    private static final int OBJECTS = 2_000_000;
    private static RunningStore store;

    @BeforeAll
    static void fill() throws Exception {
        store = RunningStore.started(64L * OBJECTS + (16 << 20));
        QuiverClient c = store.client();
        List<QuiverClient.ObjectData> batch = new ArrayList<>(FrameCodec.MAX_BATCH);
        MemorySegment one = MemorySegment.ofArray(new byte[] {1});
        for (int i = 0; i < OBJECTS; i++) {
            batch.add(new QuiverClient.ObjectData(name(i), one));
            if (batch.size() == FrameCodec.MAX_BATCH || i == OBJECTS - 1) {
                c.createAndSeal(batch);
                batch.clear();
            }
        }
        assertThat(c.stats().objects()).isEqualTo(OBJECTS);
    }

    @AfterAll
    static void stop() {
        store.close();
    }

    @Test
    void aSlowListerGetsEveryObjectOnceWhileOthersAreServed() {
        try (RawConnection lister = RawConnection.open(store.server().socket())) {
            lister.handshake();
            lister.write(FrameCodec.encode(2, new Request.ListObjects()));
            // The lister reads nothing yet: the store must go on serving others meanwhile ...
            othersAreServed();
            // ... and the whole listing is still there for it, in creation order, each object once.
            int count = 0;
            int expected = 0;
            boolean last = false;
            while (!last) {
                FrameCodec.Frame<Reply> f = lister.readFrame(WAIT);
                assertThat(f).as("a listing frame").isNotNull();
                Reply.Listing l = (Reply.Listing) f.message();
                for (ObjectInfo info : l.objects()) {
                    assertThat(info.id()).isEqualTo(name(expected++));
                }
                count += l.objects().size();
                last = l.last();
            }
            assertThat(count).isEqualTo(OBJECTS);
        }
    }

    @Test
    void aLateSlowSubscriberGetsEverySealedObjectOnceWhileOthersAreServed() {
        try (RawConnection subscriber = RawConnection.open(store.server().socket())) {
            subscriber.handshake();
            subscriber.write(FrameCodec.encode(2, new Request.Subscribe()));
            othersAreServed();
            Set<ObjectId> seen = new HashSet<>();
            assertThat(subscriber.readFrame(WAIT).message()).isInstanceOf(Reply.Ok.class);
            for (int i = 0; i < OBJECTS; i++) {
                Reply.Notification n = (Reply.Notification) subscriber.readFrame(WAIT).message();
                assertThat(n.kind()).isEqualTo(Reply.Notification.Kind.SEALED);
                assertThat(seen.add(n.id())).as("announced once: %s", n.id()).isTrue();
            }
            assertThat(seen).contains(name(0), name(OBJECTS - 1));
        }
    }

    @Test
    void theJavaClientListsThemAll() {
        List<ObjectInfo> all = store.client().list();
        assertThat(all).hasSize(OBJECTS);
        assertThat(all.getFirst().id()).isEqualTo(name(0));
        assertThat(all.getLast().id()).isEqualTo(name(OBJECTS - 1));
    }

    /** Another client's calls, of every kind that reads the engine's state, are answered. */
    private static void othersAreServed() {
        QuiverClient other = store.client();
        for (int i = 0; i < 100; i++) {
            assertThat(other.contains(name(i * 1000))).isTrue();
            assertThat(other.stats().objects()).isEqualTo(OBJECTS);
        }
        assertThat(other.range(name(5), name(8), 10, false)).hasSize(3);
    }

    private static ObjectId name(int i) {
        // Ids in creation order sort the same way: their last 8 bytes count up (see RANGE).
        byte[] b = new byte[ObjectId.SIZE];
        for (int k = 0; k < 8; k++) {
            b[ObjectId.SIZE - 1 - k] = (byte) (i >>> (8 * k));
        }
        b[0] = 0x51;
        return ObjectId.of(b);
    }
}
