package dev.quiver.examples.knn;

import io.github.jbellis.jvector.graph.RandomAccessVectorValues;
import io.github.jbellis.jvector.vector.VectorizationProvider;
import io.github.jbellis.jvector.vector.types.VectorFloat;
import io.github.jbellis.jvector.vector.types.VectorTypeSupport;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The points of {@code quiver demo knn}: an Arrow table with one column {@value #COLUMN} of type
 * {@code FixedSizeList<float32>[D]}, so that point {@code i} is {@code D} consecutive floats (row-major), split into
 * record batches of at most {@value #MAX_BATCH_BYTES} bytes of coordinates (Arrow Java's vectors stay far below their
 * 2 GiB limit; the table itself may be larger).
 *
 * <p>An instance reads the coordinates straight from the memory of the batches' vectors, wherever that memory is:
 * the store's arena (zero-copy) or buffers of the process's own (a copy). It never copies the table; callers copy
 * one point at a time at most.
 */
final class KnnPoints {
    static final String COLUMN = "point";
    static final long MAX_BATCH_BYTES = 256L << 20;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final MemorySegment[] batches;
    private final int rowsPerBatch;
    private final int size;
    private final int dims;

    private KnnPoints(MemorySegment[] batches, int rowsPerBatch, int size, int dims) {
        this.batches = batches;
        this.rowsPerBatch = rowsPerBatch;
        this.size = size;
        this.dims = dims;
    }

    /** The schema of a table of {@code dims}-dimensional points. */
    static Schema schema(int dims) {
        Field coordinate = new Field("coordinate",
                FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null);
        return new Schema(List.of(new Field(COLUMN, FieldType.notNullable(new ArrowType.FixedSizeList(dims)),
                List.of(coordinate))));
    }

    /** Rows per record batch for points of {@code dims} dimensions. */
    static int rowsPerBatch(int dims) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE / dims, MAX_BATCH_BYTES / (4L * dims)));
    }

    /** Bytes of coordinates in a table of {@code points} points of {@code dims} dimensions. */
    static long coordinateBytes(long points, int dims) {
        return points * dims * 4L;
    }

    /**
     * The batches of a table of {@code points} random points, uniform in the unit cube [0, 1)^dims, from a seed.
     * Every iteration generates the same batches again (the store's writer reads them twice: to measure, to write),
     * each into one reused root, so the whole table is never held outside the store.
     */
    static Iterable<VectorSchemaRoot> randomBatches(int points, int dims, long seed, BufferAllocator allocator,
                                                    List<AutoCloseable> toClose) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema(dims), allocator);
        toClose.add(root);
        int perBatch = rowsPerBatch(dims);
        return () -> new Iterator<>() {
            private final SplittableRandom random = new SplittableRandom(seed);
            private int done;

            @Override
            public boolean hasNext() {
                return done < points;
            }

            @Override
            public VectorSchemaRoot next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int rows = Math.min(perBatch, points - done);
                FixedSizeListVector list = (FixedSizeListVector) root.getVector(COLUMN);
                Float4Vector coordinates = (Float4Vector) list.getDataVector();
                list.setInitialCapacity(rows); // and rows * dims for the coordinates
                root.allocateNew();            // releases the previous batch's buffers
                for (int r = 0; r < rows; r++) {
                    list.setNotNull(r);
                    for (int c = 0; c < dims; c++) {
                        coordinates.set(r * dims + c, (float) random.nextDouble());
                    }
                }
                root.setRowCount(rows);
                done += rows;
                return root;
            }
        };
    }

    /** The points of a table's batches, read in place. The batches must stay open while this is used. */
    @SuppressWarnings("restricted") // a segment over a vector's buffer: Arrow owns it, the caller keeps it open
    static KnnPoints of(List<VectorSchemaRoot> batches) {
        if (batches.isEmpty()) {
            throw new IllegalArgumentException("the table has no record batch");
        }
        List<MemorySegment> segments = new ArrayList<>();
        int dims = -1;
        int rowsPerBatch = batches.getFirst().getRowCount();
        long size = 0;
        for (int b = 0; b < batches.size(); b++) {
            VectorSchemaRoot batch = batches.get(b);
            if (!(batch.getVector(COLUMN) instanceof FixedSizeListVector list)
                    || !(list.getDataVector() instanceof Float4Vector coordinates)) {
                throw new IllegalArgumentException("the table has no column '" + COLUMN
                        + "' of type FixedSizeList<float32>: " + batch.getSchema());
            }
            dims = list.getListSize();
            int rows = batch.getRowCount();
            if (b < batches.size() - 1 && rows != rowsPerBatch) {
                throw new IllegalArgumentException("record batch " + b + " has " + rows + " rows, expected "
                        + rowsPerBatch + " (every batch but the last has the same number of rows)");
            }
            long bytes = coordinateBytes(rows, dims);
            if (coordinates.getDataBuffer().capacity() < bytes) {
                throw new IllegalArgumentException("record batch " + b + " holds fewer coordinates than its rows");
            }
            segments.add(MemorySegment.ofAddress(coordinates.getDataBuffer().memoryAddress()).reinterpret(bytes));
            size += rows;
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("more than 2^31-1 points");
        }
        return new KnnPoints(segments.toArray(MemorySegment[]::new), Math.max(1, rowsPerBatch), (int) size, dims);
    }

    int size() {
        return size;
    }

    int dims() {
        return dims;
    }

    /** Copies the coordinates of point {@code i} into {@code into} (length at least dims). */
    void read(int i, float[] into) {
        MemorySegment.copy(batches[i / rowsPerBatch], FLOAT, (long) (i % rowsPerBatch) * dims * 4, into, 0, dims);
    }

    /** The Euclidean distance between two points, accumulated in double. */
    double distance(int a, int b) {
        MemorySegment sa = batches[a / rowsPerBatch];
        MemorySegment sb = batches[b / rowsPerBatch];
        long oa = (long) (a % rowsPerBatch) * dims * 4;
        long ob = (long) (b % rowsPerBatch) * dims * 4;
        double sum = 0;
        for (int c = 0; c < dims; c++) {
            double d = (double) sa.get(FLOAT, oa + 4L * c) - sb.get(FLOAT, ob + 4L * c);
            sum += d * d;
        }
        return Math.sqrt(sum);
    }

    /**
     * The points as JVector's {@link RandomAccessVectorValues}: JVector reads every vector through it, from the
     * table's memory, one vector at a time into a scratch vector (which is why {@link #isValueShared()} is true and
     * each thread gets its own {@link #copy()}).
     */
    RandomAccessVectorValues vectorValues() {
        return new Vectors(this);
    }

    /** The ids of the sampled queries whose neighbours the workers report and the coordinator checks. */
    static int[] sample(int points, int size, long seed) {
        int n = Math.min(points, size);
        // Evenly spread over the table with a random phase: every worker's slice gets its share.
        double step = (double) points / n;
        double phase = new SplittableRandom(seed ^ 0x5DEECE66DL).nextDouble() * step;
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = (int) Math.min(points - 1, Math.floor(phase + i * step));
        }
        return ids;
    }

    private static final class Vectors implements RandomAccessVectorValues {
        private static final VectorTypeSupport VTS = VectorizationProvider.getInstance().getVectorTypeSupport();
        private final KnnPoints points;
        private final float[] scratch;
        private final VectorFloat<?> vector;

        Vectors(KnnPoints points) {
            this.points = points;
            this.scratch = new float[points.dims];
            this.vector = VTS.createFloatVector(scratch); // wraps the array: refilled on every getVector
        }

        @Override
        public int size() {
            return points.size;
        }

        @Override
        public int dimension() {
            return points.dims;
        }

        @Override
        public VectorFloat<?> getVector(int node) {
            points.read(node, scratch);
            return vector;
        }

        @Override
        public boolean isValueShared() {
            return true;
        }

        @Override
        public RandomAccessVectorValues copy() {
            return new Vectors(points);
        }
    }

    /** Every field vector of a batch, with their children, depth first. */
    static List<FieldVector> allVectors(VectorSchemaRoot batch) {
        List<FieldVector> all = new ArrayList<>();
        for (FieldVector v : batch.getFieldVectors()) {
            addWithChildren(v, all);
        }
        return all;
    }

    private static void addWithChildren(FieldVector v, List<FieldVector> all) {
        all.add(v);
        for (FieldVector c : v.getChildrenFromFields()) {
            addWithChildren(c, all);
        }
    }
}
