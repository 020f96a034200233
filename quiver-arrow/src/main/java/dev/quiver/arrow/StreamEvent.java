package dev.quiver.arrow;

/**
 * What {@link StreamReader#next} saw: a batch, batches lost, the end of the stream, or nothing before the timeout.
 * The four are distinct: a timeout never means the end, and nothing is skipped without a {@link Lost}.
 */
public sealed interface StreamEvent {

    /**
     * The next batch, read zero-copy. Close it (or its table) when done: it holds the batch in the store until then.
     *
     * @param seq the batch's sequence number
     */
    record Batch(long seq, StoredTable table) implements StreamEvent, AutoCloseable {
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

    /** Batch {@code waitingFor} was not sealed within the timeout; the stream goes on. */
    record Timeout(long waitingFor) implements StreamEvent {}
}
