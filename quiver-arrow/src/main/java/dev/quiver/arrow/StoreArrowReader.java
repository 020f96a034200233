package dev.quiver.arrow;

import dev.quiver.client.ObjectBuffer;
import java.io.IOException;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ValueVectorUtility;

/**
 * An {@link ArrowReader} over a store object holding an Arrow IPC stream, that loads every batch <b>zero-copy</b>:
 * the vectors' buffers are slices of the store's memory, mapped in this process. Nothing of the column data is
 * copied (unless the stream is compressed, which Quiver's writer never does).
 *
 * <p>The whole object is wrapped as one foreign Arrow allocation; every vector buffer is a slice of it and shares
 * its reference count. When the reader and every buffer taken from it are closed, the allocation is released, and
 * with it the store reference, exactly once. The object's buffer is {@linkplain ObjectBuffer#pin() pinned}, so the
 * data stays valid even if the client is closed first.
 *
 * <p>As a standard {@code ArrowReader} it plugs into Arrow's C data interface, Flight, DuckDB and friends.
 */
public final class StoreArrowReader extends ArrowReader {
    private final IpcMessages messages;
    private final ArrowBuf whole;
    private final String what;
    private boolean sourceClosed;

    private StoreArrowReader(ObjectBuffer object, BufferAllocator allocator) {
        super(allocator);
        this.what = "object " + object.id();
        this.messages = new IpcMessages(object.data(), what);
        long address = object.pin();
        this.whole = allocator.wrapForeignAllocation(new ForeignAllocation(object.data().byteSize(), address) {
            @Override
            protected void release0() {
                object.close(); // the last Arrow buffer over the object is gone: give the reference back
            }
        });
    }

    /**
     * Reads the object the buffer holds. The reader takes over the buffer: closing the reader and every vector it
     * loaded closes the buffer.
     */
    public static StoreArrowReader open(ObjectBuffer object, BufferAllocator allocator) {
        try {
            return new StoreArrowReader(object, allocator);
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    @Override
    protected Schema readSchema() {
        IpcMessages.Entry e = messages.next();
        if (e == null || e.type() != MessageHeader.Schema) {
            throw messages.invalid(e == null ? "it is empty" : "it starts with a " + e.typeName()
                    + " message, not a Schema");
        }
        try {
            return MessageSerializer.deserializeSchema(e.message());
        } catch (RuntimeException ex) {
            throw messages.invalid("unreadable schema (" + ex + ")");
        }
    }

    @Override
    public boolean loadNextBatch() throws IOException {
        prepareLoadNextBatch();
        while (true) {
            IpcMessages.Entry e = messages.next();
            if (e == null) {
                return false;
            }
            switch (e.type()) {
                case MessageHeader.RecordBatch -> {
                    loadRecordBatch(decode(e, body -> MessageSerializer.deserializeRecordBatch(e.message(), body)));
                    validate();
                    return true;
                }
                case MessageHeader.DictionaryBatch ->
                        loadDictionary(decode(e, body -> MessageSerializer.deserializeDictionaryBatch(e.message(), body)));
                default -> throw messages.invalid("unexpected " + e.typeName() + " message inside the stream");
            }
        }
    }

    @Override
    public long bytesRead() {
        return messages.position();
    }

    @Override
    protected void closeReadSource() {
        if (!sourceClosed) {
            sourceClosed = true;
            whole.close();
        }
    }

    private interface BodyDecoder<T> {
        T decode(ArrowBuf body) throws IOException;
    }

    /** Decodes a message over a slice of the object; the decoder consumes one reference of the slice. */
    private <T> T decode(IpcMessages.Entry e, BodyDecoder<T> decoder) {
        ArrowBuf body = whole.slice(e.bodyOffset(), e.bodyLength());
        body.getReferenceManager().retain(); // the slice shares the object's count, and the decoder releases once
        try {
            return decoder.decode(body);
        } catch (IOException | RuntimeException ex) {
            body.getReferenceManager().release(); // the decoder failed before consuming its reference
            throw messages.invalid("unreadable " + e.typeName() + " (" + ex + ")");
        }
    }

    private void validate() {
        try {
            for (FieldVector v : getVectorSchemaRoot().getFieldVectors()) {
                ValueVectorUtility.validate(v);
            }
        } catch (RuntimeException | IOException ex) {
            throw messages.invalid("a record batch does not match its schema (" + ex.getMessage() + ")");
        }
    }
}
