package dev.quiver.arrow;

/**
 * What {@link StreamReader#next} saw: a batch, batches lost, the end of the stream, or nothing before the timeout.
 * The four are distinct: a timeout never means the end, and nothing is skipped without a {@link Lost}.
 */
public sealed interface StreamEvent {

    /**
     * The next batch, read zero-copy. Close it (or its table) when done: it holds its part of the stream's log in the
     * store until then.
     *
     * @param seq         the batch's sequence number
     * @param table       the batch, over the log's memory
     * @param bytes       the size of its Arrow IPC form in the log
     * @param appendNanos when the writer appended it: nanoseconds since the Unix epoch, by the writer's wall clock
     *                    (for latency figures: compare with {@code Instant.now()} on the same machine)
     */
    record Batch(long seq, StoredTable table, long bytes, long appendNanos) implements StreamEvent, AutoCloseable {
        /** When the writer appended it. */
        public java.time.Instant appendedAt() {
            return java.time.Instant.ofEpochSecond(0, appendNanos);
        }

        @Override
        public void close() {
            table.close();
        }
    }

    /**
     * Batches {@code [fromSeq, toSeq)} were removed (by retention or eviction) before this reader got to them. The
     * reader continues with {@code toSeq}, the oldest batch still kept.
     */
    record Lost(long fromSeq, long toSeq) implements StreamEvent {
        /** How many batches were lost. */
        public long count() {
            return toSeq - fromSeq;
        }
    }

    /**
     * The writer ended the stream; {@code batches} is the number of batches it wrote (sequence numbers
     * {@code 0 .. batches-1}). Every later call returns this again.
     */
    record End(long batches) implements StreamEvent {}

    /**
     * Batch {@code waitingFor} was not appended within the timeout; the stream goes on.
     *
     * @param writerAlive whether a writer had the stream open when the timeout came: false once the writer closed
     *                    or its process died (a new writer may still come and continue the stream)
     */
    record Timeout(long waitingFor, boolean writerAlive) implements StreamEvent {}
}
