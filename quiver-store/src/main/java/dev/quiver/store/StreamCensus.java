package dev.quiver.store;

import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.StreamFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The streams of the store, for a {@link StoreSnapshot}: gathered during the snapshot's pass over the objects, from
 * segments and readers' cursors recognised by their metadata ({@link StreamLayout}), then read word by word from the
 * arena. A few words per segment and per reader, and at most {@link #MAX_STREAMS} streams and {@link #MAX_READERS}
 * readers itemised, so a snapshot stays cheap for the engine thread however many streams there are.
 */
final class StreamCensus {
    static final int MAX_STREAMS = 256;
    static final int MAX_READERS = 1024;

    private static final class Found {
        /** Segments by number, unsigned order is numeric order for the numbers a log uses. */
        final TreeMap<Long, StoredObject> segments = new TreeMap<>();
        final List<StoredObject> cursors = new ArrayList<>();
    }

    private final MemorySegment arena;
    private final TreeMap<String, Found> streams = new TreeMap<>();

    /** @param arena a read-only view of the arena; null finds nothing */
    StreamCensus(MemorySegment arena) {
        this.arena = arena;
    }

    /** Looks at one object of the snapshot's pass. */
    void add(StoredObject o) {
        if (arena == null || !o.isGettable()) {
            return; // not published: nothing in it is meant to be read yet
        }
        StreamLayout.Label label = label(o);
        if (label == null) {
            return;
        }
        if (label.cursor() && o.isSealed()) {
            return; // sealed by the store at its reader's disconnect, or by the reader as it closed: a reader gone
        }
        Found f = streams.get(label.stream());
        if (f == null) {
            if (streams.size() >= MAX_STREAMS) {
                return;
            }
            f = new Found();
            streams.put(label.stream(), f);
        }
        if (label.cursor()) {
            f.cursors.add(o);
        } else {
            f.segments.put(ByteBuffer.wrap(o.id.toBytes()).getLong(ObjectId.SIZE - 8), o);
        }
    }

    /** A gettable object's stream label, read from its metadata once it is sealed (or found while published). */
    private StreamLayout.Label label(StoredObject o) {
        if (o.streamLabelRead) {
            return o.streamLabel;
        }
        StreamLayout.Label l = null;
        if (o.metadataSize > 0 && o.metadataSize <= StreamLayout.MAX_METADATA) {
            byte[] bytes = arena.asSlice(o.offset + o.dataSize, o.metadataSize).toArray(ValueLayout.JAVA_BYTE);
            l = StreamLayout.Label.parse(new String(bytes, StandardCharsets.ISO_8859_1));
        }
        // an unsealed object's metadata could still change: a miss is cached only once it is sealed
        if (l != null || o.isSealed()) {
            o.streamLabel = l;
            o.streamLabelRead = true;
        }
        return l;
    }

    /** The streams found, by name; {@code objects} finds a writer's lock by id. */
    List<StoreSnapshot.StreamStatus> streams(Function<ObjectId, StoredObject> objects) {
        List<StoreSnapshot.StreamStatus> out = new ArrayList<>(streams.size());
        int readersLeft = MAX_READERS;
        for (Map.Entry<String, Found> e : streams.entrySet()) {
            Found f = e.getValue();
            TreeMap<Long, Long> published = new TreeMap<>();
            long logBytes = 0;
            long nextSeq = -1;
            StoredObject newest = null;
            for (Map.Entry<Long, StoredObject> s : f.segments.entrySet()) {
                MemorySegment data = data(s.getValue());
                if (!StreamLayout.has(data, StreamLayout.SEGMENT_MAGIC, StreamFormat.FRAMES)) {
                    continue; // not a log segment of this format
                }
                long p = Math.clamp(StreamLayout.acquire(data, StreamFormat.PUBLISHED), 0,
                        data.byteSize() - StreamFormat.FRAMES);
                published.put(s.getKey(), p);
                logBytes += p;
                newest = s.getValue();
                nextSeq = (StreamLayout.word(data, StreamFormat.FLAGS) & StreamFormat.NEXT_SEQ_KEPT) != 0
                        ? StreamLayout.word(data, StreamFormat.NEXT_SEQ) : -1;
            }
            List<StoreSnapshot.StreamReader> readers = new ArrayList<>();
            for (StoredObject c : f.cursors) {
                MemorySegment data = data(c);
                if (readersLeft == 0 || !StreamLayout.has(data, StreamLayout.CURSOR_MAGIC, StreamFormat.CURSOR_SIZE)) {
                    continue;
                }
                readersLeft--;
                long next = StreamLayout.acquire(data, StreamFormat.CURSOR_NEXT);
                long segment = StreamLayout.word(data, StreamFormat.CURSOR_SEGMENT);
                long offset = StreamLayout.word(data, StreamFormat.CURSOR_OFFSET);
                long lagBytes = 0;
                for (Map.Entry<Long, Long> s : published.tailMap(segment, true).entrySet()) {
                    long start = s.getKey() == segment ? offset : StreamFormat.FRAMES;
                    lagBytes += Math.max(0, StreamFormat.FRAMES + s.getValue() - start);
                }
                String id = c.id.toString();
                readers.add(new StoreSnapshot.StreamReader(id.substring(id.length() - 16),
                        StreamLayout.word(data, StreamFormat.CURSOR_PID), next, segment, offset,
                        nextSeq < 0 ? -1 : Math.max(0, nextSeq - next), lagBytes,
                        StreamLayout.word(data, StreamFormat.CURSOR_LOST_BATCHES),
                        StreamLayout.word(data, StreamFormat.CURSOR_LOSSES),
                        StreamLayout.word(data, StreamFormat.CURSOR_STARTED) / 1_000_000));
            }
            readers.sort((a, b) -> Long.compare(a.startedAtMillis(), b.startedAtMillis()));
            out.add(new StoreSnapshot.StreamStatus(e.getKey(), writerAlive(newest, objects), nextSeq,
                    published.size(), logBytes, readers));
        }
        return out;
    }

    private MemorySegment data(StoredObject o) {
        return arena.asSlice(o.offset, o.dataSize);
    }

    /**
     * Whether a writer has the stream open: its newest segment is still being written, or the writer's lock (the
     * segments' id prefix, then all ones) is being created or is held.
     */
    private static boolean writerAlive(StoredObject newest, Function<ObjectId, StoredObject> objects) {
        if (newest == null) {
            return false;
        }
        if (!newest.isSealed()) {
            return true;
        }
        byte[] lock = newest.id.toBytes();
        Arrays.fill(lock, ObjectId.SIZE - 8, ObjectId.SIZE, (byte) 0xff);
        StoredObject l = objects.apply(ObjectId.of(lock));
        return l != null && (!l.isSealed() || l.refCount > 0);
    }
}
