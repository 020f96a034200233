package dev.quiver.arrow;

import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
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
 * Streams.schema(client, "ticks");                       // the schema of its newest batch
 * Streams.delete(client, "ticks");                       // refused while a writer has it open
 * }</pre>
 *
 * <p>Everything is read from the stream's objects (see {@link StreamWriter} for their layout): the store keeps no
 * other stream state. A stream is listed by the name its batches carry in their metadata, so a stream with no batch
 * kept (only its end marker, or a writer that has appended nothing yet) is not listed, nor are streams whose batches
 * do not carry their name (written by the Python client); {@link #info}, {@link #schema} and {@link #delete} find
 * those by name all the same.
 */
public final class Streams {
    private static final int GET_BATCH = 4096;
    /** The hex digits of an id's 12-byte stream prefix. */
    private static final int PREFIX_HEX = 24;
    private static final String LOCK_SUFFIX = "f".repeat(16);

    private Streams() {}

    /**
     * Every stream whose batches carry its name, sorted by name. One {@code LIST}, one batched get of the newest
     * batch of each stream (released at once), then one {@code RANGE} per stream.
     */
    public static List<StreamInfo> list(QuiverClient client) {
        Map<String, ObjectInfo> newest = new HashMap<>(); // per id prefix: the newest object that may be a named batch
        Map<String, ObjectInfo> locks = new HashMap<>();
        for (ObjectInfo o : client.list()) {
            String hex = o.id().toString();
            String prefix = hex.substring(0, PREFIX_HEX);
            if (hex.endsWith(LOCK_SUFFIX)) {
                locks.put(prefix, o);
            } else if (o.state() == ObjectState.SEALED && o.metadataSize() >= StreamIds.MIN_METADATA
                    && o.metadataSize() <= StreamIds.MAX_METADATA) {
                newest.merge(prefix, o, (a, b) -> a.id().compareTo(b.id()) >= 0 ? a : b);
            }
        }
        List<ObjectInfo> probes = List.copyOf(newest.values());
        TreeMap<String, StreamIds> named = new TreeMap<>();
        for (int i = 0; i < probes.size(); i += GET_BATCH) {
            List<ObjectId> ids = probes.subList(i, Math.min(probes.size(), i + GET_BATCH)).stream()
                    .map(ObjectInfo::id).toList();
            for (ObjectBuffer b : client.get(ids, QuiverClient.NO_WAIT)) {
                if (b == null) {
                    continue; // deleted since the listing
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
            streams.add(info(client, s, locks.get(s.batch(0).toString().substring(0, PREFIX_HEX))));
        }
        return streams;
    }

    /** The stream an object is a named batch of, or null. */
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
            return null; // not a valid stream name: not a stream's batch
        }
    }

    /**
     * The stream of that name, if the store holds anything of it (a batch, its end marker, or a live writer's lock).
     * One {@code LIST} and one {@code RANGE}.
     *
     * @throws IllegalArgumentException if the name is not a valid stream name
     */
    public static Optional<StreamInfo> info(QuiverClient client, String name) {
        StreamIds ids = new StreamIds(name);
        ObjectInfo lock = client.list().stream().filter(o -> o.id().equals(ids.lock())).findFirst().orElse(null);
        StreamInfo info = info(client, ids, lock);
        return info.batches() == 0 && !info.ended() && !info.writer() ? Optional.empty() : Optional.of(info);
    }

    private static StreamInfo info(QuiverClient client, StreamIds ids, ObjectInfo lock) {
        // A lock being created, or sealed and held: a live writer. Sealed and unreferenced, its writer died.
        boolean writer = lock != null && (lock.state() == ObjectState.CREATED || lock.refCount() > 0);
        long batches = 0;
        long first = -1;
        long last = -1;
        long bytes = 0;
        long length = -1;
        for (ObjectInfo o : client.range(ids.first(), ids.lock(), Integer.MAX_VALUE, false)) {
            if (o.state() != ObjectState.SEALED) {
                continue; // a batch being written
            }
            long seq = ids.seqOf(o.id());
            if (StreamReader.isEndMarker(client, o)) {
                length = seq;
                continue;
            }
            batches++;
            first = first < 0 ? seq : first;
            last = seq;
            bytes += o.dataSize();
        }
        return new StreamInfo(ids.name(), writer, batches, first, last, bytes, length >= 0, length);
    }

    /**
     * The schema of the stream's newest batch kept; empty if it keeps none. A few round trips.
     *
     * @throws IllegalArgumentException if the name is not a valid stream name
     * @throws ArrowFormatException     if the batch's bytes do not start with an Arrow schema
     */
    public static Optional<Schema> schema(QuiverClient client, String name) {
        StreamIds ids = new StreamIds(name);
        // Newest first: the end marker and a batch being written (one at most of each) precede the newest batch.
        for (ObjectInfo o : client.range(ids.first(), ids.lock(), 8, true)) {
            if (o.state() != ObjectState.SEALED) {
                continue;
            }
            Optional<ObjectBuffer> got = client.get(o.id(), QuiverClient.NO_WAIT);
            if (got.isEmpty()) {
                continue; // removed since the range
            }
            try (ObjectBuffer b = got.get()) {
                if (!StreamWriter.isEnd(b)) {
                    return Optional.of(ShelfArrow.readSchema(b.data()));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Deletes a stream: every batch kept and its end marker (a batch a reader holds is freed when the reader releases
     * it). Refused while a writer has the stream open. While deleting, this takes the stream's writer lock itself, so
     * no writer can start meanwhile; writers waiting for the stream are let in when it is done.
     *
     * @return the number of objects deleted (batches, and the end marker if there was one)
     * @throws StreamWriterConflictException if a writer has the stream open (nothing is deleted)
     * @throws StreamNotFoundException       if the store holds no batch and no end marker of the stream
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
                        + client.socket() + ": it has no batch and no end marker there");
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
