package dev.quiver.store;

import static dev.quiver.store.EngineDriver.block;
import static dev.quiver.store.EngineDriver.error;
import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Request.CreateSpec;
import dev.quiver.protocol.Request.SealSpec;
import dev.quiver.protocol.Status;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EngineCreateTest {
    static final long CAPACITY = 64 * 1024;
    final EngineDriver d = new EngineDriver(CAPACITY);
    final long a = d.connect("a");
    final long b = d.connect("b");

    @Nested
    class Create {

        @ParameterizedTest
        @CsvSource({"0,0,64", "1,0,64", "0,1,64", "63,1,64", "64,0,64", "64,1,128", "1000,24,1024", "1000,25,1088",
                "65536,0,65536"})
        void allocatesAnAlignedBlockOfDataPlusMetadata(long data, long meta, long expectedBlock) {
            long offset = d.created(a, id("x"), data, meta);

            assertThat(offset % Allocator.ALIGN).isZero();
            assertThat(offset + expectedBlock).isLessThanOrEqualTo(CAPACITY);
            assertThat(d.stats().used()).isEqualTo(expectedBlock);
            assertThat(d.stats().pinned()).isEqualTo(expectedBlock);
            ObjectInfo info = d.info(a, id("x")).orElseThrow();
            assertThat(info.dataSize()).isEqualTo(data);
            assertThat(info.metadataSize()).isEqualTo(meta);
            assertThat(info.state()).isEqualTo(ObjectState.CREATED);
            assertThat(info.refCount()).isEqualTo(1);
        }

        @Test
        void objectsDoNotOverlap() {
            List<long[]> blocks = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                long size = 100L * (i + 1);
                blocks.add(new long[] {d.created(a, id("o" + i), size, i), block(size + i)});
            }
            blocks.sort((x, y) -> Long.compare(x[0], y[0]));
            for (int i = 1; i < blocks.size(); i++) {
                assertThat(blocks.get(i)[0]).isGreaterThanOrEqualTo(blocks.get(i - 1)[0] + blocks.get(i - 1)[1]);
            }
            d.checkBooks(a);
        }

        @Test
        void anUnsealedObjectIsInvisibleToOthers() {
            d.created(a, id("x"), 10);

            assertThat(d.get(b, 0, id("x"))).containsExactly(Reply.Location.ABSENT);
            assertThat(d.contains(b, id("x"))).containsExactly(Status.OBJECT_NOT_FOUND);
            assertThat(d.get(a, 0, id("x"))).as("nor to its writer").containsExactly(Reply.Location.ABSENT);
        }

        @Test
        void anExistingIdIsRefusedWhetherSealedOrNot() {
            d.created(a, id("unsealed"), 10);
            d.putHeld(a, id("sealed"), 10);
            long used = d.stats().used();

            assertThat(error(d.create(b, id("unsealed"), 10, 0, 0), Status.OBJECT_EXISTS))
                    .contains(id("unsealed").toString());
            assertThat(error(d.create(a, id("sealed"), 999, 0, 0), Status.OBJECT_EXISTS))
                    .contains(id("sealed").toString());
            // Waiting is no help: the answer is immediate.
            assertThat(error(d.create(b, id("sealed"), 10, 0, -1), Status.OBJECT_EXISTS)).isNotEmpty();

            assertThat(d.stats().used()).isEqualTo(used);
            assertThat(d.info(a, id("sealed")).orElseThrow().dataSize()).isEqualTo(10);
        }

        @ParameterizedTest
        @CsvSource({"-1,0", "0,-1", "-9223372036854775808,0", "9223372036854775807,1", "1,9223372036854775807"})
        void invalidSizesAreRefused(long data, long meta) {
            Reply r = d.create(a, id("x"), data, meta, 0);

            assertThat(error(r, Status.INVALID_REQUEST)).contains("sizes");
            assertThat(d.stats().objects()).isZero();
            assertThat(d.stats().used()).isZero();
        }

        @ParameterizedTest
        @CsvSource({"65537,0", "65536,1", "1,65536", "4611686018427387904,0", "9223372036854775807,0",
                "9223372036854775800,7", "9223372036854775745,0"})
        void anObjectLargerThanTheCapacityCanNeverFit(long data, long meta) {
            Reply r = d.create(a, id("x"), data, meta, -1);

            String message = error(r, Status.STORE_FULL);
            assertThat(message).contains(String.valueOf(CAPACITY)).contains("-m");
            assertThat(d.stats().objects()).isZero();
            assertThat(d.stats().used()).isZero();
            assertThat(d.engine.nextDeadline()).as("nothing waits").isEqualTo(Long.MAX_VALUE);
        }

        @Test
        void theWholeCapacityFitsInOneObject() {
            assertThat(d.created(a, id("all"), CAPACITY - 10, 10)).isZero();
            assertThat(d.stats().used()).isEqualTo(CAPACITY);
        }

        @Test
        void anIdIsFreeAgainOnceItsObjectIsGone() {
            d.put(a, id("x"), 10);
            assertThat(d.delete(a, id("x"))).containsExactly(Status.OK);

            d.created(b, id("x"), 20);

            assertThat(d.info(a, id("x")).orElseThrow().dataSize()).isEqualTo(20);
        }
    }

    @Nested
    class CreateBatch {

        @Test
        void createsEveryObjectAndAnswersOffsetsInRequestOrder() {
            Reply r = d.createBatch(a, 0, new CreateSpec(id("p"), 100, 0), new CreateSpec(id("q"), 0, 0),
                    new CreateSpec(id("r"), 1000, 64));

            assertThat(r).isInstanceOf(Reply.CreatedBatch.class);
            List<Long> offsets = ((Reply.CreatedBatch) r).offsets();
            assertThat(offsets).hasSize(3).doesNotHaveDuplicates().allMatch(o -> o % 64 == 0);
            assertThat(d.stats().used()).isEqualTo(128 + 64 + 1088);
            assertThat(d.list(a)).extracting(ObjectInfo::id).containsExactlyInAnyOrder(id("p"), id("q"), id("r"));
            assertThat(d.seal(a, new SealSpec(id("p"), 1), new SealSpec(id("q"), 2), new SealSpec(id("r"), 3)))
                    .containsOnly(Status.OK);
            assertThat(d.get(b, 0, id("r"), id("p"))).containsExactly(
                    new Reply.Location(true, offsets.get(2), 1000, 64),
                    new Reply.Location(true, offsets.get(0), 100, 0));
        }

        @Test
        void anEmptyBatchIsInvalid() {
            assertThat(error(d.createBatch(a, 0), Status.INVALID_REQUEST)).contains("empty");
        }

        @Test
        void aRepeatedIdIsInvalidAndCreatesNothing() {
            Reply r = d.createBatch(a, 0, new CreateSpec(id("p"), 1, 0), new CreateSpec(id("q"), 1, 0),
                    new CreateSpec(id("p"), 2, 0));

            assertThat(error(r, Status.INVALID_REQUEST)).contains(id("p").toString()).contains("twice");
            assertNoTrace(0);
        }

        @Test
        void anInvalidSizeAnywhereCreatesNothing() {
            Reply r = d.createBatch(a, 0, new CreateSpec(id("p"), 1, 0), new CreateSpec(id("q"), 1, 0),
                    new CreateSpec(id("r"), -5, 0));

            assertThat(error(r, Status.INVALID_REQUEST)).contains("-5");
            assertNoTrace(0);
        }

        @Test
        void anExistingIdInTheMiddleCreatesNothing() {
            d.put(b, id("q"), 640);

            Reply r = d.createBatch(a, -1, new CreateSpec(id("p"), 100, 0), new CreateSpec(id("q"), 100, 0),
                    new CreateSpec(id("r"), 100, 0));

            assertThat(error(r, Status.OBJECT_EXISTS)).contains(id("q").toString());
            assertNoTrace(640);
            assertThat(d.info(a, id("q")).orElseThrow().dataSize()).isEqualTo(640);
        }

        @Test
        void aBatchLargerThanTheCapacityCanNeverFit() {
            Reply r = d.createBatch(a, -1, new CreateSpec(id("p"), CAPACITY / 2, 0),
                    new CreateSpec(id("q"), CAPACITY / 2, 0), new CreateSpec(id("r"), 1, 0));

            assertThat(error(r, Status.STORE_FULL)).contains(String.valueOf(CAPACITY + 64));
            assertNoTrace(0);
            assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        }

        @Test
        void aBatchWhoseSizesOverflowWhenAddedCanNeverFit() {
            Reply r = d.createBatch(a, 0, new CreateSpec(id("p"), Long.MAX_VALUE / 2, 0),
                    new CreateSpec(id("q"), Long.MAX_VALUE / 2, 0), new CreateSpec(id("r"), Long.MAX_VALUE / 2, 0));

            assertThat(error(r, Status.STORE_FULL)).contains("never fit");
            assertNoTrace(0);
        }

        @Test
        void aRepeatedIdIsReportedBeforeASizeThatCanNeverFit() {
            Reply r = d.createBatch(a, 0, new CreateSpec(id("p"), Long.MAX_VALUE, 0), new CreateSpec(id("q"), 1, 0),
                    new CreateSpec(id("q"), 1, 0));

            assertThat(error(r, Status.INVALID_REQUEST)).contains("twice");
            assertNoTrace(0);
        }

        /**
         * Memory fragmented by pinned objects: the first object of the batch fits, the second does not. The batch
         * fails and gives the first one's memory back.
         */
        @Test
        void aBatchThatRunsOutOfMemoryMidwayLeavesNoTrace() {
            EngineDriver small = new EngineDriver(1024);
            long w = small.connect();
            // [0,256) pinned, [256,512) free, [512,768) pinned, [768,1024) free
            small.created(w, id("pin1"), 256);
            small.created(w, id("hole1"), 256);
            small.created(w, id("pin2"), 256);
            small.created(w, id("hole2"), 256);
            assertThat(small.abort(w, id("hole1"))).isEqualTo(new Reply.Ok());
            assertThat(small.abort(w, id("hole2"))).isEqualTo(new Reply.Ok());
            assertThat(small.stats().used()).isEqualTo(512);

            // 128 + 384 = 512 bytes are free, but not 384 in one piece.
            Reply r = small.createBatch(w, 0, new CreateSpec(id("p"), 128, 0), new CreateSpec(id("q"), 384, 0));

            assertThat(error(r, Status.STORE_FULL)).contains("needed 512");
            assertThat(small.stats().used()).isEqualTo(512);
            assertThat(small.list(w)).extracting(ObjectInfo::id).containsExactlyInAnyOrder(id("pin1"), id("pin2"));
            // The memory handed back is whole again: two 256-byte objects fit where the batch did not.
            small.created(w, id("s1"), 256);
            small.created(w, id("s2"), 256);
            assertThat(small.stats().used()).isEqualTo(1024);
        }

        @Test
        void aBatchOfManyObjectsFillsTheStoreExactly() {
            List<CreateSpec> specs = new ArrayList<>();
            for (int i = 0; i < CAPACITY / 64; i++) {
                specs.add(new CreateSpec(id("o" + i), i % 65, 0));
            }

            Reply r = d.call(a, new Request.CreateBatch(specs, 0));

            Set<Long> offsets = new HashSet<>(((Reply.CreatedBatch) r).offsets());
            assertThat(offsets).hasSize(specs.size());
            assertThat(d.stats().used()).isEqualTo(CAPACITY);
        }

        private void assertNoTrace(long usedBefore) {
            assertThat(d.stats().used()).isEqualTo(usedBefore);
            for (String name : List.of("p", "r")) {
                assertThat(d.info(a, id(name))).as(name).isEmpty();
            }
            d.checkBooks(a);
        }
    }

    @Nested
    class Seal {

        @Test
        void sealMakesTheObjectVisibleAndRecordsItsDigest() {
            d.created(a, id("x"), 10, 2);
            assertThat(d.contains(b, id("x"))).containsExactly(Status.OBJECT_NOT_FOUND);

            assertThat(d.seal(a, id("x"), 0xABCDEFL)).isEqualTo(Status.OK);

            assertThat(d.contains(b, id("x"))).containsExactly(Status.OK);
            assertThat(d.hash(b, id("x"))).isEqualTo(new Reply.Digest(0xABCDEFL));
            ObjectInfo info = d.info(b, id("x")).orElseThrow();
            assertThat(info.state()).isEqualTo(ObjectState.SEALED);
            assertThat(info.digest()).isEqualTo(0xABCDEFL);
            assertThat(info.refCount()).as("the writer keeps its reference until it releases").isEqualTo(1);
            assertThat(d.stats().evictable()).isZero();
        }

        @Test
        void onlyTheWriterMaySeal() {
            d.created(a, id("x"), 10);

            assertThat(d.seal(b, id("x"), 1)).isEqualTo(Status.NOT_OWNER);

            assertThat(d.contains(b, id("x"))).containsExactly(Status.OBJECT_NOT_FOUND);
            assertThat(d.info(a, id("x")).orElseThrow().state()).isEqualTo(ObjectState.CREATED);
        }

        @Test
        void sealingTwiceIsRefusedAndKeepsTheFirstDigest() {
            d.created(a, id("x"), 10);
            assertThat(d.seal(a, id("x"), 1)).isEqualTo(Status.OK);

            assertThat(d.seal(a, id("x"), 2)).isEqualTo(Status.ALREADY_SEALED);
            assertThat(d.seal(b, id("x"), 3)).isEqualTo(Status.ALREADY_SEALED);

            assertThat(d.hash(a, id("x"))).isEqualTo(new Reply.Digest(1));
        }

        @Test
        void sealingAnUnknownObjectIsNotFound() {
            assertThat(d.seal(a, id("nothing"), 1)).isEqualTo(Status.OBJECT_NOT_FOUND);
        }

        @Test
        void aSealOfSeveralObjectsAnswersEachInOrder() {
            d.created(a, id("mine"), 10);
            d.created(b, id("theirs"), 10);
            d.putHeld(a, id("done"), 10);

            List<Status> r = d.seal(a, new SealSpec(id("mine"), 1), new SealSpec(id("theirs"), 2),
                    new SealSpec(id("done"), 3), new SealSpec(id("nothing"), 4), new SealSpec(id("mine"), 5));

            assertThat(r).containsExactly(Status.OK, Status.NOT_OWNER, Status.ALREADY_SEALED, Status.OBJECT_NOT_FOUND,
                    Status.ALREADY_SEALED);
            assertThat(d.hash(a, id("mine"))).isEqualTo(new Reply.Digest(1));
        }
    }

    @Nested
    class Abort {

        @Test
        void abortDropsTheObjectAsIfNeverCreated() {
            d.created(a, id("keep"), 100);
            d.created(a, id("x"), 1000);

            assertThat(d.abort(a, id("x"))).isEqualTo(new Reply.Ok());

            assertThat(d.stats().used()).isEqualTo(128);
            assertThat(d.info(a, id("x"))).isEmpty();
            assertThat(d.release(a, id("x"))).containsExactly(Status.NOT_HELD);
            d.created(b, id("x"), 10); // the id is free
            d.checkBooks(a);
        }

        @Test
        void aSealedObjectCannotBeAborted() {
            d.putHeld(a, id("x"), 10);

            assertThat(error(d.abort(a, id("x")), Status.ALREADY_SEALED)).contains("delete");
            assertThat(d.contains(b, id("x"))).containsExactly(Status.OK);
        }

        @Test
        void onlyTheWriterMayAbort() {
            d.created(a, id("x"), 10);

            error(d.abort(b, id("x")), Status.NOT_OWNER);

            assertThat(d.info(a, id("x"))).isPresent();
        }

        @Test
        void abortingAnUnknownObjectIsNotFound() {
            assertThat(error(d.abort(a, id("nothing")), Status.OBJECT_NOT_FOUND)).contains(id("nothing").toString());
        }
    }
}
