package dev.quiver.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compare.TypeEqualsVisitor;
import org.apache.arrow.vector.compare.VectorEqualsVisitor;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;

/** Assertions on Arrow data read from the store: same values as the original, buffers where they must be. */
final class ArrowChecks {
    private ArrowChecks() {}

    /**
     * Asserts that {@code actual} holds what {@code expected} holds: the same schema, row count and, column by column,
     * the same values (each value's rendering, so that a difference names the row, then Arrow's
     * {@link VectorEqualsVisitor}).
     */
    static void assertSameBatch(VectorSchemaRoot expected, VectorSchemaRoot actual, String what) {
        assertThat(actual.getSchema()).as(what + ": schema").isEqualTo(expected.getSchema());
        assertThat(actual.getRowCount()).as(what + ": rows").isEqualTo(expected.getRowCount());
        for (int c = 0; c < expected.getFieldVectors().size(); c++) {
            assertSameVector(expected.getVector(c), actual.getVector(c), what + ", column " + c);
        }
    }

    /** Asserts two vectors hold the same values. */
    static void assertSameVector(FieldVector expected, FieldVector actual, String what) {
        assertSameVector(expected, actual, true, what);
    }

    /**
     * Asserts two vectors hold the same values; {@code sameFields}: their fields must be the same too (names,
     * nullability, metadata), else only the same type.
     */
    static void assertSameVector(FieldVector expected, FieldVector actual, boolean sameFields, String what) {
        assertThat(actual.getValueCount()).as(what + ": value count").isEqualTo(expected.getValueCount());
        for (int i = 0; i < expected.getValueCount(); i++) {
            String e = render(expected, i);
            String a = render(actual, i);
            if (!e.equals(a)) {
                fail(what + " (" + expected.getField() + "), row " + i + ": expected " + e + " but read " + a);
            }
        }
        if (!VectorEqualsVisitor.vectorEquals(expected, actual,
                sameFields ? (e, a) -> new TypeEqualsVisitor(a, true, true).equals(e)
                        : (e, a) -> e.getField().getType().equals(a.getField().getType()))) {
            fail(what + " (" + expected.getField() + "): Arrow's VectorEqualsVisitor finds the vectors different");
        }
    }

    /** Asserts the same dictionary ids with the same values. */
    static void assertSameDictionaries(DictionaryProvider expected, DictionaryProvider actual, String what) {
        Set<Long> ids = new TreeSet<>(expected.getDictionaryIds());
        assertThat(new TreeSet<>(actual.getDictionaryIds())).as(what + ": dictionary ids").isEqualTo(ids);
        for (long id : ids) {
            Dictionary e = expected.lookup(id);
            Dictionary a = actual.lookup(id);
            assertThat(a.getEncoding()).as(what + ": encoding of dictionary " + id).isEqualTo(e.getEncoding());
            // a reader makes a dictionary's field from the encoded column's (its name, its nullability)
            assertSameVector(e.getVector(), a.getVector(), false, what + ", dictionary " + id);
        }
    }

    /** A value's rendering, with binary shown byte by byte and failures shown as such. */
    static String render(ValueVector v, int i) {
        try {
            Object o = v.getObject(i);
            return o instanceof byte[] b ? Arrays.toString(b) : String.valueOf(o);
        } catch (RuntimeException e) {
            return "<" + e.getClass().getName() + ">";
        }
    }

    /** Every buffer of a vector and of its children, recursively. */
    static List<ArrowBuf> buffers(FieldVector v) {
        List<ArrowBuf> out = new ArrayList<>(v.getFieldBuffers());
        for (FieldVector child : v.getChildrenFromFields()) {
            out.addAll(buffers(child));
        }
        return out;
    }

    /** Every buffer of every column of a batch. */
    static List<ArrowBuf> buffers(VectorSchemaRoot root) {
        List<ArrowBuf> out = new ArrayList<>();
        for (FieldVector v : root.getFieldVectors()) {
            out.addAll(buffers(v));
        }
        return out;
    }

    /**
     * Asserts every buffer of the batch that holds data lies in {@code [base, base + size)}: it was not copied out of
     * there.
     */
    static void assertAllBuffersInside(VectorSchemaRoot root, long base, long size, String what) {
        for (FieldVector v : root.getFieldVectors()) {
            for (ArrowBuf b : buffers(v)) {
                if (b.capacity() == 0) {
                    continue; // no data: Arrow makes empty buffers of its own for empty vectors
                }
                assertThat(b.memoryAddress()).as(what + ": a buffer of " + v.getField() + " starts in the arena")
                        .isBetween(base, base + size);
                assertThat(b.memoryAddress() + b.capacity()).as(what + ": a buffer of " + v.getField()
                        + " ends in the arena").isBetween(base, base + size);
            }
        }
    }
}
