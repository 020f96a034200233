package dev.quiver.arrow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.message.ArrowDictionaryBatch;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Arrow Java's IPC readers with {@link ArrowValidation} run on the schema and on every record batch and dictionary
 * batch before Arrow loads it: Arrow's loader trusts a message's field nodes (a null count of 0 hides a validity
 * bitmap, a list's last offset sizes its child), so the checks must come first. Made by
 * {@link ArrowValidation#fileReader} and {@link ArrowValidation#streamReader}.
 */
final class ValidatingReaders {
    private ValidatingReaders() {}

    /** Arrow's file reader, each message checked before it is loaded. */
    static final class File extends ArrowFileReader {
        File(SeekableByteChannel in, BufferAllocator allocator) {
            super(in, allocator);
        }

        @Override
        protected Schema readSchema() throws IOException {
            Schema schema = super.readSchema();
            ArrowValidation.validateSchema(schema);
            return schema;
        }

        @Override
        protected void loadRecordBatch(ArrowRecordBatch batch) {
            checkBeforeLoad(batch, fieldsOf(this));
            super.loadRecordBatch(batch);
        }

        @Override
        protected void loadDictionary(ArrowDictionaryBatch batch) {
            checkDictionaryBeforeLoad(dictionaries, batch);
            super.loadDictionary(batch);
        }
    }

    /** Arrow's stream reader, each message checked before it is loaded. */
    static final class Stream extends ArrowStreamReader {
        Stream(ReadableByteChannel in, BufferAllocator allocator) {
            super(in, allocator);
        }

        @Override
        protected Schema readSchema() throws IOException {
            Schema schema = super.readSchema();
            ArrowValidation.validateSchema(schema);
            return schema;
        }

        @Override
        protected void loadRecordBatch(ArrowRecordBatch batch) {
            checkBeforeLoad(batch, fieldsOf(this));
            super.loadRecordBatch(batch);
        }

        @Override
        protected void loadDictionary(ArrowDictionaryBatch batch) {
            checkDictionaryBeforeLoad(dictionaries, batch);
            super.loadDictionary(batch);
        }
    }

    private static void checkBeforeLoad(ArrowRecordBatch batch, List<Field> fields) {
        try {
            ArrowValidation.validateRecordBatch(fields, batch);
        } catch (RuntimeException e) {
            batch.close(); // the reader would have closed it after loading
            throw e;
        }
    }

    private static void checkDictionaryBeforeLoad(Map<Long, Dictionary> dictionaries, ArrowDictionaryBatch batch) {
        Dictionary d = dictionaries.get(batch.getDictionaryId());
        if (d != null) { // an unknown id: Arrow's reader refuses it
            checkBeforeLoad(batch.getDictionary(), List.of(d.getVector().getField()));
        }
    }

    /** The fields of the reader's vectors (its schema is read before any batch is loaded). */
    private static List<Field> fieldsOf(ArrowReader reader) {
        try {
            return reader.getVectorSchemaRoot().getSchema().getFields();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
