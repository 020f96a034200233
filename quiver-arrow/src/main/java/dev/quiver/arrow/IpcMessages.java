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
 *  end     := 0xFFFFFFFF  0x00000000
 * </pre>
 * The pre-1.0 form without the continuation marker is read too. The end-of-stream marker is required: a store
 * object is written whole, so bytes that stop without it were cut short (Arrow's own readers would take a stream
 * cut between two messages for a shorter, valid one). Whatever follows the marker is ignored.
 */
final class IpcMessages {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CONTINUATION = 0xFFFFFFFF;

    /** One message: its decoded metadata, and where its body lies in the bytes. */
    record Entry(Message message, byte type, long bodyOffset, long bodyLength) {
        String typeName() {
            return type >= 0 && type < MessageHeader.names.length ? MessageHeader.name(type) : "type " + type;
        }
    }

    private final MemorySegment bytes;
    private final String what;
    private long position;
    private boolean ended;

    /** @param what names the bytes in error messages, e.g. "object 1f2e…" */
    IpcMessages(MemorySegment bytes, String what) {
        this.bytes = bytes;
        this.what = what;
    }

    /** Bytes consumed so far. */
    long position() {
        return position;
    }

    /**
     * The next message, or null after the end-of-stream marker.
     *
     * @throws ArrowFormatException if the bytes end early or a length does not fit in them
     */
    Entry next() {
        if (ended) {
            return null;
        }
        long size = bytes.byteSize();
        if (size == 0) {
            throw invalid("it is empty (0 bytes)");
        }
        if (position == size) {
            throw invalid("it ends at offset " + size + " without the end-of-stream marker: cut short?");
        }
        long start = position;
        int length = readInt("a message length");
        if (length == CONTINUATION) {
            length = readInt("a message length");
        }
        if (length == 0) {
            ended = true;
            return null;
        }
        if (length < 0 || length > size - position) {
            throw invalid("a message of " + Integer.toUnsignedString(length) + " metadata bytes at offset " + start
                    + " overruns the " + size + " bytes");
        }
        Message message;
        byte type;
        long bodyLength;
        try {
            message = Message.getRootAsMessage(bytes.asSlice(position, length).asByteBuffer()
                    .order(ByteOrder.LITTLE_ENDIAN));
            type = message.headerType(); // touch the table: garbage fails here rather than later
            bodyLength = message.bodyLength();
        } catch (RuntimeException e) {
            throw invalid("unreadable message metadata at offset " + position + " (" + e + ")", e);
        }
        try {
            ArrowValidation.checkMessageBounds(message, length);
        } catch (ArrowFormatException e) {
            throw invalid("the message at offset " + start + " " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw invalid("unreadable message metadata at offset " + position + " (" + e + ")", e);
        }
        position += length;
        if (bodyLength < 0 || bodyLength > size - position) {
            throw invalid("a message body of " + bodyLength + " bytes at offset " + position + " overruns the "
                    + size + " bytes");
        }
        Entry e = new Entry(message, type, position, bodyLength);
        position += bodyLength;
        return e;
    }

    ArrowFormatException invalid(String detail) {
        return new ArrowFormatException(what + " is not a valid Arrow IPC stream: " + detail);
    }

    ArrowFormatException invalid(String detail, Throwable cause) {
        return new ArrowFormatException(what + " is not a valid Arrow IPC stream: " + detail, cause);
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
