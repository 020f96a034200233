package dev.quiver.arrow;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.StreamFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The streams of a store, as an operator sees them: list them, describe one, delete one.
 *
 * <pre>{@code
 * for (StreamInfo s : Streams.list(client)) { ... }     // by name, with writer, sequence numbers and bytes
 * Streams.schema(client, "ticks");                       // the schema of its newest segment
 * Streams.delete(client, "ticks");                       // refused while a writer has it open
 * }</pre>
 *
 * <p>Everything is read from the stream's log segments (docs/stream-log.md), its writer's lock and its readers'
 * cursors: the store keeps no other stream state. A stream is listed by the name its segments carry in their metadata.
 */
public final class Streams {
    private static final int GET_BATCH = 4096;
    /** The hex digits of an id's 12-byte stream prefix. */
    private static final int PREFIX_HEX = 24;
    private static final String LOCK_SUFFIX = "f".repeat(16);

    private Streams() {}

    /**
     * Every stream with a segment in the store, sorted by name. One {@code LIST}, one batched get of one segment of
     * each candidate (released at once), then a look at each stream's segments.
     */
    public static List<StreamInfo> list(QuiverClient client) {
        Map<String, ObjectInfo> probe = new HashMap<>(); // per id prefix: one object that may be a segment
        Map<String, ObjectInfo> locks = new HashMap<>();
        for (ObjectInfo o : client.list()) {
            String hex = o.id().toString();
            String prefix = hex.substring(0, PREFIX_HEX);
            if (hex.endsWith(LOCK_SUFFIX)) {
                locks.put(prefix, o);
            } else if (o.metadataSize() >= StreamIds.MIN_METADATA && o.metadataSize() <= StreamIds.MAX_METADATA) {
                probe.putIfAbsent(prefix, o);
            }
        }
        List<ObjectInfo> probes = List.copyOf(probe.values());
        TreeMap<String, StreamIds> named = new TreeMap<>();
        for (int i = 0; i < probes.size(); i += GET_BATCH) {
            List<ObjectId> ids = probes.subList(i, Math.min(probes.size(), i + GET_BATCH)).stream()
                    .map(ObjectInfo::id).toList();
            for (ObjectBuffer b : client.get(ids, QuiverClient.NO_WAIT)) {
                if (b == null) {
                    continue; // deleted since the listing, or not published yet
                }
                try (b) {
                    StreamIds s = named(b);
                    if (s != null) {
                        named.put(s.name(), s);
                    }
                }
            }
        }
        List<StreamInfo> streams = new ArrayList<>(named.size());
        for (StreamIds s : named.values()) {
            streams.add(info(client, s, locks.get(s.first().toString().substring(0, PREFIX_HEX))));
        }
        return streams;
    }

    /** The stream an object is a segment of, or null. */
    private static StreamIds named(ObjectBuffer b) {
        String name = StreamIds.nameIn(new String(b.metadata().toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.US_ASCII));
        if (name == null) {
            return null;
        }
        try {
            StreamIds s = new StreamIds(name);
            return Arrays.equals(s.prefix(), Arrays.copyOf(b.id().toBytes(), PREFIX_HEX / 2)) ? s : null;
        } catch (IllegalArgumentException e) {
            return null; // not a valid stream name: not a stream's segment
        }
    }

    /**
     * The stream of that name, if the store holds anything of it (a segment, or a live writer's lock). One
     * {@code LIST}, then a look at its segments.
     *
     * @throws IllegalArgumentException if the name is not a valid stream name
     */
    public static Optional<StreamInfo> info(QuiverClient client, String name) {
        StreamIds ids = new StreamIds(name);
        StreamInfo info = info(client, ids, lockOf(client, ids));
        return info.batches() == 0 && !info.ended() && !info.writer() && info.readers().isEmpty() ? Optional.empty()
                : Optional.of(info);
    }

    private static ObjectInfo lockOf(QuiverClient client, StreamIds ids) {
        return client.list().stream().filter(o -> o.id().equals(ids.lock())).findFirst().orElse(null);
    }

    /** Whether a writer has the stream open: it is writing a segment, or holds the lock. */
    static boolean writerAlive(QuiverClient client, StreamIds ids) {
        List<ObjectInfo> newest = client.range(ids.first(), ids.lock(), 1, true);
        if (!newest.isEmpty() && newest.getFirst().state() == ObjectState.CREATED) {
            return true; // a segment being written: the store seals it the moment its writer goes
        }
        return isHeld(lockOf(client, ids));
    }

