package dev.quiver.kafka;

import dev.quiver.arrow.ArrowFormatException;
import dev.quiver.arrow.ArrowValidation;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.ipc.message.ArrowDictionaryBatch;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.apache.arrow.vector.util.TransferPair;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/**
 * Arrow tables as Kafka record values: each value is one complete Arrow IPC <b>file</b> (the default, as the seed
 * wrote with {@code pa.ipc.new_file}) or IPC <b>stream</b>, so every message carries its schema and any Arrow
 * implementation reads it with its standard reader ({@code pa.ipc.open_file}, {@code ArrowFileReader}, ...).
 * Record batch buffers are compressed with the IPC format's own compression ({@link Compression}).
 *
 * <pre>{@code
 * ArrowCodec codec = ArrowCodec.SEED;                         // IPC file, zstd level 1
 * byte[] value = codec.encode(root);                          // schema + batch + footer
 * try (VectorSchemaRoot back = codec.decode(value, allocator)) { ... }   // any format, any compression
 * }</pre>
 *
 * <p>Decoding detects the format (a file starts with the magic {@code ARROW1}) and the compression (declared in
 * each batch), checks the bytes, and returns one root that the caller owns: several batches are concatenated,
 * dictionary-encoded columns are decoded to plain ones, and the schema's custom metadata is kept. Whatever is wrong
 * with a value ends in an {@link ArrowDecodeException} whose message says why; decoding never allocates more than
 * {@link #maxDecodedBytes()}.
 *
 * <p>Immutable and thread-safe.
 */
public final class ArrowCodec {
    /** Which IPC framing a value uses. */
    public enum Format {
        /** The IPC file format: magic, schema, dictionaries and batches, footer with an index, magic. */
        FILE,
        /** The IPC stream format: schema, dictionaries and batches, end-of-stream marker. */
        STREAM
    }

    /** The seed's settings: IPC file format, zstd level 1. */
    public static final ArrowCodec SEED = new ArrowCodec(Format.FILE, Compression.zstd(1));

    /** The default ceiling on the memory one decoded value may take: 1 GiB. */
    public static final long DEFAULT_MAX_DECODED_BYTES = 1L << 30;

    private static final byte[] FILE_MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

    private final Format format;
    private final Compression compression;
    private final long maxDecodedBytes;

    /** A codec that encodes in {@code format} with {@code compression}, and decodes up to 1 GiB per value. */
    public ArrowCodec(Format format, Compression compression) {
        this(format, compression, DEFAULT_MAX_DECODED_BYTES);
    }

    /**
     * A codec that encodes in {@code format} with {@code compression}.
     *
     * @param maxDecodedBytes the most memory one decoded value may take (decompressed buffers included); a value
     *                        that needs more is refused, as a corrupt one is
     */
    public ArrowCodec(Format format, Compression compression, long maxDecodedBytes) {
        if (format == null || compression == null) {
            throw new IllegalArgumentException("format and compression are required");
        }
        if (maxDecodedBytes <= 0) {
            throw new IllegalArgumentException("maxDecodedBytes must be positive, got " + maxDecodedBytes);
        }
        this.format = format;
        this.compression = compression;
        this.maxDecodedBytes = maxDecodedBytes;
    }

    /** The format {@link #encode} writes. */
    public Format format() {
        return format;
    }

    /** The compression {@link #encode} applies. */
    public Compression compression() {
        return compression;
    }

    /** The most memory one decoded value may take. */
    public long maxDecodedBytes() {
        return maxDecodedBytes;
    }

    /** Encodes the root's current batch, with its schema (and the schema's custom metadata). */
    public byte[] encode(VectorSchemaRoot root) {
        return encode(root.getSchema(), List.of(root), null);
    }

