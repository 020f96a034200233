package dev.quiver.client;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * Linux futexes on a 32-bit word in shared memory (a mapped arena), across processes: a thread sleeps in the kernel
 * while the word holds a value it expects, and a thread of any process that maps the same file wakes it.
 *
 * <p>The calls are {@code syscall(SYS_futex, ...)} through the foreign function interface with {@code FUTEX_WAIT}
 * and {@code FUTEX_WAKE}, deliberately without {@code FUTEX_PRIVATE_FLAG}: the kernel then keys the futex on the
 * file page, not on this process's address, so sleepers and wakers in different processes meet. Both calls are
 * allocation-free once a thread has made its first call (each thread keeps its own {@code struct timespec}).
 * A sleeping thread blocks its carrier: sleep on platform threads, not virtual ones.
 *
 * <h2>The doorbell: how a writer wakes its readers</h2>
 * {@link #await} and {@link #wake} are the raw primitive. A single writer that publishes a position and readers that
 * follow it use them through a <em>doorbell</em>: two ints, {@value #DOORBELL_BYTES} bytes at a 4-byte aligned
 * offset (best alone in a 64-byte cache line, away from the data):
 * <pre>
 *   offset + 0           offset + 4
 *  ┌────────────────────┬────────────────────┐
 *  │ sequence           │ sleepers           │
 *  │ +1 by the writer   │ +1 by a reader     │
 *  │ after each publish │ before it sleeps,  │
 *  │ (the futex word)   │ -1 when it wakes   │
 *  └────────────────────┴────────────────────┘
 * </pre>
 * <pre>{@code
 * // writer, after each publish (a release store of its position):
 * Futex.signal(doorbell, offset);           // sequence += 1; wake everyone only if sleepers != 0
 *
 * // reader:
 * while (true) {
 *     int seen = Futex.sequence(doorbell, offset);   // read BEFORE checking the condition
 *     if (conditionHolds()) break;                   // e.g. the writer's position moved past mine
 *     // (spin a little here, re-checking, before sleeping)
 *     Futex.awaitSignal(doorbell, offset, seen, timeoutNanos);  // sleepers += 1; sleep while sequence == seen; -= 1
 * }
 * }</pre>
 * Why no wake-up is lost: a reader that read {@code seen} before the writer's increment sleeps on a word that no
 * longer holds {@code seen}, and the kernel's compare-and-sleep is atomic, so it returns at once; a reader that read it
 * after the increment also sees the publish before it (the increment follows the release store), so it does not sleep.
 * The sleepers count only spares the writer a system call when nobody sleeps: the writer increments the sequence and
 * then reads sleepers, the reader increments sleepers and then the kernel reads the sequence, both as volatile
 * (sequentially consistent) accesses, so at least one of them sees the other's write. A reader that dies asleep leaves
 * sleepers non-zero: the writer then makes wake calls that wake nobody, which costs a system call and nothing else.
 * Every sleep is bounded by a timeout, and every return is followed by a re-check, so a spurious wake-up (or the
 * sequence wrapping all the way round to {@code seen}, after 2<sup>32</sup> publishes) only costs a loop.
 */
public final class Futex {
    /** The size of a doorbell: the sequence (the futex word) and the sleepers count, two 32-bit ints. */
    public static final int DOORBELL_BYTES = 8;

    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int ETIMEDOUT = 110;
    /** The int at (segment, offset): plain, acquire, volatile and atomic access to shared memory. */
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private Futex() {}

    /** True on Linux x86_64 and aarch64 when the futex system call works here (a probe wake at first use). */
    public static boolean isSupported() {
        return Native.UNSUPPORTED == null;
    }

    /**
     * Sleeps while the int at {@code word[offset]} equals {@code expected}, up to {@code timeoutNanos}.
     * {@link Thread#interrupt()} does not end the sleep (it sends no signal): keep timeouts bounded, and check for
     * interrupts between sleeps.
     *
     * @return false if the timeout passed; true otherwise: woken by {@link #wake}, the value already differed, the
     *         sleep was interrupted by a signal, or a spurious wake-up. Callers re-check their condition either way.
     * @throws IllegalArgumentException if the word is not inside {@code word}, not 4-byte aligned, not in native
     *                                  memory, or {@code timeoutNanos <= 0}
     * @throws IllegalStateException    if {@code word}'s memory has been released
     * @throws UnsupportedOperationException if {@link #isSupported()} is false
     */
    public static boolean await(MemorySegment word, long offset, int expected, long timeoutNanos) {
        checkWord(word, offset, Integer.BYTES);
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("futex timeout must be positive, got " + timeoutNanos
                    + " ns; to test the value without sleeping, read it");
        }
        // Reading first proves the memory is alive at the call, and spares a system call when the value has moved.
        if ((int) INT.getVolatile(word, offset) != expected) {
            return true;
        }
        Frame f = Native.frame();
        f.timespec().set(ValueLayout.JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
        f.timespec().set(ValueLayout.JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
        long result;
        try {
            // The word goes as a raw address, not as a segment: a segment would keep its arena acquired for the
            // whole sleep, and a client could not close its arena while a reader sleeps. The kernel reads the word
            // once, at entry (checked by copy_from_user: unmapped memory is EFAULT, never a crash).
            result = (long) Native.WAIT.invokeExact(f.state(), Native.SYS_FUTEX, word.address() + offset,
                    (long) FUTEX_WAIT, (long) expected, f.timespec());
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (result == 0) {
            return true;
        }
        int errno = (int) Native.ERRNO.get(f.state(), 0L);
        return switch (errno) {
            case ETIMEDOUT -> false;
            case EAGAIN, EINTR -> true;
            default -> throw new IllegalStateException("futex(FUTEX_WAIT) at offset " + offset + " failed: errno "
                    + errno);
        };
    }

    /**
     * Wakes up to {@code count} threads sleeping in {@link #await} on the int at {@code word[offset]}, in this or any
     * other process that maps the same memory.
     *
     * @param count at least 1; {@link Integer#MAX_VALUE} wakes every sleeper
     * @return how many sleepers were woken (0 if none was asleep)
     * @throws IllegalArgumentException if the word is not inside {@code word}, not 4-byte aligned, not in native
     *                                  memory, or {@code count < 1}
     * @throws IllegalStateException    if {@code word}'s memory has been released
     * @throws UnsupportedOperationException if {@link #isSupported()} is false
     */
    public static int wake(MemorySegment word, long offset, int count) {
        checkWord(word, offset, Integer.BYTES);
        if (count < 1) {
            throw new IllegalArgumentException("futex wake count must be at least 1, got " + count
                    + "; Integer.MAX_VALUE wakes every sleeper");
        }
        if (!word.scope().isAlive()) {
            throw new IllegalStateException("futex word at offset " + offset + ": its memory has been released");
        }
        Frame f = Native.frame();
        long result;
        try {
            result = (long) Native.WAKE.invokeExact(f.state(), Native.SYS_FUTEX, word.address() + offset,
                    (long) FUTEX_WAKE, (long) count);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (result < 0) {
            throw new IllegalStateException("futex(FUTEX_WAKE) at offset " + offset + " failed: errno "
                    + (int) Native.ERRNO.get(f.state(), 0L));
        }
        return (int) result;
    }

    /**
     * A doorbell's sequence, read with acquire semantics. A reader reads it <em>before</em> it checks its condition
     * and passes it to {@link #awaitSignal}.
     *
     * @throws IllegalArgumentException if the doorbell is not inside {@code doorbell} or not 4-byte aligned
     */
    public static int sequence(MemorySegment doorbell, long offset) {
        checkWord(doorbell, offset, DOORBELL_BYTES);
        return (int) INT.getAcquire(doorbell, offset);
    }

    /**
     * The writer's side of a doorbell, after it has published: increments the sequence, then wakes every sleeper if
     * the sleepers count is not zero (no system call otherwise).
     *
     * @return how many sleepers were woken
     * @throws IllegalArgumentException if the doorbell is not inside {@code doorbell}, not 4-byte aligned or not in
     *                                  native memory
     */
    public static int signal(MemorySegment doorbell, long offset) {
        checkWord(doorbell, offset, DOORBELL_BYTES);
        INT.getAndAdd(doorbell, offset, 1);
        if ((int) INT.getVolatile(doorbell, offset + Integer.BYTES) == 0) {
            return 0;
        }
        return wake(doorbell, offset, Integer.MAX_VALUE);
    }

    /**
     * The reader's side of a doorbell: counts itself among the sleepers, sleeps while the sequence is still
     * {@code seen} (up to {@code timeoutNanos}), and uncounts itself.
     *
     * @param seen the {@link #sequence} read before the reader last found its condition false
     * @return as {@link #await}: false on timeout, true otherwise (re-check the condition)
     * @throws IllegalArgumentException as {@link #await}
     */
    public static boolean awaitSignal(MemorySegment doorbell, long offset, int seen, long timeoutNanos) {
        checkWord(doorbell, offset, DOORBELL_BYTES);
        long sleepers = offset + Integer.BYTES;
        INT.getAndAdd(doorbell, sleepers, 1);
        try {
            return await(doorbell, offset, seen, timeoutNanos);
        } finally {
            INT.getAndAdd(doorbell, sleepers, -1);
        }
    }

    private static void checkWord(MemorySegment segment, long offset, long bytes) {
        if (offset < 0 || offset > segment.byteSize() - bytes) {
            throw new IllegalArgumentException("futex word at offset " + offset + " (" + bytes + " bytes) is outside"
                    + " the segment of " + segment.byteSize() + " bytes; use an offset from 0 to "
                    + (segment.byteSize() - bytes));
        }
        if (!segment.isNative()) {
            throw new IllegalArgumentException("futex word must be in native memory (a mapped file or an arena"
                    + " allocation), not in a heap array");
        }
        if (((segment.address() + offset) & (Integer.BYTES - 1)) != 0) {
            throw new IllegalArgumentException("futex word at offset " + offset + " is not 4-byte aligned (address 0x"
                    + Long.toHexString(segment.address() + offset) + "); the kernel refuses unaligned futex words");
        }
        if (Native.UNSUPPORTED != null) {
            throw new UnsupportedOperationException("futexes are not available here: " + Native.UNSUPPORTED
                    + "; Futex works on Linux x86_64 and aarch64 (check Futex.isSupported() first)");
        }
    }

    /** One thread's reusable call memory: the relative timeout and the captured errno. */
    private record Frame(MemorySegment timespec, MemorySegment state) {}

    /** The system call, bound at first use; {@link #UNSUPPORTED} says why not where it cannot be. */
    private static final class Native {
        static final StructLayout STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        static final long SYS_FUTEX;
        static final MethodHandle WAIT;
        static final MethodHandle WAKE;
        static final String UNSUPPORTED;
        private static final ThreadLocal<Frame> FRAMES = ThreadLocal.withInitial(() -> {
            Arena arena = Arena.ofAuto(); // freed with the thread's frame
            return new Frame(arena.allocate(16, 8), arena.allocate(STATE));
        });

        static {
            String arch = System.getProperty("os.arch");
            long number = switch (arch) {
                case "amd64", "x86_64" -> 202;
                case "aarch64" -> 98;
                default -> -1;
            };
            MethodHandle wait = null;
            MethodHandle wake = null;
            String why = null;
            if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux")) {
                why = "not Linux (" + System.getProperty("os.name") + ")";
            } else if (number < 0) {
                why = "no futex system call number known for " + arch;
            } else {
                try {
                    Linker linker = Linker.nativeLinker();
                    MemorySegment syscall = linker.defaultLookup().find("syscall").orElseThrow(
                            () -> new IllegalStateException("the C library has no syscall()"));
                    Linker.Option errno = Linker.Option.captureCallState("errno");
                    // long syscall(long number, ...): uaddr, op and val are passed as longs (the kernel truncates).
                    wait = linker.downcallHandle(syscall, FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), errno, Linker.Option.firstVariadicArg(1));
                    wake = linker.downcallHandle(syscall, FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG), errno, Linker.Option.firstVariadicArg(1));
                    try (Arena probe = Arena.ofConfined()) {
                        MemorySegment word = probe.allocate(ValueLayout.JAVA_INT);
                        MemorySegment state = probe.allocate(STATE);
                        long woken = (long) wake.invokeExact(state, number, word.address(), (long) FUTEX_WAKE, 1L);
                        if (woken != 0) {
                            why = "the futex system call failed (errno " + (int) ERRNO.get(state, 0L) + ")";
                        }
                    }
                } catch (Throwable t) {
                    why = "the futex system call cannot be bound: " + t;
                }
            }
            SYS_FUTEX = number;
            WAIT = wait;
            WAKE = wake;
            UNSUPPORTED = why;
        }

        static Frame frame() {
            return FRAMES.get();
        }

        static RuntimeException rethrow(Throwable t) {
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
    }
}
