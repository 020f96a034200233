package dev.quiver.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Drives an {@link Engine} the way a transport does: accept, decoded requests, disconnect, expire. Time is a
 * {@link FakeClock}; answers land in a {@link RecordingOutbox}. The helpers check that each answer has the
 * expected type, so a test reads like the conversation it checks.
 */
final class EngineDriver {
    static final String ARENA = "/dev/shm/quiver-test-arena";

    final FakeClock clock = new FakeClock();
    final RecordingOutbox outbox = new RecordingOutbox();
    final Engine engine;
    private int nextRequestId = 1;

    EngineDriver(long capacity) {
        engine = new Engine(capacity, ARENA, outbox, clock::nanos, clock::wallMillis);
    }

    static ObjectId id(String name) {
        return ObjectId.forName(name);
    }

    // ------------------------------------------------------------------------------------------- plumbing

    /** A new connection that has sent Connect successfully. */
    long connect() {
        return connect("test-client");
    }

    long connect(String name) {
        long client = engine.accept();
        Reply r = call(client, new Request.Connect(FrameCodec.PROTOCOL_VERSION, name, 4242));
        assertThat(r).isInstanceOf(Reply.Connected.class);
        assertThat(((Reply.Connected) r).clientId()).isEqualTo(client);
        return client;
    }

    /** Hands a request to the engine; returns its request id. */
    int send(long client, Request request) {
        int requestId = nextRequestId++;
        engine.handle(client, requestId, request);
        pumpAll();
        return requestId;
    }

    /** Hands a request to the engine and leaves its chunked reply, if any, for the test to {@code pump}. */
    int sendUnpumped(long client, Request request) {
        int requestId = nextRequestId++;
        engine.handle(client, requestId, request);
        outbox.wantMore.remove(client);
        return requestId;
    }

    /** Sends every chunked reply to the end, as a transport does for clients that read fast. */
    void pumpAll() {
        Long client;
        while ((client = outbox.wantMore.poll()) != null) {
            while (engine.pump(client)) {
                // next chunk
            }
        }
    }

    /** Sends a request that must be answered at once, with exactly one frame. */
    Reply call(long client, Request request) {
        int requestId = send(client, request);
        List<Reply> replies = outbox.replies(client, requestId);
        assertThat(replies).as("answers to %s", request).hasSize(1);
        return replies.getFirst();
    }

    /** The answer to an earlier request, if it has come; never more than one. */
    Optional<Reply> answer(long client, int requestId) {
        List<Reply> replies = outbox.replies(client, requestId);
        assertThat(replies).as("answers to request %d", requestId).hasSizeLessThanOrEqualTo(1);
        return replies.stream().findFirst();
    }

    /** Moves time on and lets the engine answer what fell due, as the transport's loop does. */
    void advanceMillis(long millis) {
        clock.advanceMillis(millis);
        engine.expire();
    }

    // ------------------------------------------------------------------------------------------ requests

    Reply create(long client, ObjectId id, long dataSize, long metadataSize, long timeoutMillis) {
        return call(client, new Request.Create(id, dataSize, metadataSize, timeoutMillis));
    }

    /** Creates an object that must fit now; returns its offset. */
    long created(long client, ObjectId id, long dataSize, long metadataSize) {
        Reply r = create(client, id, dataSize, metadataSize, 0);
        assertThat(r).as("create %s", id).isInstanceOf(Reply.Created.class);
        return ((Reply.Created) r).offset();
    }

    long created(long client, ObjectId id, long size) {
        return created(client, id, size, 0);
    }

    Reply createBatch(long client, long timeoutMillis, Request.CreateSpec... specs) {
        return call(client, new Request.CreateBatch(List.of(specs), timeoutMillis));
    }

    List<Status> seal(long client, Request.SealSpec... specs) {
        return statuses(call(client, new Request.Seal(List.of(specs))));
    }

    Status seal(long client, ObjectId id, long digest) {
        return seal(client, new Request.SealSpec(id, digest)).getFirst();
    }

    Status seal(long client, ObjectId id) {
        return seal(client, id, digestOf(id));
    }

    /** Create, seal and release: a sealed object nobody holds (evictable). Returns its offset. */
    long put(long client, ObjectId id, long size) {
        long offset = created(client, id, size);
        assertThat(seal(client, id)).isEqualTo(Status.OK);
        assertThat(release(client, id)).containsExactly(Status.OK);
        return offset;
    }

    /** Create and seal, keeping the creator's reference. */
    long putHeld(long client, ObjectId id, long size) {
        long offset = created(client, id, size);
        assertThat(seal(client, id)).isEqualTo(Status.OK);
        return offset;
    }

    Reply abort(long client, ObjectId id) {
        return call(client, new Request.Abort(id));
    }

