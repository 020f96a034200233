package dev.quiver.arrow;

import java.util.List;

/**
 * A stream as {@link Streams#list} and {@link Streams#info} report it: what its objects in the store say at one
 * instant.
 *
 * <p>Readers are those open now, in any process and language: each keeps its position in a cursor object in the store
 * (docs/stream-log.md section 6). A reader whose process died is not listed (its cursor is deleted when seen).
 *
 * @param name     the stream's name
 * @param writer   whether a writer has the stream open now (its lock is held by a live client)
 * @param batches  batches kept (sealed and not deleted)
 * @param firstSeq sequence number of the oldest batch kept, or -1 if none is kept
 * @param lastSeq  sequence number of the newest batch kept, or -1 if none is kept
 * @param bytes    bytes of the batches kept (their Arrow IPC streams, as {@link StreamWriter#append} counts them)
 * @param ended    whether the writer ended the stream ({@link StreamWriter#end()}); then {@code length} is set
 * @param length   for an ended stream, the number of batches ever written (sequence numbers 0 .. length-1); else -1
 * @param nextSeq  the sequence number the next batch gets (the writer's position), or 0 if the store keeps no segment
 * @param readers  the stream's open readers, oldest first
 */
public record StreamInfo(String name, boolean writer, long batches, long firstSeq, long lastSeq, long bytes,
                         boolean ended, long length, long nextSeq, List<StreamReaderInfo> readers) {
    public StreamInfo {
        readers = List.copyOf(readers);
    }
}
