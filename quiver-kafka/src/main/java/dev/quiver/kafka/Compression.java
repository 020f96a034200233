package dev.quiver.kafka;

import com.github.luben.zstd.Zstd;
import java.util.Locale;
import org.apache.arrow.vector.compression.CompressionUtil;

/**
 * How {@link ArrowCodec} compresses the buffers of each record batch: the compression of the Arrow IPC format itself
 * (per buffer, declared in each batch's metadata), which any Arrow implementation reads. The schema and the file
 * footer stay uncompressed.
 *
 * @param codec the codec
 * @param level the zstd level (1 is fast, 22 is small; negative levels are faster still); 0 for the other codecs
 */
public record Compression(Codec codec, int level) {
    /** The codecs of the Arrow IPC format. */
    public enum Codec {
        /** Buffers as they are. */
        NONE,
        /** LZ4 frame format (no level). */
        LZ4_FRAME,
        /** Zstandard, with a level. */
        ZSTD
    }

    /** No compression. */
    public static final Compression NONE = new Compression(Codec.NONE, 0);

    public Compression {
        if (codec == null) {
            throw new IllegalArgumentException("codec is null");
        }
        if (codec == Codec.ZSTD && (level < Zstd.minCompressionLevel() || level > Zstd.maxCompressionLevel())) {
            throw new IllegalArgumentException("zstd levels go from " + Zstd.minCompressionLevel() + " to "
                    + Zstd.maxCompressionLevel() + ", got " + level);
        }
        if (codec != Codec.ZSTD && level != 0) {
            throw new IllegalArgumentException(codec + " takes no level, got " + level);
        }
    }

    /** Zstandard at {@code level} (the seed used 1). */
    public static Compression zstd(int level) {
        return new Compression(Codec.ZSTD, level);
    }

    /** LZ4 frame format. */
    public static Compression lz4Frame() {
        return new Compression(Codec.LZ4_FRAME, 0);
    }

    /** Parses {@code none}, {@code lz4} or {@code zstd} / {@code zstd:LEVEL} (zstd alone is level 1). */
    public static Compression parse(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        if (v.equals("none")) {
            return NONE;
        }
        if (v.equals("lz4") || v.equals("lz4_frame")) {
            return lz4Frame();
        }
        if (v.equals("zstd")) {
            return zstd(1);
        }
        if (v.startsWith("zstd:")) {
            try {
                return zstd(Integer.parseInt(v.substring(5)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a zstd level: " + s);
            }
        }
        throw new IllegalArgumentException("unknown compression '" + s + "': use none, lz4 or zstd[:LEVEL]");
    }

    CompressionUtil.CodecType arrowType() {
        return switch (codec) {
            case NONE -> CompressionUtil.CodecType.NO_COMPRESSION;
            case LZ4_FRAME -> CompressionUtil.CodecType.LZ4_FRAME;
            case ZSTD -> CompressionUtil.CodecType.ZSTD;
        };
    }

    @Override
    public String toString() {
        return switch (codec) {
            case NONE -> "none";
            case LZ4_FRAME -> "lz4";
            case ZSTD -> "zstd level " + level;
        };
    }
}
