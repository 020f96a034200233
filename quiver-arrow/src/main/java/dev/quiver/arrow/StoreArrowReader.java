package dev.quiver.arrow;

import dev.quiver.client.ObjectBuffer;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.vector.BaseVariableWidthViewVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.VectorBatchAppender;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * An {@link ArrowReader} over a store object holding an Arrow IPC stream, that loads every batch <b>zero-copy</b>:
 * the vectors' buffers are slices of the store's memory, mapped in this process. Nothing of the column data is
 * copied (unless the stream is compressed, which Quiver's writer never does: decompressed buffers are allocated).
 *
 * <p>The whole object is wrapped as one foreign Arrow allocation; every vector buffer is a slice of it and shares
 * its reference count. When the reader and every buffer taken from it are closed, the allocation is released, and
 * with it the store reference, exactly once. The object's buffer is {@linkplain ObjectBuffer#pin() pinned}, so the
 * data stays valid even if the client is closed first.
 *
 * <p>The bytes are checked before anything is trusted: every message length, every buffer of every batch against
 * its message body, every offset, size, view, type id, run end and dictionary index against the buffers and
 * children it points into. Bytes that are not a complete Arrow IPC stream (including a stream cut short: the
 * end-of-stream marker is required) end in an {@link ArrowFormatException}, never in a read outside the object;
 * after one, the reader is unusable and only needs closing. Bytes after the end-of-stream marker are ignored.
 *
 * <p>As a standard {@code ArrowReader} it plugs into Arrow's C data interface, Flight, DuckDB and friends. Its methods
 * keep {@code ArrowReader}'s {@code throws IOException} for source compatibility, but never throw it: there is no
 * I/O, the bytes are in memory, and what goes wrong is an {@link ArrowFormatException}.
 */
public final class StoreArrowReader extends ArrowReader {
    private final IpcMessages messages;
    private final ArrowBuf whole;
    private final String what;
    private final VectorValidator validator;
    private boolean sourceClosed;
    private boolean ended;
    private int batchesLoaded;
    private final Set<Long> dictionariesLoaded = new HashSet<>();
    private boolean dictionaryChangedAfterBatch;
    private ArrowFormatException failure;

    /** The schema a stream log's segment gave, or null to read it from the messages. */
    private final Schema givenSchema;

    private StoreArrowReader(IpcMessages messages, ArrowBuf whole, Schema schema, BufferAllocator allocator,
                             String what) {
        super(allocator);
        this.what = what;
        this.messages = messages;
        this.validator = new VectorValidator(this::dictionarySize, false);
        this.whole = whole;
        this.givenSchema = schema;
    }

    /**
     * A reader of one batch of a stream log: the IPC messages of a BATCH frame (dictionaries, one record batch, end
     * of stream) at {@code [bodyOffset, bodyOffset + bodyLength)} of the segment, under the segment's schema (as
     * {@link #readSchema(MemorySegment, String)} read it). The buffers are slices of {@code segment}, whose
     * reference this reader takes over: it goes when the reader and its vectors are all closed.
     */
    static StoreArrowReader overFrame(ArrowBuf segment, MemorySegment data, long bodyOffset, long bodyLength,
                                      Schema schema, BufferAllocator allocator, String what) {
        IpcMessages messages = new IpcMessages(data.asSlice(bodyOffset, bodyLength), what);
        ArrowBuf body = segment.slice(bodyOffset, bodyLength);
        try {
            return new StoreArrowReader(messages, body, schema, allocator, what);
        } catch (RuntimeException e) {
            body.close();
            throw e;
        }
    }

    /**
     * Reads and checks the Schema message at the start of {@code bytes} (an IPC stream with no batches).
     *
     * @throws ArrowFormatException if it is not a valid schema
     */
    static Schema readSchema(MemorySegment bytes, String what) {
        return schemaOf(new IpcMessages(bytes, what));
    }

    private StoreArrowReader(ObjectBuffer object, BufferAllocator allocator) {
        super(allocator);
        this.what = "object " + object.id();
        this.givenSchema = null;
        this.messages = new IpcMessages(object.data(), what);
        this.validator = new VectorValidator(this::dictionarySize, false);
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

    /**
     * The root that each {@link #loadNextBatch()} fills (reading the schema first, if not done yet).
     *
     * @throws ArrowFormatException if the object does not start with a valid schema
     */
    @Override
    public VectorSchemaRoot getVectorSchemaRoot() throws IOException {
        return guarded(super::getVectorSchemaRoot);
    }

    /** The dictionaries of the stream so far, by id. */
    @Override
    public Map<Long, Dictionary> getDictionaryVectors() throws IOException {
        return guarded(super::getDictionaryVectors);
    }

    /**
     * Loads the next record batch into {@link #getVectorSchemaRoot()}, zero-copy (and the dictionary batches before
     * it).
     *
     * @return false at the end of the stream
     * @throws ArrowFormatException if the bytes are not a valid stream
     */
    @Override
    public boolean loadNextBatch() throws IOException {
        return guarded(this::loadNext);
    }

    @Override
    public long bytesRead() {
        return messages.position();
    }

    /** Releases the vectors of the root and the dictionaries; the object goes with the last buffer over it. */
    @Override
    public void close() throws IOException {
        super.close(true);
    }

    /** True if a dictionary was replaced (not extended by a delta) after a record batch had been loaded. */
    boolean dictionaryChangedAfterBatch() {
        return dictionaryChangedAfterBatch;
    }

    @Override
    protected Schema readSchema() {
        return givenSchema != null ? givenSchema : schemaOf(messages);
    }

    private static Schema schemaOf(IpcMessages messages) {
        IpcMessages.Entry e = messages.next();
        if (e == null || e.type() != MessageHeader.Schema) {
            throw messages.invalid(e == null ? "it holds no schema" : "it starts with a " + e.typeName()
                    + " message, not a Schema");
        }
        Schema schema;
        try {
            schema = MessageSerializer.deserializeSchema(e.message());
        } catch (RuntimeException ex) {
            throw messages.invalid("unreadable schema (" + ex + ")", ex);
        }
        try {
            ArrowValidation.validateSchema(schema);
        } catch (ArrowFormatException ex) {
            throw messages.invalid(ex.getMessage(), ex);
        }
        return schema;
    }

    @Override
    protected void closeReadSource() {
        if (!sourceClosed) {
            sourceClosed = true;
            whole.close();
        }
    }

    private boolean loadNext() throws IOException {
        if (ended) {
            return false;
        }
        prepareLoadNextBatch();
        while (true) {
            IpcMessages.Entry e = messages.next();
            if (e == null) {
                ended = true;
                return false;
            }
            switch (e.type()) {
                case MessageHeader.RecordBatch -> {
                    String where = "record batch " + batchesLoaded + " (body at offset " + e.bodyOffset() + ")";
                    RecordBatch fb = header(e, new RecordBatch(), where);
                    VectorSchemaRoot root = getVectorSchemaRoot();
                    List<Field> fields = root.getSchema().getFields();
                    checkBatch(fb, e.bodyLength(), fields, where);
                    load(root.getFieldVectors(), fields, body(e, fb, where), where);
                    // Checked before Arrow sets the lengths (which reallocates, pads or fills offsets in place when
                    // buffers are too short), and after (parents cut their children to the lengths they use).
                    validate(root.getFieldVectors(), fields, where);
                    root.setRowCount((int) fb.length());
                    validate(root.getFieldVectors(), fields, where);
                    batchesLoaded++;
                    return true;
                }
                case MessageHeader.DictionaryBatch -> loadDictionaryBatch(e);
                default -> throw messages.invalid("unexpected " + e.typeName() + " message at offset "
                        + e.bodyOffset() + " inside the stream");
            }
        }
    }

    /**
     * Loads a dictionary batch: a new dictionary or a replacement straight over the object, like a record batch; a
     * delta (which Quiver's writer never writes) appended to a copy of the dictionary, since appending in place
     * would write into the store's memory.
     */
    private void loadDictionaryBatch(IpcMessages.Entry e) throws IOException {
        String where = "dictionary batch (body at offset " + e.bodyOffset() + ")";
        DictionaryBatch fb = header(e, new DictionaryBatch(), where);
        Dictionary dictionary = getDictionaryVectors().get(fb.id());
        if (dictionary == null) {
            throw messages.invalid(where + ": dictionary id " + fb.id() + " is not in the schema");
        }
        RecordBatch data = fb.data();
        if (data == null) {
            throw messages.invalid(where + ": no record batch in it");
        }
        FieldVector vector = dictionary.getVector();
        List<Field> fields = List.of(vector.getField());
        checkBatch(data, e.bodyLength(), fields, where);
        boolean known = !dictionariesLoaded.add(fb.id());
        if (fb.isDelta() && known) {
            try (FieldVector delta = vector.getField().createVector(allocator)) {
                load(List.of(delta), fields, body(e, data, where), where);
                validate(List.of(delta), fields, where);
                delta.setValueCount((int) data.length());
                validate(List.of(delta), fields, where);
                appendDelta(vector, delta, where);
            }
        } else {
            load(List.of(vector), fields, body(e, data, where), where);
            validate(List.of(vector), fields, where);
            vector.setValueCount((int) data.length());
            if (known && batchesLoaded > 0) {
                dictionaryChangedAfterBatch = true; // the batches loaded before now mean other values
            }
        }
        validate(List.of(vector), fields, where);
    }

    /** Replaces the dictionary's contents by a copy of them followed by the delta, in memory of the allocator. */
    private void appendDelta(FieldVector dictionary, FieldVector delta, String where) {
        try (FieldVector merged = dictionary.getField().createVector(allocator)) {
            merged.allocateNew();
            VectorBatchAppender.batchAppend(merged, dictionary, delta);
            VectorSchemaRoot target = new VectorSchemaRoot(List.of(dictionary.getField()), List.of(dictionary),
                    dictionary.getValueCount());
            try (ArrowRecordBatch buffers = new VectorUnloader(new VectorSchemaRoot(List.of(merged.getField()),
                    List.of(merged), merged.getValueCount())).getRecordBatch()) {
                new VectorLoader(target).load(buffers);
            }
        } catch (RuntimeException ex) {
            throw messages.invalid(where + ": cannot append the delta to dictionary of " + dictionary.getField()
                    + " (" + ex + ")", ex);
        }
    }

    /**
     * Loads the batch's buffers into the vectors, as Arrow's VectorLoader does, but without setting any length
     * (Arrow's would reallocate, pad, or write into the object's memory when lengths and buffers disagree). Consumes
     * the batch.
     */
    private void load(List<FieldVector> vectors, List<Field> fields, ArrowRecordBatch batch, String where) {
        try (batch) {
            try {
                ArrowValidation.validateRecordBatch(fields, batch);
            } catch (ArrowFormatException ex) {
                throw messages.invalid(where + ": " + ex.getMessage(), ex);
            }
            Iterator<ArrowBuf> buffers = batch.getBuffers().iterator();
            Iterator<ArrowFieldNode> nodes = batch.getNodes().iterator();
            Iterator<Long> variadic = batch.getVariadicBufferCounts() == null ? Collections.emptyIterator()
                    : batch.getVariadicBufferCounts().iterator();
            CompressionUtil.CodecType codecType =
                    CompressionUtil.CodecType.fromCompressionType(batch.getBodyCompression().getCodec());
            CompressionCodec codec = codecType == CompressionUtil.CodecType.NO_COMPRESSION
                    ? NoCompressionCodec.INSTANCE : CompressionCodec.Factory.INSTANCE.createCodec(codecType);
            for (int i = 0; i < vectors.size(); i++) {
                loadBuffers(vectors.get(i), fields.get(i), buffers, nodes, variadic, codec, where);
            }
            if (nodes.hasNext() || buffers.hasNext() || variadic.hasNext()) {
                throw messages.invalid(where + ": more field nodes, buffers or variadic buffer counts than the "
                        + "schema's columns take");
            }
        }
    }

    private void loadBuffers(FieldVector vector, Field field, Iterator<ArrowBuf> buffers,
                             Iterator<ArrowFieldNode> nodes, Iterator<Long> variadic, CompressionCodec codec,
                             String where) {
        if (!nodes.hasNext()) {
            throw messages.invalid(where + ": no field node left for column " + field.getName());
        }
        ArrowFieldNode node = nodes.next();
        long count = TypeLayout.getTypeBufferCount(field.getType());
        if (vector instanceof BaseVariableWidthViewVector) {
            if (!variadic.hasNext()) {
                throw messages.invalid(where + ": no variadic buffer count left for column " + field.getName());
            }
            long more = variadic.next();
            if (more < 0 || more > Integer.MAX_VALUE - count) {
                throw messages.invalid(where + ": " + more + " variadic buffers for column " + field.getName());
            }
            count += more;
        }
        boolean compressed = codec.getCodecType() != CompressionUtil.CodecType.NO_COMPRESSION;
        List<ArrowBuf> own = new ArrayList<>();
        try {
            for (long j = 0; j < count; j++) {
                if (!buffers.hasNext()) {
                    throw messages.invalid(where + ": no buffer left for column " + field.getName());
                }
                ArrowBuf next = buffers.next();
                if (compressed) {
                    next.getReferenceManager().retain(); // for own: decompress consumes one reference
                    try {
                        own.add(next.writerIndex() > 0 ? codec.decompress(vector.getAllocator(), next) : next);
                    } catch (RuntimeException ex) {
                        next.getReferenceManager().release();
                        throw ex;
                    }
                } else {
                    own.add(next);
                }
            }
            vector.loadFieldBuffers(node, own);
        } finally {
            if (compressed) {
                own.forEach(ArrowBuf::close); // the vector holds its own references now
            }
        }
        List<Field> children = field.getChildren();
        List<FieldVector> childVectors = vector.getChildrenFromFields();
        if (children.size() != childVectors.size()) {
            throw messages.invalid(where + ": column " + field.getName() + " has " + childVectors.size()
                    + " child vectors for " + children.size() + " child fields");
        }
        for (int i = 0; i < children.size(); i++) {
            loadBuffers(childVectors.get(i), children.get(i), buffers, nodes, variadic, codec, where);
        }
    }

    private void validate(List<FieldVector> vectors, List<Field> fields, String where) {
        try {
            for (int i = 0; i < vectors.size(); i++) {
                validator.validate(vectors.get(i), fields.get(i));
            }
        } catch (RuntimeException ex) {
            throw messages.invalid(where + ": " + ex.getMessage());
        }
    }

    private int dictionarySize(long id) {
        Dictionary d = dictionaries.get(id);
        if (d == null) {
            throw new IllegalArgumentException("dictionary " + id + " is not in the schema");
        }
        return d.getVector().getValueCount();
    }

    private <T extends com.google.flatbuffers.Table> T header(IpcMessages.Entry e, T table, String where) {
        try {
            @SuppressWarnings("unchecked")
            T t = (T) e.message().header(table);
            if (t == null) {
                throw messages.invalid(where + ": the message has no header");
            }
            return t;
        } catch (RuntimeException ex) {
            throw ex instanceof ArrowFormatException a ? a
                    : messages.invalid(where + ": unreadable header (" + ex + ")", ex);
        }
    }

    /**
     * Checks a batch's metadata before Arrow uses it: sane lengths and null counts, every buffer inside the message
     * body, and top-level columns as long as the batch (Arrow Java would silently reallocate and pad them).
     */
    private void checkBatch(RecordBatch fb, long bodyLength, List<Field> fields, String where) {
        try {
            long length = fb.length();
            if (length < 0 || length > Integer.MAX_VALUE) {
                throw messages.invalid(where + ": a length of " + length + " rows");
            }
            int nodes = fb.nodesLength();
            FieldNode node = new FieldNode();
            for (int i = 0; i < nodes; i++) {
                fb.nodes(node, i);
                if (node.length() < 0 || node.length() > Integer.MAX_VALUE || node.nullCount() < 0
                        || node.nullCount() > node.length()) {
                    throw messages.invalid(where + ": field node " + i + " has length " + node.length()
                            + " and null count " + node.nullCount());
                }
            }
            int index = 0;
            for (Field f : fields) {
                if (index >= nodes) {
                    throw messages.invalid(where + ": " + nodes + " field nodes for the schema's "
                            + nodeCount(fields) + " fields");
                }
                long columnLength = fb.nodes(node, index).length();
                if (columnLength != length) {
                    throw messages.invalid(where + ": column " + f.getName() + " has " + columnLength
                            + " values in a batch of " + length + " rows");
                }
                index += nodeCount(f);
            }
            Buffer buffer = new Buffer();
            for (int i = 0; i < fb.buffersLength(); i++) {
                fb.buffers(buffer, i);
                if (buffer.offset() < 0 || buffer.length() < 0 || buffer.offset() > bodyLength - buffer.length()) {
                    throw messages.invalid(where + ": buffer " + i + " at [" + buffer.offset() + ", +"
                            + buffer.length() + ") lies outside the message body of " + bodyLength + " bytes");
                }
            }
        } catch (ArrowFormatException ex) {
            throw ex;
        } catch (RuntimeException ex) {
            throw messages.invalid(where + ": unreadable metadata (" + ex + ")", ex);
        }
    }

    /** Field nodes a column takes in a record batch: its own and its descendants'. */
    private static int nodeCount(Field f) {
        int n = 1;
        for (Field child : f.getChildren()) {
            n += nodeCount(child);
        }
        return n;
    }

    private static int nodeCount(List<Field> fields) {
        return fields.stream().mapToInt(StoreArrowReader::nodeCount).sum();
    }

    /** The batch over a slice of the object (the slice's reference is consumed by Arrow). */
    private ArrowRecordBatch body(IpcMessages.Entry e, RecordBatch fb, String where) {
        ArrowBuf body = whole.slice(e.bodyOffset(), e.bodyLength());
        body.getReferenceManager().retain(); // the slice shares the object's count, and Arrow releases it once
        try {
            return MessageSerializer.deserializeRecordBatch(fb, body);
        } catch (IOException | RuntimeException ex) {
            body.getReferenceManager().release(); // Arrow failed before consuming its reference
            throw messages.invalid(where + ": unreadable (" + ex.getMessage() + ")", ex);
        }
    }

    private interface Step<T> {
        T run() throws IOException;
    }

    /** Runs a step; anything that goes wrong is an {@link ArrowFormatException}, and the reader is failed for good. */
    private <T> T guarded(Step<T> step) {
        if (failure != null) {
            throw new ArrowFormatException(failure.getMessage() + " (reported before)", failure);
        }
        try {
            return step.run();
        } catch (ArrowFormatException e) {
            failure = e;
        } catch (IOException | RuntimeException | StackOverflowError e) {
            failure = messages.invalid(e.toString(), e);
        }
        throw failure;
    }
}
