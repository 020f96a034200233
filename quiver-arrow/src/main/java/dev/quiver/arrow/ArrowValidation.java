package dev.quiver.arrow;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.BufferLayout;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Full validation of Arrow data before it is stored, the one validator of every path into the store: the shelf's and
 * {@link ArrowStore}'s writes run {@link #validateTable}, and {@code quiver put} reads files through
 * {@link #fileReader} and {@link #streamReader}, which run {@link #validateRecordBatch} on every message before
 * loading it, then runs {@link #validateTable} on what it loaded, before the store is touched.
 * Reading a stored object ({@link StoreArrowReader}) runs the same message checks and the structural part of the
 * vector checks.
 *
 * <p>What is checked, as Arrow's full validation (C++ {@code ValidateFull}) does:
 * <ul>
 *   <li>the schema: nesting at most {@value #MAX_NESTING_DEPTH} levels deep;</li>
 *   <li>each message's metadata: no vector or string (a union's type ids, a batch's field nodes) claiming more
 *       entries than the metadata's bytes can hold, since Arrow Java allocates what they claim;</li>
 *   <li>each record batch message: one field node per field, top-level columns as long as the batch, null counts
 *       between 0 and the length and equal to the nulls of the validity bitmap (uncompressed batches), enough
 *       buffers for every field, a list's last offset inside its child (Arrow Java's loader sizes the child by
 *       it);</li>
 *   <li>each vector: offsets non-negative, non-decreasing and inside their data or child; list views, string views,
 *       union type ids and offsets, run ends inside their targets; dictionary indices inside their dictionary;
 *       UTF-8 strings; decimals within their precision; map keys not null; buffers large enough for the length.</li>
 * </ul>
 * Every failure is an {@link ArrowFormatException} that names the column (as a path: {@code outer.inner}), the row
 * and the limit.
 */
public final class ArrowValidation {
    /** The deepest nesting of types accepted (Arrow C++'s IPC reader has the same bound). */
    public static final int MAX_NESTING_DEPTH = 64;

    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ArrowValidation() {}

    /**
     * Arrow Java's reader of an IPC file that runs this validator on the schema and on every batch before Arrow loads
     * it (Arrow's loader trusts a message's field nodes and sizes buffers by them). Check the bytes'
     * {@link #validateFileFraming framing} first: the reader allocates what a length prefix claims.
     *
     * @return the reader; a message it refuses throws {@link ArrowFormatException} from the load
     */
    public static ArrowFileReader fileReader(SeekableByteChannel in, BufferAllocator allocator) {
        return new ValidatingReaders.File(in, allocator);
    }

    /**
     * Arrow Java's reader of an IPC stream that runs this validator on the schema and on every batch before Arrow
     * loads it; see {@link #fileReader}. Check the bytes' {@link #validateStreamFraming framing} first.
     */
    public static ArrowStreamReader streamReader(ReadableByteChannel in, BufferAllocator allocator) {
        return new ValidatingReaders.Stream(in, allocator);
    }

    /**
     * Checks the framing of an Arrow IPC stream that lies in memory (a mapped file, say): every message's metadata and
     * body inside the bytes, the end-of-stream marker present. Run it before Arrow Java's stream reader, which
     * allocates whatever a length prefix claims.
     *
     * @param what names the bytes in the error message, e.g. "the file"
     * @throws ArrowFormatException saying which length overruns the bytes
     */
    public static void validateStreamFraming(MemorySegment stream, String what) {
        IpcMessages messages = new IpcMessages(stream, what);
        while (messages.next() != null) {
            // each message checked by next()
        }
    }

    /**
     * Checks the framing of an Arrow IPC file that lies in memory: the magic {@code ARROW1} at both ends, the footer
     * and every dictionary and record batch block it lists inside the file. Run it before Arrow Java's file reader,
     * which allocates whatever the footer and its blocks claim.
     *
     * @param what names the bytes in the error message, e.g. "the file"
     * @throws ArrowFormatException saying what lies outside the file
     */
    public static void validateFileFraming(MemorySegment file, String what) {
        long size = file.byteSize();
        byte[] magic = "ARROW1".getBytes(StandardCharsets.US_ASCII);
        if (size < 8 + 4 + 6 || file.asSlice(0, 6).mismatch(MemorySegment.ofArray(magic)) != -1
                || file.asSlice(size - 6, 6).mismatch(MemorySegment.ofArray(magic)) != -1) {
            throw new ArrowFormatException(what + " is not an Arrow IPC file: it does not start and end with the "
                    + "magic ARROW1 (truncated?)");
        }
        long footerEnd = size - 10;
        int footerLength = file.get(LE_INT, footerEnd);
        if (footerLength <= 0 || footerLength > footerEnd - 8) {
            throw new ArrowFormatException(what + " is not a valid Arrow IPC file: a footer of " + footerLength
                    + " bytes in a file of " + size);
        }
        long footerStart = footerEnd - footerLength;
        ArrowFooter footer;
        try {
            Footer fb = Footer.getRootAsFooter(file.asSlice(footerStart, footerLength).asByteBuffer()
                    .order(ByteOrder.LITTLE_ENDIAN));
            fits("dictionary blocks", fb.dictionariesLength(), 24, footerLength);
            fits("record batch blocks", fb.recordBatchesLength(), 24, footerLength);
            if (fb.schema() != null) {
                checkSchemaBounds(fb.schema(), footerLength);
            }
            footer = new ArrowFooter(fb);
        } catch (ArrowFormatException e) {
            throw new ArrowFormatException(what + " is not a valid Arrow IPC file: its footer " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new ArrowFormatException(what + " is not a valid Arrow IPC file: unreadable footer (" + e + ")", e);
        }
        List<ArrowBlock> blocks = new ArrayList<>(footer.getDictionaries());
        blocks.addAll(footer.getRecordBatches());
        for (ArrowBlock b : blocks) {
            if (b.getOffset() < 8 || b.getMetadataLength() < 0 || b.getBodyLength() < 0
                    || b.getMetadataLength() > footerStart - b.getOffset()
                    || b.getBodyLength() > footerStart - b.getOffset() - b.getMetadataLength()) {
                throw new ArrowFormatException(what + " is not a valid Arrow IPC file: a block of " 
                        + b.getMetadataLength() + " + " + b.getBodyLength() + " bytes at offset " + b.getOffset()
                        + " lies outside the " + (footerStart - 8) + " bytes of messages");
            }
        }
    }

    /**
     * Checks that every vector and string the flatbuffer metadata of a schema, record batch or dictionary batch message
     * claims fits in its {@code bytes}: Arrow Java allocates what they claim (a union's type ids, a batch's field
     * nodes) before it reads them, so a few changed bytes would ask for gigabytes. Run it before Arrow Java converts
     * the message.
     *
     * @throws ArrowFormatException saying what claims more than the metadata holds
     */
    static void checkMessageBounds(org.apache.arrow.flatbuf.Message message, int bytes) {
        switch (message.headerType()) {
            case org.apache.arrow.flatbuf.MessageHeader.Schema ->
                    checkSchemaBounds((org.apache.arrow.flatbuf.Schema) message.header(
                            new org.apache.arrow.flatbuf.Schema()), bytes);
            case org.apache.arrow.flatbuf.MessageHeader.RecordBatch ->
                    checkBatchBounds((org.apache.arrow.flatbuf.RecordBatch) message.header(
                            new org.apache.arrow.flatbuf.RecordBatch()), bytes);
            case org.apache.arrow.flatbuf.MessageHeader.DictionaryBatch -> {
                var dictionary = (org.apache.arrow.flatbuf.DictionaryBatch) message.header(
                        new org.apache.arrow.flatbuf.DictionaryBatch());
                if (dictionary.data() != null) {
                    checkBatchBounds(dictionary.data(), bytes);
                }
            }
            default -> { } // tensors are checked by TensorIpc
        }
        fits("custom metadata entries", message.customMetadataLength(), 4, bytes);
    }

    static void checkSchemaBounds(org.apache.arrow.flatbuf.Schema schema, int bytes) {
        fits("fields", schema.fieldsLength(), 4, bytes);
        fits("features", schema.featuresLength(), 8, bytes);
        keyValues(schema.customMetadataLength(), schema::customMetadata, bytes);
        for (int i = 0; i < schema.fieldsLength(); i++) {
            fieldBounds(schema.fields(i), bytes, 1);
        }
    }

    private static void fieldBounds(org.apache.arrow.flatbuf.Field f, int bytes, int depth) {
        if (depth > MAX_NESTING_DEPTH) { // Arrow Java's conversion recurses: refuse before it overflows the stack
            throw new ArrowFormatException("nests types more than " + MAX_NESTING_DEPTH + " levels deep (the limit)");
        }
        f.nameAsByteBuffer(); // a name longer than the metadata fails here (flatbuffers checks the slice)
        fits("children of a field", f.childrenLength(), 4, bytes);
        keyValues(f.customMetadataLength(), f::customMetadata, bytes);
        if (f.typeType() == org.apache.arrow.flatbuf.Type.Union) {
            var union = (org.apache.arrow.flatbuf.Union) f.type(new org.apache.arrow.flatbuf.Union());
            if (union != null) {
                fits("type ids of a union", union.typeIdsLength(), 4, bytes);
            }
        }
        for (int i = 0; i < f.childrenLength(); i++) {
            fieldBounds(f.children(i), bytes, depth + 1);
        }
    }

    private static void keyValues(int count, java.util.function.IntFunction<org.apache.arrow.flatbuf.KeyValue> entry,
                                  int bytes) {
        fits("custom metadata entries", count, 4, bytes);
        for (int i = 0; i < count; i++) {
            org.apache.arrow.flatbuf.KeyValue kv = entry.apply(i);
            kv.keyAsByteBuffer(); // a string longer than the metadata fails here
            kv.valueAsByteBuffer();
        }
    }

    private static void checkBatchBounds(org.apache.arrow.flatbuf.RecordBatch batch, int bytes) {
        fits("field nodes", batch.nodesLength(), 16, bytes);
        fits("buffers", batch.buffersLength(), 16, bytes);
        fits("variadic buffer counts", batch.variadicBufferCountsLength(), 8, bytes);
    }

    private static void fits(String what, int count, int elementBytes, int bytes) {
        if (count < 0 || (long) count * elementBytes > bytes) {
            throw new ArrowFormatException("claims " + Integer.toUnsignedString(count) + " " + what
                    + ", more than its " + bytes + " bytes of metadata can hold");
        }
    }

    /**
     * Checks a schema: no type nested deeper than {@value #MAX_NESTING_DEPTH} levels, decimal precisions within what
     * their width holds (1 to 38 digits for 128 bits, 1 to 76 for 256).
     *
     * @throws ArrowFormatException naming the column and its depth
     */
    public static void validateSchema(Schema schema) {
        for (Field f : schema.getFields()) {
            int depth = depth(f, 1);
            if (depth > MAX_NESTING_DEPTH) {
                throw new ArrowFormatException("column " + f.getName() + " is nested more than " + MAX_NESTING_DEPTH
                        + " levels deep; at most " + MAX_NESTING_DEPTH + " are accepted");
            }
            decimalPrecisions(f, f.getName());
        }
    }

    /**
     * Decimal precisions within what their width holds (the values are checked against 10^precision: a precision of
     * a billion would take minutes to compute).
     */
    private static void decimalPrecisions(Field f, String path) {
        if (f.getType() instanceof ArrowType.Decimal d) {
            int max = d.getBitWidth() == 256 ? 76 : 38;
            if (d.getPrecision() < 1 || d.getPrecision() > max) {
                throw new ArrowFormatException("column " + path + ": a " + d.getBitWidth() + "-bit decimal with a "
                        + "precision of " + d.getPrecision() + " digits; it holds 1 to " + max);
            }
        }
        for (Field child : f.getChildren()) {
            decimalPrecisions(child, path + "." + child.getName());
        }
    }

    private static int depth(Field f, int level) {
        if (level > MAX_NESTING_DEPTH) {
            return level; // too deep already: no need to walk further
        }
        int deepest = level;
        for (Field child : f.getChildren()) {
            deepest = Math.max(deepest, depth(child, level + 1));
        }
        return deepest;
    }

    /**
     * Checks a record batch message against the fields it fills, before it is loaded into vectors (loading trusts
     * the field nodes: a null count of 0 makes Arrow Java ignore the validity bitmap, so a lying count must be caught
     * here). The fields are those of the vectors (dictionary-encoded columns with their index type).
     *
     * @throws ArrowFormatException naming the column and what is wrong
     */
    public static void validateRecordBatch(List<Field> fields, ArrowRecordBatch batch) {
        Iterator<ArrowFieldNode> nodes = batch.getNodes().iterator();
        Iterator<ArrowBuf> buffers = batch.getBuffers().iterator();
        Iterator<Long> variadic = batch.getVariadicBufferCounts() == null ? List.<Long>of().iterator()
                : batch.getVariadicBufferCounts().iterator();
        boolean compressed = batch.getBodyCompression().getCodec()
                != CompressionUtil.CodecType.NO_COMPRESSION.getType();
        for (Field f : fields) {
            if (!nodes.hasNext()) {
                throw new ArrowFormatException("column " + f.getName() + ": no field node for it in the batch");
            }
            ArrowFieldNode top = nodes.next();
            if (top.getLength() != batch.getLength()) {
                throw new ArrowFormatException("column " + f.getName() + " has " + top.getLength() + " values in a "
                        + "batch of " + batch.getLength() + " rows");
            }
            node(f, f.getName(), top, nodes, buffers, variadic, compressed);
        }
        if (nodes.hasNext()) {
            throw new ArrowFormatException("the batch has more field nodes than the schema's " + fields.size()
                    + " columns take");
        }
    }

    private static void node(Field f, String path, ArrowFieldNode node, Iterator<ArrowFieldNode> nodes,
                             Iterator<ArrowBuf> buffers, Iterator<Long> variadic, boolean compressed) {
        long length = node.getLength();
        long nulls = node.getNullCount();
        if (length < 0 || length > Integer.MAX_VALUE || nulls < 0 || nulls > length) {
            throw new ArrowFormatException("column " + path + ": a length of " + length + " with a null count of "
                    + nulls);
        }
        List<BufferLayout> layouts = TypeLayout.getTypeLayout(f.getType()).getBufferLayouts();
        long count = TypeLayout.getTypeBufferCount(f.getType()); // as Arrow's loader counts them
        if (f.getType() instanceof ArrowType.Utf8View || f.getType() instanceof ArrowType.BinaryView) {
            if (!variadic.hasNext()) {
                throw new ArrowFormatException("column " + path + ": no variadic buffer count for it in the batch");
            }
            count += variadic.next();
        }
        long listEnd = -1; // where a list's last offset points in its child
        for (long i = 0; i < count; i++) {
            if (!buffers.hasNext()) {
                throw new ArrowFormatException("column " + path + ": the batch has too few buffers for it");
            }
            ArrowBuf b = buffers.next();
            if (compressed || i >= layouts.size()) {
                continue; // compressed bytes say nothing of the sizes; variadic buffers are checked through views
            }
            if (layouts.get((int) i).getType() == BufferLayout.BufferType.VALIDITY) {
                nullCount(b, length, nulls, path);
            } else {
                long needed = bytesNeeded(f.getType(), layouts.get((int) i), length);
                if (b.capacity() < needed) {
                    throw new ArrowFormatException("column " + path + ": a " + layouts.get((int) i).getType()
                            .getName() + " buffer of " + b.capacity() + " bytes for " + length + " values, which need "
                            + needed);
                }
                if (length > 0 && layouts.get((int) i).getType() == BufferLayout.BufferType.OFFSET
                        && (f.getType() instanceof ArrowType.List || f.getType() instanceof ArrowType.Map)) {
                    listEnd = b.getInt(4 * length);
                } else if (length > 0 && layouts.get((int) i).getType() == BufferLayout.BufferType.OFFSET
                        && f.getType() instanceof ArrowType.LargeList) {
                    listEnd = b.getLong(8 * length);
                }
            }
        }
        for (Field child : f.getChildren()) {
            if (!nodes.hasNext()) {
                throw new ArrowFormatException("column " + path + "." + child.getName() + ": no field node for it in "
                        + "the batch");
            }
            ArrowFieldNode childNode = nodes.next();
            // Arrow Java's loader sizes the child by the list's last offset, allocating whatever it says: check first.
            if (listEnd > childNode.getLength()) {
                throw new ArrowFormatException("column " + path + ": its offsets end at " + listEnd + ", beyond the "
                        + childNode.getLength() + " values of its child " + child.getName());
            }
            node(child, path + "." + child.getName(), childNode, nodes, buffers, variadic, compressed);
        }
    }

    /**
     * The bytes a buffer needs for {@code length} values (Arrow Java's loader would silently reallocate and pad a
     * shorter one). Variable-width data is sized by its offsets, which the vector checks.
     */
    private static long bytesNeeded(ArrowType type, BufferLayout layout, long length) {
        if (length == 0) {
            return 0;
        }
        long width = layout.getTypeBitWidth() / 8;
        return switch (layout.getType()) {
            case OFFSET -> type instanceof ArrowType.Union || type instanceof ArrowType.ListView
                    || type instanceof ArrowType.LargeListView ? width * length : width * (length + 1);
            case DATA -> switch (type) {
                case ArrowType.Utf8 t -> 0;
                case ArrowType.LargeUtf8 t -> 0;
                case ArrowType.Binary t -> 0;
                case ArrowType.LargeBinary t -> 0;
                case ArrowType.Bool t -> (length + 7) / 8;
                default -> width * length;
            };
            case VARIADIC_DATA_BUFFERS -> 0; // sized by the views, which the vector checks
            case TYPE -> length; // a union's type ids are one byte each (Arrow Java's layout says 32 bits)
            default -> width * length; // SIZE, VIEWS
        };
    }

    /** The null count of a field node against its validity bitmap (which may be left out when nothing is null). */
    private static void nullCount(ArrowBuf validity, long length, long nulls, String path) {
        if (length == 0) {
            return;
        }
        long bytes = (length + 7) / 8;
        if (validity.capacity() == 0) {
            if (nulls != 0) {
                throw new ArrowFormatException("column " + path + ": a null count of " + nulls + " without a validity "
                        + "bitmap");
            }
            return;
        }
        if (validity.capacity() < bytes) {
            throw new ArrowFormatException("column " + path + ": a validity bitmap of " + validity.capacity()
                    + " bytes for " + length + " values, which need " + bytes);
        }
        long actual = BitVectorHelper.getNullCount(validity, (int) length);
        if (actual != nulls) {
            throw new ArrowFormatException("column " + path + ": a null count of " + nulls + " but its validity "
                    + "bitmap marks " + actual + " of " + length + " values null");
        }
    }

    /**
     * Checks a table about to be stored: its schema, and every column of every batch and every dictionary, values
     * included (see the class comment). Nothing is changed.
     *
     * @param schema       the table's schema (dictionary-encoded columns as the vectors have them: index types)
     * @param batches      its record batches
     * @param dictionaries the dictionaries of its dictionary-encoded columns, or null if there are none
     * @throws ArrowFormatException naming the batch, the column and what is wrong
     */
    public static void validateTable(Schema schema, Iterable<VectorSchemaRoot> batches,
                                     DictionaryProvider dictionaries) {
        validateSchema(schema);
        VectorValidator validator = new VectorValidator(id -> {
            Dictionary d = dictionaries == null ? null : dictionaries.lookup(id);
            if (d == null) {
                throw new ArrowFormatException("no dictionary with id " + id + " for a dictionary-encoded column");
            }
            return d.getVector().getValueCount();
        }, true);
        if (dictionaries != null) {
            for (long id : dictionaries.getDictionaryIds()) {
                FieldVector values = dictionaries.lookup(id).getVector();
                decimalPrecisions(values.getField(), "dictionary " + id); // its values' type is not in the schema
                check(validator, values, values.getField(), "dictionary " + id);
            }
        }
        int index = 0;
        for (VectorSchemaRoot batch : batches) {
            // Against the batch's schema, not v.getField(): a union vector rebuilds its field with Arrow Java's own type
            // ids, not the ones the data was written with. (Their lengths against the batch: when written.)
            List<FieldVector> vectors = batch.getFieldVectors();
            for (int i = 0; i < vectors.size(); i++) {
                check(validator, vectors.get(i), batch.getSchema().getFields().get(i), "batch " + index);
            }
            index++;
        }
    }

    private static void check(VectorValidator validator, FieldVector v, Field field, String where) {
        try {
            validator.validate(v, field);
        } catch (RuntimeException e) {
            throw new ArrowFormatException(where + ": " + e.getMessage(), e);
        }
    }
}