    /**
     * Encodes batches of one schema as one value. Buffers are read where they are (zero-copy) and written once,
     * compressed, into the value.
     *
     * @param dictionaries the dictionaries of dictionary-encoded columns, or null if there are none
     */
    public byte[] encode(Schema schema, List<VectorSchemaRoot> batches, DictionaryProvider dictionaries) {
        if (batches.isEmpty()) {
            throw new IllegalArgumentException("no batch to encode: a value holds at least one batch");
        }
        BufferAllocator allocator = batches.getFirst().getFieldVectors().isEmpty() ? null
                : batches.getFirst().getFieldVectors().getFirst().getAllocator();
        if (allocator == null) {
            throw new IllegalArgumentException("a batch without columns cannot be encoded");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (VectorSchemaRoot staging = VectorSchemaRoot.create(schema, allocator);
             ArrowWriter writer = writer(staging, dictionaries, out)) {
            VectorLoader loader = new VectorLoader(staging);
            writer.start();
            for (VectorSchemaRoot batch : batches) {
                if (!batch.getSchema().getFields().equals(schema.getFields())) {
                    throw new IllegalArgumentException("batch schema " + batch.getSchema() + " differs from " + schema);
                }
                try (ArrowRecordBatch b = new VectorUnloader(batch).getRecordBatch()) {
                    loader.load(b); // takes references to the batch's buffers: nothing is copied here
                }
                writer.writeBatch();
            }
            writer.end();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode an Arrow batch in memory", e);
        }
        return out.toByteArray();
    }

    private ArrowWriter writer(VectorSchemaRoot root, DictionaryProvider dictionaries, ByteArrayOutputStream out) {
        var channel = Channels.newChannel(out);
        Optional<Integer> level = compression.codec() == Compression.Codec.ZSTD ? Optional.of(compression.level())
                : Optional.empty();
        CompressionCodec.Factory factory = compression.codec() == Compression.Codec.NONE
                ? NoCompressionCodec.Factory.INSTANCE : CommonsCompressionFactory.INSTANCE;
        return switch (format) {
            case FILE -> new ArrowFileWriter(root, dictionaries, channel, Map.of(), IpcOption.DEFAULT, factory,
                    compression.arrowType(), level);
            case STREAM -> new ArrowStreamWriter(root, dictionaries, channel, IpcOption.DEFAULT, factory,
                    compression.arrowType(), level);
        };
    }

    /** The framing of a value: {@link Format#FILE} if it starts with the IPC file magic, else {@link Format#STREAM}. */
    public static Format formatOf(byte[] value) {
        return value.length >= FILE_MAGIC.length && Arrays.equals(value, 0, FILE_MAGIC.length, FILE_MAGIC, 0,
                FILE_MAGIC.length) ? Format.FILE : Format.STREAM;
    }

    /**
     * Decodes a value written in either format, with any IPC compression, into one root that the caller closes.
     *
     * <p>A value that needs more than {@link #maxDecodedBytes()} (a decompression bomb, or a limit set too low) is
     * refused before it takes the memory. A value that does not decode leaves nothing allocated in {@code allocator}.
     *
     * @throws ArrowDecodeException if the value is not a complete Arrow IPC file or stream, or needs more than
     *                              {@link #maxDecodedBytes()}
     */
    public VectorSchemaRoot decode(byte[] value, BufferAllocator allocator) {
        if (value == null || value.length == 0) {
            throw new ArrowDecodeException("empty record value (a tombstone?): an Arrow IPC file or stream was expected");
        }
        Format f = formatOf(value);
        checkFraming(value, f);
        try (BufferAllocator scratch = allocator.newChildAllocator("kafka-decode", 0, maxDecodedBytes)) {
            VectorSchemaRoot decoded;
            try (ArrowReader reader = reader(f, value, scratch)) {
                decoded = readAll(reader, scratch);
            }
            try (decoded) {
                return moveTo(decoded, allocator); // leave the scratch allocator empty, so it closes
            }
        } catch (ArrowDecodeException e) {
            throw e;
        } catch (OutOfMemoryException e) {
            throw new ArrowDecodeException("the value needs more than " + maxDecodedBytes + " bytes decoded (the codec's "
                    + "limit): " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new ArrowDecodeException("not a valid Arrow IPC " + f.name().toLowerCase(Locale.ROOT)
                    + " (" + value.length + " bytes): " + describe(e), e);
        }
    }

    /**
     * Arrow's reader for the format, with batches decompressed by {@link BatchDecompressor} before Arrow loads them
     * (Arrow's own decompression leaks when a buffer fails), so it is given no codec of its own.
     */
    private static ArrowReader reader(Format f, byte[] value, BufferAllocator scratch) {
        return switch (f) {
            case FILE -> new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(value), scratch,
                    NoCompressionCodec.Factory.INSTANCE) {
                @Override
                protected void loadRecordBatch(ArrowRecordBatch batch) {
                    super.loadRecordBatch(checked(this, BatchDecompressor.plain(batch, scratch)));
                }

                @Override
                protected void loadDictionary(ArrowDictionaryBatch batch) {
                    super.loadDictionary(BatchDecompressor.plain(batch, scratch));
                }
            };
            case STREAM -> new ArrowStreamReader(new ByteArrayInputStream(value), scratch,
                    NoCompressionCodec.Factory.INSTANCE) {
                @Override
                protected void loadRecordBatch(ArrowRecordBatch batch) {
                    super.loadRecordBatch(checked(this, BatchDecompressor.plain(batch, scratch)));
                }

                @Override
                protected void loadDictionary(ArrowDictionaryBatch batch) {
                    super.loadDictionary(BatchDecompressor.plain(batch, scratch));
                }
            };
        };
    }

    /**
     * Checks, before Arrow's reader trusts any length, that every message of the value lies within it and claims no
     * more than its metadata holds ({@link ArrowValidation}'s framing checks): Arrow Java allocates what a length
     * prefix, a footer or a message's vectors claim, on the heap, outside the decoding allocator's limit.
     */
    private static void checkFraming(byte[] value, Format f) {
        String what = "the value";
        try {
            if (f == Format.FILE) {
                ArrowValidation.validateFileFraming(MemorySegment.ofArray(value), what);
            } else {
                ArrowValidation.validateStreamFraming(MemorySegment.ofArray(value), what);
            }
        } catch (ArrowFormatException e) {
            throw new ArrowDecodeException("not a valid Arrow IPC " + f.name().toLowerCase(Locale.ROOT) + " ("
                    + value.length + " bytes): " + e.getMessage(), e);
        }
    }

    /**
     * Runs the store's validator on a decompressed batch before Arrow loads it: Arrow's loader trusts the message (a
     * list's last offset sizes its child), so what it would allocate is checked first.
     */
    private static ArrowRecordBatch checked(ArrowReader reader, ArrowRecordBatch plain) {
        try {
            ArrowValidation.validateRecordBatch(reader.getVectorSchemaRoot().getSchema().getFields(), plain);
            return plain;
        } catch (ArrowFormatException e) {
            plain.close(); // the reader would have closed it after loading
            throw new ArrowDecodeException("not a valid Arrow IPC batch: " + e.getMessage(), e);
        } catch (IOException e) { // the schema was read before any batch: not expected here
            plain.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /** Every batch of the reader, concatenated into one root, with dictionary-encoded columns decoded. */
    private static VectorSchemaRoot readAll(ArrowReader reader, BufferAllocator allocator) throws IOException {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        try {
            while (reader.loadNextBatch()) {
                batches.add(take(reader, allocator));
            }
            if (batches.isEmpty()) {
                Schema schema = reader.getVectorSchemaRoot().getSchema();
                List<Field> fields = new ArrayList<>();
                for (Field field : schema.getFields()) {
                    fields.add(plain(field, reader.getDictionaryVectors()));
                }
                return VectorSchemaRoot.create(new Schema(fields, schema.getCustomMetadata()), allocator);
            }
            VectorSchemaRoot first = batches.getFirst();
            if (batches.size() > 1) {
                VectorSchemaRootAppender.append(first, batches.subList(1, batches.size()).toArray(VectorSchemaRoot[]::new));
            }
            batches.subList(1, batches.size()).forEach(VectorSchemaRoot::close);
            return first;
        } catch (IOException | RuntimeException e) {
            batches.forEach(VectorSchemaRoot::close);
            throw e;
        }
    }

    /** The reader's current batch as a root of its own: plain columns moved, dictionary-encoded ones decoded. */
    private static VectorSchemaRoot take(ArrowReader reader, BufferAllocator allocator) throws IOException {
        VectorSchemaRoot loaded = reader.getVectorSchemaRoot();
        List<FieldVector> vectors = new ArrayList<>();
        try {
            for (FieldVector v : loaded.getFieldVectors()) {
                if (v.getField().getDictionary() == null) {
                    TransferPair t = v.getTransferPair(allocator);
                    t.transfer();
                    vectors.add((FieldVector) t.getTo());
                } else {
                    Dictionary d = dictionary(v.getField(), reader.getDictionaryVectors());
                    try (FieldVector decoded = (FieldVector) DictionaryEncoder.decode(v, d, allocator)) {
                        TransferPair t = decoded.getTransferPair(v.getName(), allocator); // the column's own name
                        t.transfer();
                        vectors.add((FieldVector) t.getTo());
                    }
                }
            }
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        List<Field> fields = vectors.stream().map(FieldVector::getField).toList();
        return new VectorSchemaRoot(new Schema(fields, loaded.getSchema().getCustomMetadata()), vectors,
                loaded.getRowCount());
    }

    private static Field plain(Field field, Map<Long, Dictionary> dictionaries) {
        if (field.getDictionary() == null) {
            return field;
        }
        Field values = dictionary(field, dictionaries).getVector().getField();
        return new Field(field.getName(), new org.apache.arrow.vector.types.pojo.FieldType(field.isNullable(),
                values.getType(), null, field.getMetadata()), values.getChildren());
    }

    private static Dictionary dictionary(Field field, Map<Long, Dictionary> dictionaries) {
        Dictionary d = dictionaries.get(field.getDictionary().getId());
        if (d == null) {
            throw new ArrowDecodeException("column '" + field.getName() + "' refers to dictionary "
                    + field.getDictionary().getId() + ", which the value does not hold");
        }
        return d;
    }

    private static VectorSchemaRoot moveTo(VectorSchemaRoot root, BufferAllocator allocator) {
        List<FieldVector> moved = new ArrayList<>();
        for (FieldVector v : root.getFieldVectors()) {
            TransferPair t = v.getTransferPair(allocator);
            t.transfer();
            moved.add((FieldVector) t.getTo());
        }
        return new VectorSchemaRoot(root.getSchema(), moved, root.getRowCount());
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
