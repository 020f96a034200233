package dev.quiver.arrow;

import static dev.quiver.arrow.StreamChildSupport.out;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.protocol.ObjectId;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A stream producer in a child JVM: {@code StreamProducerChild SOCKET STREAM RETENTION} (RETENTION: a number of
 * batches, or {@code all}), driven by lines on stdin, answering on stdout. Batch {@code seq} holds
 * {@link StreamChildSupport#batch}. Commands:
 *
 * <pre>
 * open [NAME]          StreamWriter.open                          → opened next=N | conflict MESSAGE
 * append COUNT [NAME]  COUNT batches, timed by this process       → appended from=F to=T nanos=N checksum=C
 *                      (checksum: of every batch this process appended to that stream, in order)
 * end [NAME]           StreamWriter.end                           → ended batches=N
 * close [NAME]         StreamWriter.close (no end)                → closed
 *                      (NAME: another stream than STREAM, which is the default)
 * hold NAME            get ObjectId.forName(NAME) and keep it     → holding NAME
 * tear                 write part of the next batch's frame into the log, do NOT publish it
 *                      (a producer that dies in the middle of an append) → torn seq=S
 * exit                 close the client and end                   → bye
 * </pre>
 * Every failure answers {@code error CLASS MESSAGE}.
 */
public final class StreamProducerChild {
    private static final List<ObjectBuffer> HELD = new ArrayList<>();

    private StreamProducerChild() {}

    public static void main(String[] args) throws Exception {
        String stream = args[1];
        Retention retention = args[2].equals("all") ? Retention.ALL : Retention.batches(Long.parseLong(args[2]));
        try (QuiverClient client = QuiverClient.connect(Path.of(args[0]), Duration.ofSeconds(10));
             BufferAllocator allocator = new RootAllocator()) {
            ArrowStore arrow = new ArrowStore(client, allocator);
            Map<String, StreamWriter> writers = new HashMap<>();
            Map<String, Long> checksums = new HashMap<>();
            out("ready pid=" + ProcessHandle.current().pid());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.trim().split("\\s+");
                int nameAt = switch (w[0]) {
                    case "open", "end", "close" -> 1;
                    case "append" -> 2;
                    default -> Integer.MAX_VALUE; // the default stream
                };
                String name = w.length > nameAt ? w[nameAt] : stream;
                StreamWriter writer = writers.get(name);
                try {
                    switch (w[0]) {
                        case "open" -> {
                            try {
                                writer = StreamWriter.open(arrow, name, retention);
                                writers.put(name, writer);
                                out("opened next=" + writer.nextSeq());
                            } catch (StreamWriterConflictException e) {
                                out("conflict " + e.getMessage());
                            }
                        }
                        case "append" -> {
                            long count = Long.parseLong(w[1]);
                            long checksum = checksums.getOrDefault(name, StreamChildSupport.EMPTY);
                            long from = writer.nextSeq();
                            long start = System.nanoTime();
                            for (long i = 0; i < count; i++) {
                                long seq = writer.nextSeq();
                                try (VectorSchemaRoot root = StreamChildSupport.batch(seq, allocator)) {
                                    if (writer.append(root) != seq) {
                                        throw new IllegalStateException("append did not return " + seq);
                                    }
                                }
                            }
                            long nanos = System.nanoTime() - start;
                            for (long seq = from; seq < writer.nextSeq(); seq++) {
                                checksum = StreamChildSupport.addExpected(checksum, seq);
                            }
                            checksums.put(name, checksum);
                            out("appended from=" + from + " to=" + (writer.nextSeq() - 1) + " nanos=" + nanos
                                    + " checksum=" + checksum);
                        }
                        case "end" -> out("ended batches=" + writer.end());
                        case "close" -> {
                            writer.close();
                            out("closed");
                        }
                        case "hold" -> {
                            HELD.add(client.get(ObjectId.forName(w[1]), QuiverClient.NO_WAIT).orElseThrow());
                            out("holding " + w[1]);
                        }
                        case "tear" -> {
                            // What a crash mid-append leaves: a frame's header and part of its body written after
                            // the published position, never published.
                            MemorySegment data = writer.currentSegmentForTests();
                            long at = writer.nextFrameOffsetForTests();
                            StreamLog.writeFrameHeader(data, at, StreamLog.BATCH, writer.nextSeq(), 4096);
                            data.asSlice(at + StreamLog.FRAME_HEADER, 2048).fill((byte) 0x5A);
                            out("torn seq=" + writer.nextSeq());
                        }
                        case "exit" -> {
                            writers.values().forEach(StreamWriter::close);
                            HELD.forEach(ObjectBuffer::close);
                            out("bye");
                            return;
                        }
                        default -> out("error IllegalArgumentException unknown command " + w[0]);
                    }
                } catch (RuntimeException e) {
                    out("error " + e.getClass().getSimpleName() + " " + e.getMessage());
                }
            }
        }
    }
}
