package dev.quiver.client.testing;

import java.time.Duration;

/**
 * Waits until a thread is parked at a known place. A thread parked inside {@code Connection.await} has written its
 * request to the socket already (the frame is written before the wait starts); a round trip made afterwards on the
 * same client is answered after the store handled that request, because the store serves one connection in order.
 * That is how tests know, without sleeping, that a get or a create is pending in the store.
 */
public final class Blocking {
    private static final String CONNECTION = "dev.quiver.client.Connection";

    private Blocking() {}

    /** Waits until {@code t} is parked waiting for a reply from the store. */
    public static void awaitBlockedInStoreCall(Thread t, Duration timeout) {
        awaitParkedIn(t, CONNECTION, "await", timeout);
    }

    /** Waits until {@code t} is parked (waiting or timed-waiting) with {@code className.method} on its stack. */
    public static void awaitParkedIn(Thread t, String className, String method, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Thread.State state = t.getState();
            if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
                for (StackTraceElement f : t.getStackTrace()) {
                    if (f.getClassName().equals(className) && f.getMethodName().equals(method)) {
                        return;
                    }
                }
            }
            if (state == Thread.State.TERMINATED) {
                throw new AssertionError(t.getName() + " ended before it parked in " + className + "." + method);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(t.getName() + " did not park in " + className + "." + method + " within "
                        + timeout + "; it is " + state);
            }
            Thread.yield();
        }
    }
}
