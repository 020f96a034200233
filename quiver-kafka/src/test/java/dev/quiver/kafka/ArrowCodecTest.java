package dev.quiver.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The codec alone: round trips, Arrow's standard readers, the seed's bytes, and values that do not decode. */
class ArrowCodecTest {
    private final BufferAllocator allocator = new RootAllocator();

    @AfterEach
    void noLeaks() {
        assertThat(allocator.getAllocatedMemory()).as("bytes still allocated").isZero();
        allocator.close();
    }

    static Stream<Arguments> codecs() {
        return Stream.of(ArrowCodec.Format.values()).flatMap(f -> Stream.of(Compression.NONE, Compression.lz4Frame(),
                Compression.zstd(1), Compression.zstd(9), Compression.zstd(-3)).map(c -> Arguments.of(f, c)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("codecs")
    void roundTripsAndArrowsOwnReadersReadIt(ArrowCodec.Format format, Compression compression) throws IOException {
        ArrowCodec codec = new ArrowCodec(format, compression);
        for (int t = 0; t < 2; t++) {
            try (VectorSchemaRoot original = t == 0 ? TestTables.metrics(3, 500, allocator) : TestTables.rich(300, allocator)) {
                byte[] value = codec.encode(original);
                assertThat(ArrowCodec.formatOf(value)).isEqualTo(format);
                try (VectorSchemaRoot back = codec.decode(value, allocator)) {
                    assertThat(back.getSchema()).isEqualTo(original.getSchema()); // fields and custom metadata
                    assertThat(back.contentToTSVString()).isEqualTo(original.contentToTSVString());
                }
                // Arrow's standard readers, told nothing but "these are IPC bytes".
                try (ArrowReader reader = standardReader(format, value)) {
                    assertThat(reader.loadNextBatch()).isTrue();
                    assertThat(reader.getVectorSchemaRoot().contentToTSVString()).isEqualTo(original.contentToTSVString());
                    assertThat(reader.loadNextBatch()).isFalse();
                }
            }
        }
    }

    @Test
    void compressionShrinksRepetitiveData() {
        try (VectorSchemaRoot root = TestTables.metrics(0, 5_000, allocator)) {
            int none = new ArrowCodec(ArrowCodec.Format.FILE, Compression.NONE).encode(root).length;
            int lz4 = new ArrowCodec(ArrowCodec.Format.FILE, Compression.lz4Frame()).encode(root).length;
            int zstd1 = ArrowCodec.SEED.encode(root).length;
            int zstd19 = new ArrowCodec(ArrowCodec.Format.FILE, Compression.zstd(19)).encode(root).length;
            assertThat(lz4).isLessThan(none);
            assertThat(zstd1).isLessThan(none / 2);
            assertThat(zstd19).isLessThanOrEqualTo(zstd1);
        }
    }

    /**
     * The seed's bytes: pyarrow 25's {@code pa.ipc.new_file} with zstd level 1, the seed's schema, 1000 rows
     * (make_fixtures.py, the seed's table_to_compressed_buffer). Also a pyarrow IPC stream with lz4.
     */
    @Test
    void decodesWhatTheSeedsProducerWrites() throws IOException {
        byte[] seed = resource("seed/seed-file-zstd1.arrow");
        assertThat(ArrowCodec.formatOf(seed)).isEqualTo(ArrowCodec.Format.FILE);
        try (VectorSchemaRoot t = ArrowCodec.SEED.decode(seed, allocator)) {
            assertThat(t.getSchema().getFields()).isEqualTo(SeedMetrics.SCHEMA.getFields());
            checkFixture(t);
        }
        try (VectorSchemaRoot t = ArrowCodec.SEED.decode(resource("seed/pyarrow-stream-lz4.arrows"), allocator)) {
            checkFixture(t);
        }
        // and the same bytes through Arrow Java's own file reader: the fixture really is zstd-compressed
        try (ArrowFileReader r = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(seed), allocator,
                CommonsCompressionFactory.INSTANCE)) {
            assertThat(r.loadNextBatch()).isTrue();
            assertThat(r.getRecordBlocks()).hasSize(1);
        }
    }

    static void checkFixture(VectorSchemaRoot t) {
        assertThat(t.getRowCount()).isEqualTo(1000);
        for (int i : new int[] {0, 1, 2, 499, 999}) {
            assertThat(t.getVector("device").getObject(i).toString()).isEqualTo(i % 3 == 0 ? "edge-1" : "localhost");
            // 2024-05-01 12:00:00 (naive, as pyarrow writes datetime without tz) + 10 ms per row
            assertThat(t.getVector("ts").getObject(i).toString())
                    .isEqualTo(java.time.LocalDateTime.of(2024, 5, 1, 12, 0).plusNanos(10_000_000L * i).toString());
            assertThat((Float) t.getVector("cpu_used").getObject(i)).isEqualTo(i % 100 + 0.5f);
            assertThat((Float) t.getVector("memory_free").getObject(i)).isEqualTo(60f - i % 7);
            assertThat(((IntVector) t.getVector("run_elapsed_ms")).get(i)).isEqualTo(10 * i);
        }
    }

    @Test
    void severalBatchesBecomeOneAndMetadataStays() {
        ArrowCodec codec = new ArrowCodec(ArrowCodec.Format.STREAM, Compression.zstd(3));
        try (VectorSchemaRoot a = TestTables.metrics(0, 10, allocator); VectorSchemaRoot b = TestTables.metrics(1, 15, allocator)) {
            byte[] value = codec.encode(a.getSchema(), List.of(a, b), null);
            try (VectorSchemaRoot back = codec.decode(value, allocator)) {
                assertThat(back.getRowCount()).isEqualTo(25);
                assertThat(back.getVector("run_elapsed_ms").getObject(9)).isEqualTo(900);
                assertThat(back.getVector("run_elapsed_ms").getObject(24)).isEqualTo(2900); // batch 1, row 14
            }
        }
    }

    @Test
    void dictionaryEncodedColumnsAreDecodedToPlainOnes() {
        try (VarCharVector values = new VarCharVector("dict", allocator);
             VarCharVector column = new VarCharVector("device", allocator)) {
            values.allocateNew();
            values.setSafe(0, "a".getBytes());
            values.setSafe(1, "b".getBytes());
            values.setValueCount(2);
            column.allocateNew();
            for (int i = 0; i < 6; i++) {
                column.setSafe(i, (i % 2 == 0 ? "a" : "b").getBytes());
            }
            column.setValueCount(6);
            Dictionary dictionary = new Dictionary(values, new DictionaryEncoding(1L, false, new ArrowType.Int(32, true)));
            try (IntVector encoded = (IntVector) DictionaryEncoder.encode(column, dictionary)) {
                VectorSchemaRoot root = VectorSchemaRoot.of(encoded);
                byte[] value = ArrowCodec.SEED.encode(root.getSchema(), List.of(root),
                        new DictionaryProvider.MapDictionaryProvider(dictionary));
                try (VectorSchemaRoot back = ArrowCodec.SEED.decode(value, allocator)) {
                    assertThat(back.getSchema().getFields().getFirst().getName()).isEqualTo(encoded.getName());
                    assertThat(back.getSchema().getFields().getFirst().getType()).isEqualTo(ArrowType.Utf8.INSTANCE);
                    assertThat(back.getVector(0).getObject(3).toString()).isEqualTo("b");
                }
            }
        }
    }

    /**
     * Record values are untrusted input: the malformed Arrow that fuzzing found against the store's validator (a union
     * claiming a billion type ids, which Arrow Java allocates on the heap before reading; a list overrunning its child)
     * is refused by the decoder before Arrow reads it, and leaves nothing allocated.
     */
    @Test
    void malformedArrowFoundByFuzzingIsRefusedBeforeArrowAllocatesForIt() throws IOException {
        for (String input : List.of("refused-union-claiming-a-billion-type-ids", "refused-list-offsets-beyond-child")) {
            byte[] value;
            try (var in = getClass().getResourceAsStream(
                    "/dev/quiver/arrow/ArrowValidationFuzzTestInputs/ipcBytes/" + input)) {
                assertThat(in).as(input + " in quiver-arrow's test-jar").isNotNull();
                value = in.readAllBytes();
            }
            assertThatThrownBy(() -> ArrowCodec.SEED.decode(value, allocator)).as(input)
                    .isInstanceOf(ArrowDecodeException.class).hasMessageContaining("not a valid Arrow IPC");
            assertThat(allocator.getAllocatedMemory()).as(input).isZero();
        }
    }

    @Test
    void valuesThatAreNotArrowFailWithAReason() throws IOException {
        byte[] good = resource("seed/seed-file-zstd1.arrow");
        assertThatThrownBy(() -> ArrowCodec.SEED.decode(new byte[0], allocator))
                .isInstanceOf(ArrowDecodeException.class).hasMessageContaining("empty record value");
        assertThatThrownBy(() -> ArrowCodec.SEED.decode("{\"cpu\": 12}".getBytes(), allocator))
                .isInstanceOf(ArrowDecodeException.class).hasMessageContaining("not a valid Arrow IPC stream")
                .hasMessageContaining("a message of 1885545083 metadata bytes at offset 0 overruns"); // before allocating
        assertThatThrownBy(() -> ArrowCodec.SEED.decode(Arrays.copyOf(good, good.length / 2), allocator))
                .isInstanceOf(ArrowDecodeException.class).hasMessageContaining("not a valid Arrow IPC file");
        byte[] badFooter = good.clone();
        Arrays.fill(badFooter, good.length - 10, good.length - 6, (byte) 0x7F); // the footer's length
        assertThatThrownBy(() -> ArrowCodec.SEED.decode(badFooter, allocator)).isInstanceOf(ArrowDecodeException.class);
        byte[] badBody = good.clone();
        for (int i = 0; i < good.length; i++) { // the 8-byte uncompressed lengths that precede zstd buffers
            if (i > 300 && i + 8 < good.length - 300) {
                badBody[i] = (byte) (i % 2 == 0 ? 0xFF : 0x7F);
            }
        }
        assertThatThrownBy(() -> ArrowCodec.SEED.decode(badBody, allocator)).isInstanceOf(ArrowDecodeException.class);
        ArrowCodec small = new ArrowCodec(ArrowCodec.Format.FILE, Compression.zstd(1), 16 << 10);
        assertThatThrownBy(() -> small.decode(good, allocator))
                .isInstanceOf(ArrowDecodeException.class).hasMessageContaining("16384 bytes decoded");
    }

    /**
     * Values that fail while their body is decompressed, after some buffers were: Arrow's own loader leaked those
     * (12 to 16 KiB per value here). Nothing may stay allocated, however many come.
     */
    @Test
    void valuesThatFailInDecompressionLeaveNothingAllocated() throws IOException {
        byte[] lz4Stream = resource("seed/pyarrow-stream-lz4.arrows");
        byte[] badLz4 = lz4Stream.clone();
        for (int i = badLz4.length / 2; i < badLz4.length - 40; i++) {
            badLz4[i] ^= 0x55; // the later columns' lz4 frames; the framing before them stays intact
        }
        byte[] zstdFile = resource("seed/seed-file-zstd1.arrow");
        ArrowCodec small = new ArrowCodec(ArrowCodec.Format.FILE, Compression.zstd(1), 16 << 10);
        for (int i = 0; i < 200; i++) {
            assertThatThrownBy(() -> ArrowCodec.SEED.decode(badLz4, allocator)).isInstanceOf(ArrowDecodeException.class);
            assertThatThrownBy(() -> small.decode(zstdFile, allocator))
                    .isInstanceOf(ArrowDecodeException.class).hasMessageContaining("16384 bytes decoded");
            assertThat(allocator.getAllocatedMemory()).as("bytes allocated after %d rounds", i + 1).isZero();
        }
        try (VectorSchemaRoot t = ArrowCodec.SEED.decode(zstdFile, allocator)) { // and the allocator still works
            checkFixture(t);
        }
    }

    @Test
    void compressionSettingsAreChecked() {
        assertThat(Compression.parse("zstd:3")).isEqualTo(Compression.zstd(3));
        assertThat(Compression.parse("lz4")).isEqualTo(Compression.lz4Frame());
        assertThat(Compression.parse("none")).isEqualTo(Compression.NONE);
        assertThat(Compression.zstd(1).arrowType()).isEqualTo(CompressionUtil.CodecType.ZSTD);
        assertThatThrownBy(() -> Compression.zstd(99)).hasMessageContaining("zstd levels go from");
        assertThatThrownBy(() -> Compression.parse("gzip")).hasMessageContaining("use none, lz4 or zstd");
        assertThatThrownBy(() -> new Compression(Compression.Codec.LZ4_FRAME, 3)).hasMessageContaining("takes no level");
    }

    private ArrowReader standardReader(ArrowCodec.Format format, byte[] value) {
        return format == ArrowCodec.Format.FILE
                ? new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(value), allocator,
                        CommonsCompressionFactory.INSTANCE)
                : new ArrowStreamReader(new ByteArrayInputStream(value), allocator, CommonsCompressionFactory.INSTANCE);
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = ArrowCodecTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing test resource " + name);
            }
            return in.readAllBytes();
        }
    }

}
