package dev.quiver.arrow;

import dev.quiver.client.WritableObject;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A channel that writes into an object's data, front to back, through {@link WritableObject#write} (so the seal
 * need not read the bytes again to digest them); with no object it only counts, which is how the writer learns the
 * exact size of an object before creating it. A bounded channel writes into a region of memory while the bytes fit
 * and only counts after that (a stream log's writer tries the current segment first).
 */
final class SegmentChannel implements WritableByteChannel {
    private final WritableObject target;
    private final MemorySegment region;
    private final long size;
    private long position;
    private boolean overflowed;

    private SegmentChannel(WritableObject target, MemorySegment region, long size) {
        this.target = target;
        this.region = region;
        this.size = size;
    }

    private SegmentChannel(WritableObject target, long size) {
        this(target, null, size);
    }

    /** Writes into {@code region} while the bytes fit; past its end it only counts ({@link #overflowed()}). */
    static SegmentChannel bounded(MemorySegment region) {
        return new SegmentChannel(null, region, region.byteSize());
    }

    /** True if more bytes came than a bounded channel's region holds: the region's bytes are then incomplete. */
    boolean overflowed() {
        return overflowed;
    }

    /** Writes into the data of {@code target}, {@code size} bytes long, failing if more bytes come. */
    static SegmentChannel into(WritableObject target, long size) {
        return new SegmentChannel(target, size);
    }

    /** Counts bytes and drops them. */
    static SegmentChannel counting() {
        return new SegmentChannel(null, Long.MAX_VALUE);
    }

    long position() {
        return position;
    }

    @Override
    public int write(ByteBuffer src) {
        int n = src.remaining();
        if (region != null) {
            if (!overflowed && n <= size - position) {
                MemorySegment.copy(MemorySegment.ofBuffer(src), 0, region, position, n);
            } else {
                overflowed = true;
            }
        } else if (target != null) {
            if (n > size - position) {
                throw new IllegalStateException("writing past the end of the object (" + size
                        + " bytes): the serialized size changed between measuring and writing");
            }
            target.write(position, MemorySegment.ofBuffer(src));
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
