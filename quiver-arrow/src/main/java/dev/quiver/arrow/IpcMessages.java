package dev.quiver.arrow;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;

/**
 * Walks the encapsulated messages of an Arrow IPC stream that lies in memory, checking every length against the
 * bytes that are really there, so that garbage ends in an {@link ArrowFormatException}, never in a read outside
 * the object.
 *
 * <pre>
 *  message := 0xFFFFFFFF  int32 metadataLength  Message flatbuffer (padded to 8)  body (bodyLength bytes)
 *  end     := 0xFFFFFFFF  0x00000000            (or simply the end of the bytes)
 * </pre>
 * The pre-1.0 form without the continuation marker is read too.
 */
final class IpcMessages {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CONTINUATION = 0xFFFFFFFF;

    /** One message: its decoded metadata, and where its body lies in the bytes. */
    record Entry(Message message, long bodyOffset, long bodyLength) {
        byte type() {
            return message.headerType();
        }

        String typeName() {
            return MessageHeader.name(message.headerType());
        }
    }

    private final MemorySegment bytes;
    private final String what;
    private long position;

    /** @param what names the bytes in error messages, e.g. "object 1f2e…" */
    IpcMessages(MemorySegment bytes, String what) {
        this.bytes = bytes;
        this.what = what;
    }

    /** Bytes consumed so far. */
    long position() {
        return position;
    }

    /** The next message, or null at the end of the stream. */
    Entry next() {
        long size = bytes.byteSize();
        if (position == size) {
            return null;
        }
        int length = readInt("a message length");
        if (length == CONTINUATION) {
            length = readInt("a message length");
        }
        if (length == 0) {
            return null;
        }
        if (length < 0 || length > size - position) {
            throw invalid("a message of " + Integer.toUnsignedString(length) + " metadata bytes at offset "
                    + (position - 4) + " overruns the " + size + " bytes");
        }
        Message message;
        try {
            message = Message.getRootAsMessage(bytes.asSlice(position, length).asByteBuffer()
                    .order(ByteOrder.LITTLE_ENDIAN));
            message.headerType(); // touch the table: garbage fails here rather than later
        } catch (RuntimeException e) {
            throw invalid("unreadable message metadata at offset " + position + " (" + e + ")");
        }
        position += length;
        long bodyLength = message.bodyLength();
        if (bodyLength < 0 || bodyLength > size - position) {
            throw invalid("a message body of " + bodyLength + " bytes at offset " + position + " overruns the "
                    + size + " bytes");
        }
        Entry e = new Entry(message, position, bodyLength);
        position += bodyLength;
        return e;
    }

    ArrowFormatException invalid(String detail) {
        return new ArrowFormatException(what + " is not a valid Arrow IPC stream: " + detail);
    }

    private int readInt(String expected) {
        if (bytes.byteSize() - position < 4) {
            throw invalid("truncated at offset " + position + " where " + expected + " should be");
        }
        int v = bytes.get(INT, position);
        position += 4;
        return v;
    }
}