    /** A lock being created, or sealed and held: a live writer. Sealed and unreferenced, its writer died. */
    private static boolean isHeld(ObjectInfo lock) {
        return lock != null && (lock.state() == ObjectState.CREATED || lock.refCount() > 0);
    }

    /** What the frames of the segments kept say. */
    private static final class Tally {
        long batches;
        long first = -1;
        long last = -1;
        long bytes;
        long length = -1;
        /** The seq the next batch gets, after the frames read. */
        long next;
        /** Published frame bytes of each segment read, by number. */
        final TreeMap<Long, Long> published = new TreeMap<>();
        Schema schema;
    }

    private static Tally tally(QuiverClient client, StreamIds ids, List<ObjectInfo> segments, boolean schemaOnly) {
        Tally t = new Tally();
        for (ObjectInfo o : segments) {
            Optional<ObjectBuffer> got = client.get(o.id(), QuiverClient.NO_WAIT);
            if (got.isEmpty()) {
                continue; // not published yet, or removed since the range
            }
            try (ObjectBuffer b = got.get()) {
                MemorySegment data = b.data();
                StreamLog.checkHeader(data, ids.numberOf(o.id()), ids.name());
                long published = StreamLog.published(data);
                t.published.put(ids.numberOf(o.id()), published);
                for (long at = StreamFormat.FRAMES; at < StreamFormat.FRAMES + published; ) {
                    StreamLog.Frame f = StreamLog.Frame.read(data, at, published, ids.name());
                    t.next = f.type() == StreamLog.BATCH ? f.seq() + 1 : f.seq();
                    switch (f.type()) {
                        case StreamLog.SCHEMA -> {
                            if (schemaOnly) {
                                t.schema = StoreArrowReader.readSchema(data.asSlice(f.body(), f.bodyLength()),
                                        "the schema of stream '" + ids.name() + "'");
                            }
                        }
                        case StreamLog.BATCH -> {
                            t.batches++;
                            t.first = t.first < 0 ? f.seq() : t.first;
                            t.last = f.seq();
                            t.bytes += f.bodyLength();
                        }
                        case StreamLog.END -> t.length = f.seq();
                        default -> { }
                    }
                    at = f.next();
                }
                if (schemaOnly && t.schema != null && !t.schema.getFields().isEmpty()) {
                    return t;
                }
            }
        }
        return t;
    }

    private static StreamInfo info(QuiverClient client, StreamIds ids, ObjectInfo lock) {
        Tally t = tally(client, ids, client.range(ids.first(), ids.lock(), Integer.MAX_VALUE, false), false);
        return new StreamInfo(ids.name(), isHeld(lock), t.batches, t.first, t.last, t.bytes, t.length >= 0,
                t.length, t.next, readers(client, ids, t));
    }

    /**
     * The stream's open readers, from their cursors (one {@code RANGE}, one batched get). A sealed cursor is a reader
     * that is gone (closed, or its process died and the store sealed it): it is deleted, not listed.
     */
    private static List<StreamReaderInfo> readers(QuiverClient client, StreamIds ids, Tally t) {
        List<ObjectId> open = new ArrayList<>();
        List<ObjectId> gone = new ArrayList<>();
        for (ObjectInfo o : client.range(ids.firstCursor(), ids.cursorEnd(), Integer.MAX_VALUE, false)) {
            (o.state() == ObjectState.SEALED ? gone : open).add(o.id());
        }
        for (int i = 0; i < gone.size(); i += GET_BATCH) {
            client.delete(gone.subList(i, Math.min(gone.size(), i + GET_BATCH)));
        }
        List<StreamReaderInfo> readers = new ArrayList<>();
        for (int i = 0; i < open.size(); i += GET_BATCH) {
            for (ObjectBuffer b : client.get(open.subList(i, Math.min(open.size(), i + GET_BATCH)),
                    QuiverClient.NO_WAIT)) {
                if (b == null) {
                    continue; // closed since the range
                }
                try (b) {
                    StreamReaderInfo r = reader(b, t);
                    if (r != null) {
                        readers.add(r);
                    }
                }
            }
        }
        readers.sort(Comparator.comparing(StreamReaderInfo::started));
        return readers;
    }

