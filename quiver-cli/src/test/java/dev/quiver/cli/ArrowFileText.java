package dev.quiver.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/** The content of an Arrow IPC file or stream as text, as Arrow Java reads it: for comparing files in tests. */
final class ArrowFileText {
    private ArrowFileText() {}

    /**
     * The schema, every row as text (dictionary columns as indices, batch boundaries ignored) and the dictionaries'
     * values.
     */
    static String of(Path p, boolean fileFormat, BufferAllocator allocator) throws IOException {
        StringBuilder out = new StringBuilder();
        try (FileChannel ch = FileChannel.open(p);
             ArrowReader r = fileFormat ? new ArrowFileReader(ch, allocator) : new ArrowStreamReader(ch, allocator)) {
            out.append(r.getVectorSchemaRoot().getSchema()).append('\n');
            while (r.loadNextBatch()) {
                String tsv = r.getVectorSchemaRoot().contentToTSVString();
                out.append(tsv.substring(tsv.indexOf('\n') + 1)); // without the header line
            }
            for (long id : r.getDictionaryIds()) {
                FieldVector v = r.lookup(id).getVector();
                out.append("dictionary ").append(id).append(": ");
                for (int i = 0; i < v.getValueCount(); i++) {
                    out.append(v.getObject(i)).append(';');
                }
            }
        }
        return out.toString();
    }
}
