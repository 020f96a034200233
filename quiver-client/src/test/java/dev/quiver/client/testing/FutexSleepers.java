package dev.quiver.client.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * Tells when a thread of a process is asleep in {@code futex(FUTEX_WAIT)} on a given address, from
 * {@code /proc/PID/task/TID/syscall} (the system call a blocked thread is in, and its arguments). Tests wait for that
 * before they wake it: a wake sent earlier would find nobody, and a waiter that had not yet slept would return for
 * another reason than the wake.
 */
public final class FutexSleepers {
    private static final long SYS_FUTEX = System.getProperty("os.arch").equals("aarch64") ? 98 : 202;
    private static final long FUTEX_WAIT = 0;

    private FutexSleepers() {}

    /** Waits until a thread of process {@code pid} sleeps in FUTEX_WAIT on {@code address}; fails after {@code timeout}. */
    public static void awaitAsleep(long pid, long address, Duration timeout) {
        awaitAsleep(pid, address, 1, timeout);
    }

    /** Waits until {@code threads} threads of process {@code pid} sleep in FUTEX_WAIT on {@code address}. */
    public static void awaitAsleep(long pid, long address, int threads, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (asleep(pid, address) < threads) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("fewer than " + threads + " threads of process " + pid + " went to sleep in"
                        + " futex(FUTEX_WAIT) on 0x" + Long.toHexString(address) + " within " + timeout);
            }
            Thread.yield();
        }
    }

    /** How many threads of process {@code pid} are blocked in FUTEX_WAIT on {@code address} now. */
    public static long asleep(long pid, long address) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.filter(t -> inFutexWait(t.resolve("syscall"), address)).count();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new IllegalStateException("cannot read the threads of process " + pid, e);
        }
    }

    private static boolean inFutexWait(Path syscall, long address) {
        String[] f;
        try {
            f = Files.readString(syscall).trim().split(" ");
        } catch (IOException e) {
            return false; // the thread ended
        }
        // "NR arg1 arg2 ... sp pc" while blocked in a system call; "running" or "-1 sp pc" otherwise
        return f.length >= 4 && f[0].equals(String.valueOf(SYS_FUTEX)) && Long.parseUnsignedLong(f[1].substring(2), 16)
                == address && Long.parseUnsignedLong(f[2].substring(2), 16) == FUTEX_WAIT;
    }
}
