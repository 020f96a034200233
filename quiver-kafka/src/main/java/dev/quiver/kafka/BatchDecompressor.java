package dev.quiver.kafka;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.ipc.message.ArrowDictionaryBatch;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;

/**
 * Decompresses the buffers of an IPC record batch before Arrow's {@code VectorLoader} sees it, so that a value whose
 * compressed body is corrupt or too large leaves nothing allocated.
 *
 * <p>Why not let Arrow decompress: Arrow Java 19's {@code VectorLoader} leaks the buffers of a column it has already
 * decompressed when a later buffer of that column fails (apache/arrow-java#1037), and its lz4 codec allocates the
 * declared length on the heap before checking it and leaks its output when the declared length is wrong. Here every
 * buffer made is released on failure, and a declared length is checked against the allocator's headroom (the codec's
 * {@code maxDecodedBytes}) before anything is allocated for it.
 *
 * <p>Each compressed buffer is an 8-byte little-endian uncompressed length, then the compressed bytes; a length of
 * -1 means the bytes follow uncompressed (Arrow's {@code CompressionUtil}).
 */
final class BatchDecompressor {
    private BatchDecompressor() {}

    /**
     * The batch with plain buffers. A batch that is not compressed is returned as it is; otherwise the batch is
     * closed (also on failure) and a new one, owning the decompressed buffers, returned.
     *
     * @throws ArrowDecodeException if a buffer does not decompress to its declared length, or needs more memory than
     *                              {@code allocator} has left
     */
    static ArrowRecordBatch plain(ArrowRecordBatch batch, BufferAllocator allocator) {
        CompressionUtil.CodecType type =
                CompressionUtil.CodecType.fromCompressionType(batch.getBodyCompression().getCodec());
        if (type == CompressionUtil.CodecType.NO_COMPRESSION) {
            return batch;
        }
        List<ArrowBuf> plain = new ArrayList<>(batch.getBuffers().size());
        try (batch) {
            for (ArrowBuf b : batch.getBuffers()) {
                plain.add(decompress(type, b, allocator));
            }
            // retainBuffers = false: the new batch takes over the references made above
            return new ArrowRecordBatch(batch.getLength(), batch.getNodes(), plain,
                    NoCompressionCodec.DEFAULT_BODY_COMPRESSION, batch.getVariadicBufferCounts(), true, false);
        } catch (RuntimeException e) {
            plain.forEach(ArrowBuf::close);
            throw e;
        }
    }

    /** The dictionary batch with plain buffers (closed and replaced if it was compressed). */
    static ArrowDictionaryBatch plain(ArrowDictionaryBatch batch, BufferAllocator allocator) {
        ArrowRecordBatch values = batch.getDictionary();
        ArrowRecordBatch plainValues = plain(values, allocator); // closes values, hence batch, unless returned as is
        return plainValues == values ? batch
                : new ArrowDictionaryBatch(batch.getDictionaryId(), plainValues, batch.isDelta());
    }

    /** A new reference, the caller's, to the buffer's bytes uncompressed; {@code b} keeps its own references. */
    private static ArrowBuf decompress(CompressionUtil.CodecType type, ArrowBuf b, BufferAllocator allocator) {
        long length = b.writerIndex();
        if (length == 0) { // an absent buffer (a column without nulls has no validity bytes)
            b.getReferenceManager().retain();
            return b;
        }
        if (length < CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH) {
            throw new ArrowDecodeException("a compressed buffer of " + length + " bytes is shorter than its 8-byte "
                    + "length prefix");
        }
        long declared = b.getLong(0);
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            declared = Long.reverseBytes(declared);
        }
        long packed = length - CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH;
        if (declared == CompressionUtil.NO_COMPRESSION_LENGTH) { // stored as is: the bytes after the prefix
            ArrowBuf bytes = b.slice(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH, packed);
            bytes.getReferenceManager().retain();
            return bytes;
        }
        if (declared < 0 || declared > allocator.getHeadroom()) {
            throw new ArrowDecodeException("the value needs more than " + allocator.getLimit() + " bytes decoded (the "
                    + "codec's limit): a buffer declares " + declared + " bytes uncompressed, " + allocator.getHeadroom()
                    + " bytes are left");
        }
        if (declared == 0) {
            return allocator.getEmpty();
        }
        ArrowBuf out = allocator.buffer(declared);
        try {
            long src = b.memoryAddress() + CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH;
            switch (type) {
                case ZSTD -> {
                    long n = Zstd.decompressUnsafe(out.memoryAddress(), declared, src, packed);
                    if (Zstd.isError(n)) {
                        throw new ArrowDecodeException("a zstd buffer does not decompress: " + Zstd.getErrorName(n));
                    }
                    requireDeclared(n, declared, type);
                }
                case LZ4_FRAME -> out.setBytes(0, lz4(b, packed, declared));
                default -> throw new ArrowDecodeException("unknown IPC body compression " + type);
            }
            out.writerIndex(declared);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** The lz4 frame after the prefix, decompressed: exactly {@code declared} bytes, or an error. */
    private static byte[] lz4(ArrowBuf b, long packed, long declared) {
        if (declared > Integer.MAX_VALUE - 8 || packed > Integer.MAX_VALUE - 8) {
            throw new ArrowDecodeException("an lz4 buffer of " + declared + " bytes is larger than one Java array");
        }
        byte[] in = new byte[(int) packed];
        b.getBytes(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH, in);
        try (InputStream s = new FramedLZ4CompressorInputStream(new ByteArrayInputStream(in))) {
            byte[] out = s.readNBytes((int) declared);
            if (out.length == declared && s.read() >= 0) {
                throw new ArrowDecodeException("an LZ4_FRAME buffer declares " + declared + " bytes uncompressed but "
                        + "holds more");
            }
            requireDeclared(out.length, declared, CompressionUtil.CodecType.LZ4_FRAME);
            return out;
        } catch (IOException e) {
            throw new ArrowDecodeException("an lz4 buffer does not decompress: " + e.getMessage(), e);
        }
    }

    private static void requireDeclared(long actual, long declared, CompressionUtil.CodecType type) {
        if (actual != declared) {
            throw new ArrowDecodeException("a " + type + " buffer declares " + declared + " bytes uncompressed but "
                    + "holds " + actual);
        }
    }
}