    /** What a cursor says, with the reader's lag against the segments tallied; null if it is not a cursor. */
    private static StreamReaderInfo reader(ObjectBuffer b, Tally t) {
        MemorySegment d = b.data();
        if (d.byteSize() < StreamFormat.CURSOR_SIZE || MemorySegment.mismatch(d, 0, StreamCursor.MAGIC.length,
                MemorySegment.ofArray(StreamCursor.MAGIC), 0, StreamCursor.MAGIC.length) >= 0) {
            return null; // a foreign object under a cursor's id: not a reader
        }
        long next = d.get(StreamLog.LONG, StreamFormat.CURSOR_NEXT);
        long segment = d.get(StreamLog.LONG, StreamFormat.CURSOR_SEGMENT);
        long offset = d.get(StreamLog.LONG, StreamFormat.CURSOR_OFFSET);
        long lagBytes = 0;
        for (Map.Entry<Long, Long> s : t.published.tailMap(segment, true).entrySet()) {
            long start = s.getKey() == segment ? offset : StreamFormat.FRAMES;
            lagBytes += Math.max(0, StreamFormat.FRAMES + s.getValue() - start);
        }
        long started = d.get(StreamLog.LONG, StreamFormat.CURSOR_STARTED);
        String id = b.id().toString();
        return new StreamReaderInfo(id.substring(id.length() - 16), d.get(StreamLog.LONG, StreamFormat.CURSOR_PID), next,
                segment, offset, Math.max(0, t.next - next), lagBytes,
                d.get(StreamLog.LONG, StreamFormat.CURSOR_LOST_BATCHES), d.get(StreamLog.LONG, StreamFormat.CURSOR_LOSSES),
                Instant.ofEpochSecond(0, started));
    }

    /** The sequence number of the newest batch published, or -1 if none is kept. */
    static long newestSeq(QuiverClient client, StreamIds ids) {
        for (ObjectInfo o : client.range(ids.first(), ids.lock(), 8, true)) {
            Tally t = tally(client, ids, List.of(o), false);
            if (t.last >= 0) {
                return t.last;
            }
        }
        return -1;
    }

    /**
     * The schema of the stream's newest segment with batches of a schema; empty if it keeps none. A few round trips.
     *
     * @throws IllegalArgumentException if the name is not a valid stream name
     * @throws ArrowFormatException     if a segment's bytes are not a valid log
     */
    public static Optional<Schema> schema(QuiverClient client, String name) {
        StreamIds ids = new StreamIds(name);
        Tally t = tally(client, ids, client.range(ids.first(), ids.lock(), 8, true), true);
        return t.schema == null || t.schema.getFields().isEmpty() ? Optional.empty() : Optional.of(t.schema);
    }

    /**
     * Deletes a stream: every segment kept (one a reader holds is freed when the reader lets it go). Refused while a
     * writer has the stream open. While deleting, this takes the stream's writer lock itself, so no writer can start
     * meanwhile; writers waiting for the stream are let in when it is done.
     *
     * @return the number of segments deleted
     * @throws StreamWriterConflictException if a writer has the stream open (nothing is deleted)
     * @throws StreamNotFoundException       if the store holds no segment of the stream
     * @throws IllegalArgumentException      if the name is not a valid stream name
     */
    public static int delete(QuiverClient client, String name) {
        StreamIds ids = new StreamIds(name);
        WritableObject lock;
        try {
            lock = StreamWriter.takeLock(client, ids);
        } catch (StreamWriterConflictException e) {
            throw new StreamWriterConflictException("stream '" + name + "' has a live writer, so it was not deleted: "
                    + "end the stream (StreamWriter.end() in the writer) or stop the writer (close it, or end its "
                    + "process), then delete it again", e);
        }
        try (lock) { // closed unsealed (nothing found): aborted, no trace
            List<ObjectId> doomed = client.range(ids.first(), ids.lock(), Integer.MAX_VALUE, false).stream()
                    .filter(o -> o.state() == ObjectState.SEALED).map(ObjectInfo::id).toList();
            if (doomed.isEmpty()) {
                throw new StreamNotFoundException("no stream named '" + name + "' in the store at "
                        + client.socket() + ": it has no segment there");
            }
            for (int i = 0; i < doomed.size(); i += GET_BATCH) {
                client.delete(doomed.subList(i, Math.min(doomed.size(), i + GET_BATCH)));
            }
            // Sealed and deleted as a writer's lock is, so that the close announces it freed to waiting writers.
            lock.seal();
            client.delete(ids.lock());
            return doomed.size();
        }
    }
}
