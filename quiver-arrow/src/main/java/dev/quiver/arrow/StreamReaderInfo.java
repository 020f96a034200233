package dev.quiver.arrow;

import java.time.Instant;

/**
 * A reader of a stream, as its cursor in the store says (docs/stream-log.md section 6): where it is, how far behind the
 * writer, and what it lost. Figures of one reader may be one event apart (the reader updates them without a lock).
 *
 * @param id          the reader's cursor: 16 hex digits, unique among the stream's readers
 * @param pid         the reader's process id
 * @param nextSeq     the sequence number of the batch it waits for next
 * @param segment     the log segment it reads, or waits for
 * @param offset      where its next frame starts in that segment (256: at the start)
 * @param lagBatches  batches published that it has not read yet: the writer's next sequence number minus its own
 * @param lagBytes    bytes of log (frames, with their headers) published after its position
 * @param lostBatches batches it was told it lost ({@link StreamEvent.Lost}), in total
 * @param losses      the {@link StreamEvent.Lost} events it was given
 * @param started     when the reader was opened
 */
public record StreamReaderInfo(String id, long pid, long nextSeq, long segment, long offset, long lagBatches,
                               long lagBytes, long lostBatches, long losses, Instant started) {}