    /** A get that must be answered at once. */
    List<Reply.Location> get(long client, long timeoutMillis, ObjectId... ids) {
        Reply r = call(client, new Request.Get(List.of(ids), timeoutMillis));
        assertThat(r).isInstanceOf(Reply.Objects.class);
        return ((Reply.Objects) r).objects();
    }

    /** A get that must wait; returns its request id. */
    int getWaiting(long client, long timeoutMillis, ObjectId... ids) {
        int requestId = send(client, new Request.Get(List.of(ids), timeoutMillis));
        assertThat(answer(client, requestId)).as("get of %s answered early", List.of(ids)).isEmpty();
        return requestId;
    }

    /** The locations a waiting get was eventually answered with. */
    List<Reply.Location> gotten(long client, int requestId) {
        Optional<Reply> r = answer(client, requestId);
        assertThat(r).as("answer to get %d", requestId).isPresent();
        assertThat(r.get()).isInstanceOf(Reply.Objects.class);
        return ((Reply.Objects) r.get()).objects();
    }

    List<Status> release(long client, ObjectId... ids) {
        return statuses(call(client, new Request.Release(List.of(ids))));
    }

    List<Status> contains(long client, ObjectId... ids) {
        return statuses(call(client, new Request.Contains(List.of(ids))));
    }

    List<Status> delete(long client, ObjectId... ids) {
        return statuses(call(client, new Request.Delete(List.of(ids))));
    }

    Reply.Evicted evict(long client, long bytes) {
        Reply r = call(client, new Request.Evict(bytes));
        assertThat(r).isInstanceOf(Reply.Evicted.class);
        return (Reply.Evicted) r;
    }

    Reply hash(long client, ObjectId id) {
        return call(client, new Request.Hash(id));
    }

    /** Every listing frame of one List request, concatenated; checks that only the last frame is flagged last. */
    List<ObjectInfo> list(long client) {
        return listing(client, new Request.ListObjects());
    }

    List<ObjectInfo> range(long client, ObjectId from, ObjectId to, int limit, boolean descending) {
        return listing(client, new Request.Range(from, to, limit, descending));
    }

    private List<ObjectInfo> listing(long client, Request request) {
        int requestId = send(client, request);
        List<Reply> frames = outbox.replies(client, requestId);
        assertThat(frames).isNotEmpty();
        List<ObjectInfo> all = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            Reply.Listing l = (Reply.Listing) frames.get(i);
            assertThat(l.last()).as("frame %d of %d flagged last", i + 1, frames.size())
                    .isEqualTo(i == frames.size() - 1);
            assertThat(l.objects().size()).isLessThanOrEqualTo(FrameCodec.LISTING_CHUNK);
            all.addAll(l.objects());
        }
        return all;
    }

    Optional<ObjectInfo> info(long client, ObjectId id) {
        return list(client).stream().filter(i -> i.id().equals(id)).findFirst();
    }

    Reply.StoreStats stats() {
        return engine.stats();
    }

    // ------------------------------------------------------------------------------------------- checks

    static List<Status> statuses(Reply r) {
        assertThat(r).isInstanceOf(Reply.Statuses.class);
        return ((Reply.Statuses) r).statuses();
    }

    /** Asserts an error of this status and returns its message. */
    static String error(Reply r, Status status) {
        assertThat(r).isInstanceOf(Reply.Error.class);
        Reply.Error e = (Reply.Error) r;
        assertThat(e.status()).as("status of %s", e).isEqualTo(status);
        assertThat(e.message()).isNotBlank();
        return e.message();
    }

    static long digestOf(ObjectId id) {
        return id.hashCode() * 0x9E3779B97F4A7C15L;
    }

    static long block(long size) {
        return Allocator.blockSize(size);
    }

    /**
     * The engine's books balance: used bytes are the blocks of the listed objects; pinned and evictable split them
     * by whether anything holds the object; counts agree.
     */
    void checkBooks(long observer) {
        Reply.StoreStats s = stats();
        List<ObjectInfo> all = list(observer);
        long used = 0;
        long evictable = 0;
        for (ObjectInfo i : all) {
            long b = block(i.dataSize() + i.metadataSize());
            used += b;
            if (i.state() == ObjectState.SEALED && i.refCount() == 0) {
                evictable += b;
            }
            assertThat(i.refCount()).isNotNegative();
            if (i.state() == ObjectState.CREATED) {
                assertThat(i.refCount()).as("an unsealed object is held by its writer").isEqualTo(1);
            }
        }
        assertThat(s.used()).as("used").isEqualTo(used);
        assertThat(s.evictable()).as("evictable").isEqualTo(evictable);
        assertThat(s.pinned()).as("pinned").isEqualTo(used - evictable);
        assertThat(s.objects()).as("objects").isEqualTo(all.size());
        assertThat(s.used()).isBetween(0L, s.capacity());
    }
}
