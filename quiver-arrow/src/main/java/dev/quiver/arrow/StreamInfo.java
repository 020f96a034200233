package dev.quiver.arrow;

/**
 * A stream as {@link Streams#list} and {@link Streams#info} report it: what its objects in the store say at one
 * instant.
 *
 * <p>Readers are not reported: a {@link StreamReader} holds nothing in the store between batches (it keeps its
 * position itself), so the store cannot tell who reads a stream, nor how far behind they are.
 *
 * @param name     the stream's name
 * @param writer   whether a writer has the stream open now (its lock is held by a live client)
 * @param batches  batches kept (sealed and not deleted)
 * @param firstSeq sequence number of the oldest batch kept, or -1 if none is kept
 * @param lastSeq  sequence number of the newest batch kept, or -1 if none is kept
 * @param bytes    bytes of the batches kept (their Arrow IPC streams, as {@link StreamWriter#append} counts them)
 * @param ended    whether the writer ended the stream ({@link StreamWriter#end()}); then {@code length} is set
 * @param length   for an ended stream, the number of batches ever written (sequence numbers 0 .. length-1); else -1
 */
public record StreamInfo(String name, boolean writer, long batches, long firstSeq, long lastSeq, long bytes,
                         boolean ended, long length) {}
