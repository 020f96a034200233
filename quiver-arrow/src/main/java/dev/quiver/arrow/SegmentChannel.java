package dev.quiver.arrow;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A channel that writes into a memory segment, front to back; with no segment it only counts, which is how the
 * writer learns the exact size of an object before creating it.
 */
final class SegmentChannel implements WritableByteChannel {
    private final MemorySegment target;
    private long position;

    private SegmentChannel(MemorySegment target) {
        this.target = target;
    }

    /** Writes into {@code target}, failing if more bytes come than it holds. */
    static SegmentChannel into(MemorySegment target) {
        return new SegmentChannel(target);
    }

    /** Counts bytes and drops them. */
    static SegmentChannel counting() {
        return new SegmentChannel(null);
    }

    long position() {
        return position;
    }

    @Override
    public int write(ByteBuffer src) {
        int n = src.remaining();
        if (target != null) {
            if (n > target.byteSize() - position) {
                throw new IllegalStateException("writing past the end of the object (" + target.byteSize()
                        + " bytes): the serialized size changed between measuring and writing");
            }
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, target, position, n);
        }
        src.position(src.limit());
        position += n;
        return n;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
        // nothing to release: the segment belongs to the caller
    }
}
