package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quiver.client.testing.FutexSleepers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Futexes within one process: a sleeper is woken by a wake and by nothing else, a timeout says so, a value that has
 * already moved returns at once, and bad words are refused without touching memory. The doorbell protocol loses no
 * wake-up. (Across processes: {@link FutexCrossProcessTest}.)
 */
class FutexTest {
    /** Longer than any wake takes, shorter than the hang guard: a missing wake shows as a false return. */
    private static final long LONG_NANOS = Duration.ofSeconds(30).toNanos();
    private static final Duration GUARD = Duration.ofSeconds(60);
    private static final long PID = ProcessHandle.current().pid();
    /** A writer's published position, a long in shared memory. */
    private static final VarHandle POSITION = ValueLayout.JAVA_LONG.varHandle();

    Arena arena;
    MemorySegment words;
    ExecutorService threads;

    @BeforeEach
    void setUp() {
        assertThat(Futex.isSupported()).as("futexes on this Linux machine").isTrue();
        arena = Arena.ofShared();
        words = arena.allocate(256, 64);
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
        arena.close();
    }

    @Test
    void aSleeperOnTheWordIsWokenByAWakeFromAnotherThread() {
        assertTimeoutPreemptively(GUARD, () -> {
            Future<Boolean> sleeper = threads.submit(() -> Futex.await(words, 64, 0, LONG_NANOS));
            FutexSleepers.awaitAsleep(PID, words.address() + 64, GUARD);

            assertThat(Futex.wake(words, 64, 1)).as("sleepers woken").isEqualTo(1);
            assertThat(sleeper.get()).as("await returns true when woken").isTrue();
            assertThat(words.get(ValueLayout.JAVA_INT, 64)).as("the word itself never changed").isZero();
        });
    }

    @Test
    void wakeWakesAtMostCountSleepers() {
        assertTimeoutPreemptively(GUARD, () -> {
            Future<Boolean> first = threads.submit(() -> Futex.await(words, 0, 0, LONG_NANOS));
            Future<Boolean> second = threads.submit(() -> Futex.await(words, 0, 0, LONG_NANOS));
            FutexSleepers.awaitAsleep(PID, words.address(), 2, GUARD);

            assertThat(Futex.wake(words, 0, 1)).isEqualTo(1);
            assertThat(Futex.wake(words, 0, Integer.MAX_VALUE)).as("the other one").isEqualTo(1);
            assertThat(first.get()).isTrue();
            assertThat(second.get()).isTrue();
            assertThat(Futex.wake(words, 0, Integer.MAX_VALUE)).as("nobody left").isZero();
        });
    }

    @Test
    void aWakeOfAnotherWordWakesNobody() {
        assertTimeoutPreemptively(GUARD, () -> {
            Future<Boolean> sleeper = threads.submit(() -> Futex.await(words, 8, 0, LONG_NANOS));
            FutexSleepers.awaitAsleep(PID, words.address() + 8, GUARD);

            assertThat(Futex.wake(words, 12, Integer.MAX_VALUE)).as("the neighbouring word has no sleeper").isZero();
            assertThat(sleeper.isDone()).isFalse();
            assertThat(Futex.wake(words, 8, 1)).isEqualTo(1);
            assertThat(sleeper.get()).isTrue();
        });
    }

    @Test
    void aTimeoutReturnsFalse() {
        words.set(ValueLayout.JAVA_INT, 4, 7);
        // The shortest timeout there is: the kernel answers ETIMEDOUT without the test having to wait for anything.
        assertThat(Futex.await(words, 4, 7, 1)).as("nobody wakes it within 1 ns").isFalse();
        assertThat(words.get(ValueLayout.JAVA_INT, 4)).isEqualTo(7);
    }

    @Test
    void aValueThatDiffersReturnsAtOnce() {
        words.set(ValueLayout.JAVA_INT, 4, 5);
        // Sleeping would outlast the hang guard: only returning without sleeping passes.
        assertTimeoutPreemptively(GUARD, () ->
                assertThat(Futex.await(words, 4, 4, Duration.ofMinutes(10).toNanos())).isTrue());
        assertTimeoutPreemptively(GUARD, () ->
                assertThat(Futex.awaitSignal(words, 128, -1, Duration.ofMinutes(10).toNanos())).isTrue());
        assertThat(words.get(ValueLayout.JAVA_INT, 132)).as("sleepers, back to zero").isZero();
    }

