package dev.quiver.bench;

import dev.quiver.arrow.Shelf;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Section 1: one object read by another process. For each size the harness puts the object in the store and a
 * worker process reads it, every way being "the bytes in hand, summed" ({@link Sums}):
 * <ul>
 *   <li>private memory: sum of the same bytes in the worker's own touched memory (the limit: no transfer at all);</li>
 *   <li>Quiver get: get (one round trip to the store), sum through the read-only view, release; the worker got the
 *       object before, so its mapping's pages are already in its page table (a long-lived worker);</li>
 *   <li>Quiver get, fast path: the same by a client on the command rings with batched view ends (requests and
 *       replies in shared memory; the views of many buffers ended in one step, off the caller's thread);</li>
 *   <li>Quiver get, first touch: the same in a fresh connection (fresh mapping), so every 4 KiB page of the object
 *       takes a page fault on first touch (a new worker process);</li>
 *   <li>Unix socket: the bytes sent by the harness process over a Unix-domain socket into a reused, touched buffer,
 *       then summed (what pickling to workers costs, without the pickling);</li>
 *   <li>Arrow Flight: DoGet from the harness's {@link FlightBaseline} on loopback, the batches summed as they
 *       arrive;</li>
 *   <li>the store's Flight endpoint: the same table put on the shelf, DoGet from the store's
 *       {@link dev.quiver.flight.QuiverFlightServer} on loopback, summed the same way: what a remote reader pays
 *       against a plain flight-core server (same protocol; the endpoint sends from the arena without a copy). The
 *       two DoGets alternate, so that both meet the same conditions of the shared machine.</li>
 * </ul>
 */
final class GetSweep {
    /** Figures in nanoseconds per get, over the repetitions of one size. */
    record Row(long size, Summary local, Summary quiver, Summary quiverFast, Summary quiverFirstTouch, Summary socket,
               Summary flight, Summary storeFlight) {}

    /** The shelf key of the table that the store's Flight endpoint serves for {@code size} bytes. */
    static String shelfKey(long size) {
        return "bench-flight-" + size;
    }

    static final long CREATE_WAIT_MILLIS = 30_000;

    private GetSweep() {}

    static List<Row> run(Options o, QuiverClient client, Shelf shelf, MemorySegment source, FlightBaseline flight,
                         WorkerProcess worker) {
        warmUp(o, client, shelf, source, flight, worker);
        List<Row> rows = new ArrayList<>();
        for (long size : o.getSizes()) {
            int reps = o.repetitions(size, o.getBytesPerSize());
            o.progress().accept("get: " + Fmt.size(size) + ", " + reps + " repetitions");
            long expected = Sums.sum(source.asSlice(0, size));
            ObjectId id = put(client, source, size);
            Timings quiver = ask(o, worker, "get " + id + " " + size + " 2 " + reps).expect(expected, "Quiver", size);
            Timings fast = ask(o, worker, "getfast " + id + " " + size + " 2 " + reps)
                    .expect(expected, "Quiver (rings, batched view ends)", size);
            Timings cold = ask(o, worker, "cold " + id + " " + size + " " + Math.min(reps, o.coldRepetitions()))
                    .expect(expected, "Quiver (fresh mapping)", size);
            client.delete(id);
            Timings socket = ask(o, worker, "sock " + size + " 2 " + reps).expect(expected, "the socket", size);
            Timings local = ask(o, worker, "local " + size + " 2 " + reps).expect(expected, "private memory", size);
            // after the object's delete and three more steps: the worker's release of it is in by now
            flight.putOnShelf(shelf, shelfKey(size), size);
            Timings flights = ask(o, worker, "flights " + size + " " + shelfKey(size) + " 2 " + reps)
                    .expect(expected, "Arrow Flight and the store's Flight endpoint", size);
            Timings baseline = flights.alternate(0, 2);
            Timings endpoint = flights.alternate(1, 2);
            shelf.delete(shelfKey(size));
            rows.add(new Row(size, local.summary(), quiver.summary(), fast.summary(), cold.summary(),
                    socket.summary(), baseline.summary(), endpoint.summary()));
        }
        return rows;
    }

    /** Compiles the worker's read paths before anything is timed. */
    private static void warmUp(Options o, QuiverClient client, Shelf shelf, MemorySegment source,
                               FlightBaseline flight, WorkerProcess worker) {
        long size = 64 * 1024;
        o.progress().accept("get: warming up the worker (" + o.jitWarmup() + " iterations per path)");
        ObjectId id = put(client, source, size);
        ask(o, worker, "get " + id + " " + size + " " + o.jitWarmup() + " 1");
        ask(o, worker, "getfast " + id + " " + size + " " + o.jitWarmup() + " 1");
        client.delete(id);
        ask(o, worker, "sock " + size + " " + o.jitWarmup() + " 1");
        ask(o, worker, "local " + size + " " + o.jitWarmup() + " 1");
        flight.putOnShelf(shelf, shelfKey(size), size);
        ask(o, worker, "flights " + size + " " + shelfKey(size) + " " + o.jitWarmup() + " 1");
        shelf.delete(shelfKey(size));
    }

    /** Creates the object from the first {@code size} bytes of the source, seals it and releases the writer. */
    static ObjectId put(QuiverClient client, MemorySegment source, long size) {
        ObjectId id = ObjectId.random();
        // Waits for memory rather than failing: a worker's release of the previous object may still be on its way.
        try (WritableObject w = client.create(id, size, 0, CREATE_WAIT_MILLIS)) {
            MemorySegment.copy(source, 0, w.data(), 0, size);
            w.seal();
        }
        return id;
    }

    private static Timings ask(Options o, WorkerProcess worker, String command) {
        return Timings.parse(worker.ask(command, "OK", o.stepTimeout()));
    }
}
