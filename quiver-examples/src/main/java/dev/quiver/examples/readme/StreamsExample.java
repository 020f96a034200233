package dev.quiver.examples.readme;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.StreamEvent;
import dev.quiver.arrow.StreamReader;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.client.DefaultSocket;
import dev.quiver.client.QuiverClient;
import java.time.Duration;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Appends three batches to stream "ticks" and ends it, then reads the stream from its earliest batch. */
public class StreamsExample {
    public static void main(String[] args) {
        try (QuiverClient client = QuiverClient.connect(DefaultSocket.path());
             BufferAllocator allocator = new RootAllocator();
             BigIntVector tick = new BigIntVector("tick", allocator);
             VectorSchemaRoot batch = VectorSchemaRoot.of(tick)) {
            ArrowStore arrow = new ArrowStore(client, allocator);

            // The producer: one writer per stream (a second is refused); batches get sequence numbers 0, 1, 2, ...
            try (StreamWriter w = StreamWriter.open(arrow, "ticks", Retention.batches(1000))) {
                for (long price = 100; price < 103; price++) {
                    tick.setSafe(0, price);
                    batch.setRowCount(1);
                    w.append(batch);        // into the stream's log in shared memory: never seen half-written
                }
                w.end();                    // an explicit end of stream
            }

            // Any number of independent readers, in any process: from the earliest batch kept, the latest, or a given
            // one.
            try (StreamReader r = StreamReader.open(arrow, "ticks", StreamReader.Start.EARLIEST)) {
                while (true) {
                    switch (r.next(Duration.ofSeconds(5))) {   // blocks until the next batch is appended (woken at once)
                        case StreamEvent.Batch b -> {
                            try (b) {                           // b.table(): zero-copy vectors over store memory
                                BigIntVector read = (BigIntVector) b.table().batches().getFirst().getVector("tick");
                                System.out.println("batch " + b.seq() + ": tick " + read.get(0));
                            }
                        }
                        case StreamEvent.Lost l -> System.out.println("lost " + l.fromSeq() + ".." + (l.toSeq() - 1));
                        case StreamEvent.End e -> {
                            System.out.println("the writer ended the stream after " + e.batches() + " batches");
                            return;
                        }
                        case StreamEvent.Timeout t -> System.out.println("nothing new yet: not the end");
                    }
                }
            }
        }
    }
}