    @Test
    void badWordsAreRefusedAndChangeNothing() {
        MemorySegment eight = words.asSlice(64, 8);
        eight.set(ValueLayout.JAVA_INT, 0, 1);
        eight.set(ValueLayout.JAVA_INT, 4, 2);
        for (long offset : new long[] {-4, 6, 8, Long.MAX_VALUE}) {
            assertThatThrownBy(() -> Futex.await(eight, offset, 1, LONG_NANOS))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("outside the segment of 8 bytes").hasMessageContaining("from 0 to 4");
            assertThatThrownBy(() -> Futex.wake(eight, offset, 1)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> Futex.await(eight, 2, 1, LONG_NANOS)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not 4-byte aligned");
        assertThatThrownBy(() -> Futex.await(words.asSlice(1), 0, 1, LONG_NANOS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not 4-byte aligned");
        assertThatThrownBy(() -> Futex.wake(eight, 1, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not 4-byte aligned");
        assertThatThrownBy(() -> Futex.await(MemorySegment.ofArray(new int[4]), 0, 0, LONG_NANOS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("native memory");
        assertThatThrownBy(() -> Futex.await(eight, 0, 1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout must be positive");
        assertThatThrownBy(() -> Futex.await(eight, 0, 1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Futex.wake(eight, 0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
        // A doorbell is two words: one that does not fit is refused before its sequence is bumped.
        assertThatThrownBy(() -> Futex.signal(eight, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("8 bytes");
        assertThatThrownBy(() -> Futex.signal(eight, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Futex.awaitSignal(eight, 4, 2, LONG_NANOS))
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(eight.get(ValueLayout.JAVA_INT, 0)).isEqualTo(1);
        assertThat(eight.get(ValueLayout.JAVA_INT, 4)).isEqualTo(2);
    }

    @Test
    void releasedMemoryIsRefused() {
        Arena gone = Arena.ofConfined();
        MemorySegment word = gone.allocate(4, 4);
        gone.close();
        assertThatThrownBy(() -> Futex.await(word, 0, 0, LONG_NANOS)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Futex.wake(word, 0, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void signalWakesADoorbellSleeperAndOnlyCallsTheKernelWhenSomeoneSleeps() {
        assertTimeoutPreemptively(GUARD, () -> {
            assertThat(Futex.signal(words, 0)).as("no sleepers: nobody to wake").isZero();
            assertThat(Futex.sequence(words, 0)).isEqualTo(1);

            CompletableFuture<Boolean> sleeper = CompletableFuture.supplyAsync(
                    () -> Futex.awaitSignal(words, 0, Futex.sequence(words, 0), LONG_NANOS), threads);
            FutexSleepers.awaitAsleep(PID, words.address(), GUARD);
            assertThat(words.get(ValueLayout.JAVA_INT, 4)).as("sleepers").isEqualTo(1);

            assertThat(Futex.signal(words, 0)).as("woken").isEqualTo(1);
            assertThat(sleeper.get()).isTrue();
            assertThat(Futex.sequence(words, 0)).isEqualTo(2);
            assertThat(words.get(ValueLayout.JAVA_INT, 4)).as("sleepers, back to zero").isZero();
        });
    }

    /**
     * The doorbell pattern of the class Javadoc, as fast as a writer can publish: a reader that never spins, sleeps
     * whenever it has caught up, and must see every position without ever timing out.
     */
    @Test
    void theDoorbellPatternLosesNoWakeUp() {
        int publishes = 20_000;
        long doorbell = 64;
        long position = 128;
        assertTimeoutPreemptively(GUARD, () -> {
            CompletableFuture<long[]> reader = CompletableFuture.supplyAsync(() -> {
                long mine = 0;
                long sleeps = 0;
                long timeouts = 0;
                while (mine < publishes) {
                    int seen = Futex.sequence(words, doorbell);
                    long published = (long) POSITION.getAcquire(words, position);
                    if (published > mine) {
                        mine = published;
                        continue;
                    }
                    sleeps++;
                    if (!Futex.awaitSignal(words, doorbell, seen, LONG_NANOS)) {
                        timeouts++;
                    }
                }
                return new long[] {mine, sleeps, timeouts};
            }, threads);
            for (long p = 1; p <= publishes; p++) {
                POSITION.setRelease(words, position, p);
                Futex.signal(words, doorbell);
            }
            long[] r = reader.get();
            assertThat(r[0]).isEqualTo(publishes);
            assertThat(r[2]).as("sleeps that ended in a timeout (a lost wake-up), of " + r[1]).isZero();
            assertThat(words.get(ValueLayout.JAVA_INT, doorbell + 4)).as("sleepers").isZero();
        });
    }
}
