package dev.quiver.client;

import dev.quiver.protocol.ObjectId;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The scopes of the views a client hands out, shared by generations of buffers.
 *
 * <p>A view must become unusable before the store may reuse its memory, and the only way to end a
 * {@link java.lang.foreign.MemorySegment} that any thread may read is to close its shared {@link Arena}: a JVM-wide
 * handshake of 20–80 µs. One arena per buffer made that the largest cost of a small get. Here the buffers obtained
 * together may share one arena (a generation of at most {@link #GENERATION_SIZE} buffers). Closing such a buffer
 * gives its reference back at once, keeping a hold on its memory ({@code RELEASE_HELD}: the store sees the release,
 * but neither evicts nor reuses the block); once every buffer of the generation is closed, one arena close ends all
 * their views, off the caller's thread, and one {@code END_HOLDS} gives their memory back. The store thus never
 * reuses memory a view can still read, at one handshake per generation, and reference counts stay exact.
 *
 * <p>What a user sees: a closed buffer's accessors throw at once; a view taken from it before stays readable (and
 * shows the same bytes: the memory is still held) until its generation ends, about a millisecond later, or at once
 * on {@link #flush()}. A buffer kept open keeps the generation it joined, and the memory of the other buffers closed
 * in it, until it is closed.
 *
 * <p>Thread-safe. Generation bookkeeping is guarded by this object's monitor; ending generations (arena close, then
 * the message) by {@link #retireLock}, so that a flush also waits for an ending in progress on the retirer thread.
 */
final class ViewScopes {
    /** Buffers per generation: one arena close and one release message per this many buffers, at most. */
    static final int GENERATION_SIZE = 256;
    /** How long closed buffers wait for their generation to end when no other call ends it first. */
    static final long ROTATE_AFTER_MILLIS = 1;

    private static final ScheduledExecutorService RETIRER_THREAD = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "quiver-view-retirer");
        t.setDaemon(true);
        return t;
    });

    /** Runs the endings off the caller's thread: one daemon thread for every client of the process. */
    interface Retirer {
        void now(Runnable task);

        void later(Runnable task, long millis);

        Retirer SHARED = new Retirer() {
            @Override
            public void now(Runnable task) {
                RETIRER_THREAD.execute(task);
            }

            @Override
            public void later(Runnable task, long millis) {
                RETIRER_THREAD.schedule(task, millis, TimeUnit.MILLISECONDS);
            }
        };
    }

    /** What the store is told: nothing once the connection is gone. */
    interface Sink {
        /** A buffer of a shared generation closed: the reference goes now, the memory stays held. */
        void releasedHeld(ObjectId id);

        /** A generation's views ended: its references and aborts go, and the holds on its memory end. */
        void ended(List<ObjectId> releases, List<ObjectId> aborts, List<Long> holds);
    }

    /** One arena shared by the buffers obtained together, and what to tell the store once they have all closed. */
    static final class Generation {
        /** A generation of one buffer whose owner ends its views itself ({@link #enterAlone()}). */
        final boolean alone;
        /**
         * Scopes the views: made at once for a shared generation; for a generation of one, when its first view is
         * asked for, so that an owner that hands out no view (a writer that only copies in) never closes one.
         */
        private Arena arena;
        private boolean viewsEnded;
        private int handedOut;
        private int open;
        private int pinned;
        /** Buffers closed and waiting for the arena to close. */
        private int closed;
        private final List<ObjectId> releases = new ArrayList<>();
        private final List<ObjectId> aborts = new ArrayList<>();
        private final List<Long> holds = new ArrayList<>();
        /** Ended (retired or ended with the client): nothing more is recorded or told for it. */
        private boolean gone;

        Generation(boolean alone) {
            this.alone = alone;
            if (!alone) {
                arena = Arena.ofShared();
            }
        }

        /** The arena that scopes this generation's views; once they have ended, a closed one (its views throw). */
        synchronized Arena arena() {
            if (arena == null) {
                arena = Arena.ofShared();
                if (viewsEnded) {
                    arena.close();
                }
            }
            return arena;
        }

        /** True if an arena was made for the views (for tests: a writer that hands out no view makes none). */
        synchronized boolean hasArena() {
            return arena != null;
        }

        /** True once the views have ended (or, for a generation of one that made none, were declared ended). */
        synchronized boolean viewsEnded() {
            return viewsEnded;
        }

        /** Closes the arena, if one was made; false if an I/O call in another thread holds a view (nothing changed). */
        private synchronized boolean end() {
            if (!viewsEnded && arena != null) {
                try {
                    arena.close();
                } catch (IllegalStateException e) {
                    if (arena.scope().isAlive()) {
                        return false;
                    }
                }
            }
            viewsEnded = true;
            return true;
        }

        /**
         * Ends the views of a generation of one ({@link #enterAlone()}) now; a no-op if they have ended.
         *
         * @throws IllegalStateException if an I/O call in another thread holds a view: nothing changed
         */
        void endViews(ObjectId id) {
            if (!ViewScopes.close(this)) {
                throw new IllegalStateException("a view of object " + id + " is in use by an I/O call in another "
                        + "thread; close it again once that call has returned");
            }
        }

        private int actions() {
            return releases.size() + aborts.size() + holds.size();
        }
    }

    /** What closing a buffer tells the store once its generation ends. */
    enum End { RELEASE, ABORT, NOTHING }

    private final Sink sink;
    private final Retirer retirer;
    private final int generationSize;
    private final ReentrantLock retireLock = new ReentrantLock();
    /** Actions recorded and not yet sent: lets {@link #flush()} return at once when there are none. */
    private final AtomicInteger pending = new AtomicInteger();
    private Generation current;
    /** Generations no buffer joins any more, waiting for their last open buffer. */
    private final List<Generation> rotated = new ArrayList<>();
    private boolean timerArmed;

    ViewScopes(Sink sink) {
        this(sink, GENERATION_SIZE, Retirer.SHARED);
    }

    ViewScopes(Sink sink, int generationSize, Retirer retirer) {
        this.sink = sink;
        this.retirer = retirer;
        this.generationSize = generationSize;
    }

    /** The generation a new buffer joins; its views are scoped by {@link Generation#arena}. */
    synchronized Generation enter() {
        if (current == null || current.handedOut >= generationSize || current.pinned > 0
                || (current.open > 0 && current.closed > 0)) {
            rotate(); // the last: a closed buffer waits for the open ones of its generation; let it wait for no more
        }
        current.handedOut++;
        current.open++;
        return current;
    }

    /**
     * A generation of one buffer whose views must end at a moment of its owner's choosing, whatever other buffers are
     * open: a writer's (at seal or abort), or a reader's when views end as each buffer closes
     * ({@link ClientOptions#batchedViewEnds()} false). The owner calls {@link Generation#endViews} before
     * {@link #left}, which then tells the store at once, on the caller's thread. Its arena is made only when a view is
     * first asked for: a writer that copies in through {@link WritableObject#write} and hands out no view ends with
     * no arena to close, so no handshake.
     */
    synchronized Generation enterAlone() {
        Generation g = new Generation(true);
        g.handedOut = 1;
        g.open = 1;
        rotated.add(g);
        return g;
    }

    /** A buffer of {@code g} is pinned: its generation must outlive the client's close (see QuiverClient#close). */
    synchronized void pinned(Generation g) {
        g.pinned++;
    }

    /**
     * A buffer of {@code g}, at {@code offset} in the arena, was closed; {@code end} says what to tell the store. A
     * release from a shared generation goes at once, as a held release; the rest once the views have ended. Returns
     * at once; a generation whose views have ended already (a writer's, or an unbatched reader's) tells the store now.
     */
    void left(Generation g, End end, ObjectId id, long offset, boolean wasPinned) {
        boolean heldRelease = end == End.RELEASE && !g.alone;
        if (heldRelease) {
            sink.releasedHeld(id); // before the buffer stops counting as open: its END_HOLDS cannot overtake it
        }
        boolean due;
        boolean ended;
        synchronized (this) {
            g.open--;
            if (wasPinned) {
                g.pinned--;
            }
            if (g.gone) {
                return; // ended with the client: the store hears nothing more
            }
            switch (end) {
                case RELEASE -> {
                    if (heldRelease) {
                        g.holds.add(offset);
                    } else {
                        g.releases.add(id);
                    }
                }
                case ABORT -> g.aborts.add(id);
                case NOTHING -> { }
            }
            g.closed++;
            pending.incrementAndGet();
            due = g != current && g.open == 0;
            ended = due && g.viewsEnded(); // a writer's, ended at seal or abort: nothing to wait for
            if (ended) {
                rotated.remove(g);
                g.gone = true;
            } else if (!due) {
                armTimer();
            }
        }
        if (ended) {
            tell(g);
        } else if (due) {
            retirer.now(this::retireDue);
        }
    }

    /**
     * Ends now the views of every closed buffer whose generation has no open buffer left, and tells the store;
     * waits for an ending in progress. A no-op when nothing is pending.
     */
    void flush() {
        if (pending.get() == 0) {
            return;
        }
        synchronized (this) {
            if (current != null && current.closed > 0) {
                rotate();
            }
        }
        retireDue();
    }

    /** True if closed buffers wait for their generation to end. */
    boolean hasPending() {
        return pending.get() > 0;
    }

    /**
     * Ends every generation now, without telling the store (the connection is closing): all of them, or all but
     * those with an open pinned buffer.
     *
     * @return how many could not be ended because an I/O call in another thread holds one of their views
     */
    int endAll(boolean keepPinned) {
        retireLock.lock();
        try {
            List<Generation> all;
            synchronized (this) {
                if (current != null) {
                    rotated.add(current);
                    current = null;
                }
                all = new ArrayList<>(rotated);
                rotated.clear();
            }
            int held = 0;
            for (Generation g : all) {
                boolean keep;
                synchronized (this) {
                    keep = keepPinned && g.pinned > 0;
                    if (keep) {
                        rotated.add(g);
                    } else {
                        g.gone = true;
                        pending.addAndGet(-g.closed);
                    }
                }
                if (!keep && !close(g)) {
                    held++;
                }
            }
            return held;
        } finally {
            retireLock.unlock();
        }
    }

    private void rotate() {
        if (current != null) {
            rotated.add(current);
            if (current.open == 0 && current.closed > 0) {
                retirer.now(this::retireDue);
            }
        }
        current = new Generation(false);
    }

    private void armTimer() {
        if (!timerArmed) {
            timerArmed = true;
            retirer.later(this::onTimer, ROTATE_AFTER_MILLIS);
        }
    }

    private void onTimer() {
        synchronized (this) {
            timerArmed = false;
            if (current != null && current.closed > 0) {
                rotate();
            }
        }
        retireDue();
    }

    /** Ends the generations whose buffers are all closed: arena first, then the message to the store. */
    private void retireDue() {
        retireLock.lock();
        try {
            List<Generation> due = new ArrayList<>();
            synchronized (this) {
                rotated.removeIf(g -> g.open == 0 && due.add(g));
            }
            for (Generation g : due) {
                if (!close(g)) {
                    synchronized (this) {
                        rotated.add(g); // an I/O call in another thread reads one of its views: try again later
                        armTimer();
                    }
                    continue;
                }
                synchronized (this) {
                    g.gone = true;
                }
                tell(g);
            }
        } finally {
            retireLock.unlock();
        }
    }

    /**
     * Tells the store what an ended generation's buffers did, then stops counting them as pending: a {@link #flush()}
     * that finds nothing pending returns at once, so the count must not drop before the message has gone.
     */
    private void tell(Generation g) {
        if (g.actions() > 0) {
            sink.ended(g.releases, g.aborts, g.holds);
        }
        pending.addAndGet(-g.closed);
    }

    /** Ends the generation's views; false if an I/O call in another thread holds one of them. */
    static boolean close(Generation g) {
        return g.end();
    }
}
