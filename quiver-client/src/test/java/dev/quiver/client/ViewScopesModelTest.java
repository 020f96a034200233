package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.testing.Theories;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Random lives of many buffers in {@link ViewScopes}, against a model of which buffers are open, pinned and closed;
 * some in shared generations (batched view ends), some alone (a writer's, or an unbatched reader's, whose owner ends
 * the views as it closes).
 * The retirer thread is replaced by a queue the model runs when it chooses, so every interleaving of closes, timers,
 * flushes and endings is reachable. After every step: an open buffer's view reads; nothing was told to the store for
 * a buffer before its view ended (the sink checks at the moment it is called); each closed buffer is told once, as
 * it was closed (release or abort); after a flush, every closed buffer whose generation has no open buffer is told
 * and its view throws.
 */
class ViewScopesModelTest {
    private static final MemorySegment MEMORY = Arena.global().allocate(4096);

    sealed interface Op {}

    record Get(boolean alone) implements Op {}

    record Close(int pick, ViewScopes.End end) implements Op {}

    record Pin(int pick) implements Op {}

    /** The retirer thread runs what is queued (endings and timers). */
    record Run() implements Op {}

    record Flush() implements Op {}

    static Gen<List<Op>> lives() {
        Gen<Integer> pick = integers().between(0, 1000);
        Gen<ViewScopes.End> end = Generate.pick(List.of(ViewScopes.End.RELEASE, ViewScopes.End.RELEASE,
                ViewScopes.End.ABORT, ViewScopes.End.NOTHING));
        Gen<Op> op = Generate.frequency(
                Pair.of(5, Generate.constant(new Get(false))),
                Pair.of(1, Generate.constant(new Get(true))),
                Pair.of(5, pick.zip(end, Close::new)),
                Pair.of(1, pick.map(Pin::new)),
                Pair.of(2, Generate.constant(new Run())),
                Pair.of(1, Generate.constant(new Flush())));
        return lists().of(op).ofSizeBetween(1, 200);
    }

    /** One buffer as the model sees it. */
    static final class Buffer {
        final ObjectId id;
        final long offset;
        final ViewScopes.Generation generation;
        final MemorySegment view;
        boolean open = true;
        boolean pinned;
        ViewScopes.End end;

        Buffer(int n, ViewScopes.Generation generation) {
            this.id = ObjectId.forName("buffer-" + n);
            this.offset = 64L * n;
            this.generation = generation;
            this.view = MEMORY.asSlice(n % 4096, 1).reinterpret(generation.arena(), null);
        }
    }

    /** A retirer whose tasks run only when the model says so. */
    static final class QueuedRetirer implements ViewScopes.Retirer {
        final Queue<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void now(Runnable task) {
            tasks.add(task);
        }

        @Override
        public void later(Runnable task, long millis) {
            tasks.add(task);
        }

        void runQueued() {
            for (int n = tasks.size(); n > 0; n--) {
                tasks.remove().run();
            }
        }
    }

    /** Replays {@code ops}, checking the model after each; then closes every buffer, flushes and checks all told. */
    static void replay(List<Op> ops, int generationSize) {
        List<Buffer> buffers = new ArrayList<>();
        Map<ObjectId, ViewScopes.End> told = new HashMap<>();
        Map<ObjectId, Buffer> byId = new HashMap<>();
        QueuedRetirer retirer = new QueuedRetirer();
        Map<Long, Buffer> byOffset = new HashMap<>();
        Map<ObjectId, Boolean> releasedHeld = new HashMap<>();
        ViewScopes scopes = new ViewScopes(new ViewScopes.Sink() {
            @Override
            public void releasedHeld(ObjectId id) {
                Buffer b = byId.get(id);
                assertThat(b.generation.alone).as("held releases come from shared generations").isFalse();
                assertThat(b.generation.arena().scope().isAlive()).as("a held release precedes the view's end")
                        .isTrue();
                assertThat(releasedHeld.put(id, true)).as("released %s twice", id).isNull();
            }

            @Override
            public void ended(List<ObjectId> releases, List<ObjectId> aborts, List<Long> holds) {
                tell(told, byId, releases, ViewScopes.End.RELEASE);
                tell(told, byId, aborts, ViewScopes.End.ABORT);
                for (long offset : holds) {
                    Buffer b = byOffset.get(offset);
                    assertThat(releasedHeld).as("the hold of %s ends after its held release", b.id)
                            .containsKey(b.id);
                    tell(told, byId, List.of(b.id), ViewScopes.End.RELEASE);
                }
            }
        }, generationSize, retirer);

        for (Op op : ops) {
            List<Buffer> open = buffers.stream().filter(b -> b.open).toList();
            switch (op) {
                case Get g -> {
                    Buffer b = new Buffer(buffers.size(), g.alone() ? scopes.enterAlone() : scopes.enter());
                    buffers.add(b);
                    byId.put(b.id, b);
                    byOffset.put(b.offset, b);
                }
                case Close c when !open.isEmpty() -> {
                    Buffer b = open.get(c.pick() % open.size());
                    b.open = false;
                    b.end = c.end();
                    if (b.generation.alone) {
                        b.generation.endViews(b.id);
                    }
                    scopes.left(b.generation, c.end(), b.id, b.offset, b.pinned);
                    if (b.generation.alone) {
                        assertEnded(b, told); // told at once, on the caller's thread
                    }
                }
                case Pin p when !open.isEmpty() -> {
                    Buffer b = open.get(p.pick() % open.size());
                    if (!b.pinned) {
                        b.pinned = true;
                        scopes.pinned(b.generation);
                    }
                }
                case Run r -> retirer.runQueued();
                case Flush f -> {
                    scopes.flush();
                    for (Buffer b : buffers) {
                        boolean generationClosed = buffers.stream()
                                .noneMatch(o -> o.open && o.generation == b.generation);
                        if (!b.open && generationClosed) {
                            assertEnded(b, told);
                        }
                    }
                }
                default -> { } // a close or pin with no open buffer
            }
            for (Buffer b : buffers) {
                if (b.open) {
                    b.view.get(ValueLayout.JAVA_BYTE, 0); // throws if its view was ended under it
                    assertThat(told).as("told the store of an open buffer").doesNotContainKey(b.id);
                }
            }
            int generations = (int) buffers.stream().map(b -> b.generation).distinct().count();
            assertThat(buffers.size()).as("at most %d buffers per generation", generationSize)
                    .isLessThanOrEqualTo(generations * generationSize);
        }

        for (Buffer b : buffers) {
            if (b.open) {
                b.open = false;
                b.end = ViewScopes.End.RELEASE;
                if (b.generation.alone) {
                    b.generation.endViews(b.id);
                }
                scopes.left(b.generation, b.end, b.id, b.offset, b.pinned);
            }
        }
        scopes.flush();
        buffers.forEach(b -> assertEnded(b, told));
        assertThat(scopes.hasPending()).isFalse();
        retirer.runQueued(); // late timers find nothing more to tell
        assertThat(told).hasSize((int) buffers.stream().filter(b -> b.end != ViewScopes.End.NOTHING).count());
    }

    private static void tell(Map<ObjectId, ViewScopes.End> told, Map<ObjectId, Buffer> byId, List<ObjectId> ids,
            ViewScopes.End end) {
        for (ObjectId id : ids) {
            Buffer b = byId.get(id);
            assertThat(b.open).as("told the store of %s while open", id).isFalse();
            assertThat(b.end).as("told the store what %s's close said", id).isEqualTo(end);
            assertThat(b.generation.arena().scope().isAlive()).as("told the store of %s before its view ended", id)
                    .isFalse();
            assertThat(told.put(id, end)).as("told the store of %s twice", id).isNull();
        }
    }

    private static void assertEnded(Buffer b, Map<ObjectId, ViewScopes.End> told) {
        assertThatThrownBy(() -> b.view.get(ValueLayout.JAVA_BYTE, 0)).as("view of closed %s", b.id)
                .isInstanceOf(IllegalStateException.class);
        if (b.end != ViewScopes.End.NOTHING) {
            assertThat(told).as("store told of closed %s", b.id).containsEntry(b.id, b.end);
        } else {
            assertThat(told).doesNotContainKey(b.id);
        }
    }

    @Test
    void closedBuffersAreToldOnlyAfterTheirViewsEndAndAllAreToldAfterAFlush() {
        Theories.check(300, qt -> qt.forAll(lives()).checkAssert(ops -> replay(ops, 4)));
    }

    @Test
    void generationsOfTheRealSizeBehaveTheSame() {
        Theories.check(50, qt -> qt.forAll(lives()).checkAssert(ops -> replay(ops, ViewScopes.GENERATION_SIZE)));
    }

    @Test
    void endingAllKeepsOnlyTheGenerationsOfOpenPinnedBuffers() {
        QueuedRetirer retirer = new QueuedRetirer();
        List<ObjectId> told = new ArrayList<>();
        ViewScopes scopes = new ViewScopes(new ViewScopes.Sink() {
            @Override
            public void releasedHeld(ObjectId id) {
                told.add(id);
            }

            @Override
            public void ended(List<ObjectId> releases, List<ObjectId> aborts, List<Long> holds) {
                told.addAll(releases);
            }
        }, 4, retirer);
        ViewScopes.Generation first = scopes.enter();
        MemorySegment pinnedView = MEMORY.asSlice(0, 1).reinterpret(first.arena(), null);
        scopes.pinned(first);
        ViewScopes.Generation second = scopes.enter();
        assertThat(second).as("a pinned generation takes no new buffer").isNotSameAs(first);
        MemorySegment plainView = MEMORY.asSlice(1, 1).reinterpret(second.arena(), null);

        assertThat(scopes.endAll(true)).isZero();
        pinnedView.get(ValueLayout.JAVA_BYTE, 0);
        assertThatThrownBy(() -> plainView.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThat(scopes.endAll(false)).isZero();
        assertThatThrownBy(() -> pinnedView.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThat(told).as("ending all tells the store nothing: the connection is closing").isEmpty();
    }
}
