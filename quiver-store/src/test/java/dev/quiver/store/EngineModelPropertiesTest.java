package dev.quiver.store;

import static dev.quiver.store.EngineDriver.block;
import static dev.quiver.store.EngineDriver.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.quiver.protocol.ChangePage;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Reply.Location;
import dev.quiver.protocol.Reply.Notification;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import dev.quiver.protocol.testing.Theories;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Random conversations of several clients with one engine, replayed against a model of objects, references and
 * recency. After every step the engine's answers, notifications, listing and statistics must be what the model
 * predicts. The only thing the model does not predict is how many objects a create must evict (that depends on
 * fragmentation); it checks instead that they are the least recently released ones, in order.
 */
class EngineModelPropertiesTest {
    static final long CAPACITY = 8 * 1024;
    static final int CLIENTS = 3;
    static final List<ObjectId> IDS = IntStream.range(0, 6)
            .mapToObj(i -> ObjectId.forName("model-" + i)).toList();

    sealed interface Op {}

    record Create(int client, int id, long data, long meta) implements Op {}

    record Seal(int client, int id, long digest) implements Op {}

    record Abort(int client, int id) implements Op {}

    record Get(int client, List<Integer> ids) implements Op {}

    record Release(int client, List<Integer> ids) implements Op {}

    record Delete(int client, List<Integer> ids) implements Op {}

    record Contains(int client, List<Integer> ids) implements Op {}

    record Hash(int client, int id) implements Op {}

    record Evict(long bytes) implements Op {}

    record Disconnect(int client) implements Op {}

    /** Release keeping a hold on the memory (protocol.md, RELEASE_HELD). */
    record ReleaseHeld(int client, List<Integer> ids) implements Op {}

    /** Ends one of the client's holds, the {@code pick}-th (modulo) of them, or one it does not have if none. */
    record EndHold(int client, int pick) implements Op {}

    /** Create, seal and (if {@code release}) release, as a well-behaved writer does; each step checked. */
    record Put(int client, int id, long data, boolean release) implements Op {}

    /** Conversations: generated lists of commands, each checked against the model as it is applied. */
    static Gen<List<Op>> conversations() {
        Gen<Integer> client = integers().between(0, CLIENTS - 1);
        Gen<Integer> id = integers().between(0, IDS.size() - 1);
        Gen<List<Integer>> ids = lists().of(id).ofSizeBetween(1, 3);
        Gen<Long> data = Generate.frequency(Pair.of(8, longs().between(0, 3000)),
                Pair.of(1, longs().between(0, 10_000)));
        Gen<Op> create = client.zip(id, data, longs().between(0, 100), Create::new);
        Gen<Op> seal = client.zip(id, longs().all(), Seal::new);
        Gen<Op> abort = client.zip(id, Abort::new);
        Gen<Op> get = client.zip(ids, Get::new);
        Gen<Op> release = client.zip(ids, Release::new);
        Gen<Op> delete = client.zip(ids, Delete::new);
        Gen<Op> contains = client.zip(ids, Contains::new);
        Gen<Op> hash = client.zip(id, Hash::new);
        Gen<Op> evict = Generate.oneOf(longs().between(0, 5000), Generate.constant(Long.MAX_VALUE)).map(Evict::new);
        Gen<Op> disconnect = client.map(Disconnect::new);
        Gen<Op> put = client.zip(id, data, Generate.pick(List.of(true, true, false)), Put::new);
        Gen<Op> releaseHeld = client.zip(ids, ReleaseHeld::new);
        Gen<Op> endHold = client.zip(integers().between(0, 20), EndHold::new);
        return lists().of(Generate.frequency(List.of(
                Pair.of(10, put), Pair.of(6, create), Pair.of(6, seal), Pair.of(2, abort), Pair.of(8, get),
                Pair.of(8, release), Pair.of(4, releaseHeld), Pair.of(4, endHold),
                Pair.of(4, delete), Pair.of(2, contains), Pair.of(2, hash), Pair.of(2, evict),
                Pair.of(1, disconnect)))).ofSizeBetween(1, 80);
    }

    @Test
    void theEngineBehavesLikeItsModel() {
        int[] runs = new int[3]; // conversations, with evictions, with deferred deletes
        Theories.check(400, qt -> qt.forAll(conversations()).checkAssert(ops -> {
            Run run = new Run();
            for (Op op : ops) {
                Map<ObjectId, Boolean> visibleBefore = run.visibility();
                long[] countsBefore = run.changeCounts();
                run.apply(op);
                run.check();
                run.checkChangesCounted(visibleBefore, countsBefore);
            }
            run.finish();
            runs[0]++;
            runs[1] += run.evictions > 0 ? 1 : 0;
            runs[2] += run.deferred > 0 ? 1 : 0;
        }));
        // The generator reaches the interesting paths often enough to test them.
        assertThat(runs[1]).as("conversations with evictions, of %s", runs[0]).isGreaterThanOrEqualTo(runs[0] / 5);
        assertThat(runs[2]).as("conversations with deferred deletes, of %s", runs[0])
                .isGreaterThanOrEqualTo(runs[0] * 3 / 100);
    }

    /** The model's view of one object. */
    static final class MObject {
        final ObjectId id;
        final long data;
        final long meta;
        final long offset;
        final long block;
        final long creator;
        boolean sealed;
        boolean deletePending;
        long digest;
        final Map<Long, Integer> refs = new HashMap<>();
        /** Holds on its memory, per client (RELEASE_HELD). */
        final Map<Long, Integer> holds = new HashMap<>();

        MObject(ObjectId id, long data, long meta, long offset, long creator) {
            this.id = id;
            this.data = data;
            this.meta = meta;
            this.offset = offset;
            this.block = block(data + meta);
            this.creator = creator;
        }

        int refCount() {
            return refs.values().stream().mapToInt(Integer::intValue).sum();
        }

        int holdCount() {
            return holds.values().stream().mapToInt(Integer::intValue).sum();
        }

        boolean visible() {
            return sealed && !deletePending;
        }

        Notification notification(Notification.Kind kind) {
            return new Notification(kind, id, data, meta, digest);
        }
    }

    static final class Run {
        final EngineDriver d = new EngineDriver(CAPACITY);
        final long[] clients = new long[CLIENTS];
        final long watcher;
        final Map<ObjectId, MObject> objects = new HashMap<>();
        /** Objects gone from the store whose blocks are still held. */
        final List<MObject> heldGone = new ArrayList<>();
        /**
         * Evictable objects, least recently released first, as tiers: a release appends a tier of one; a
         * disconnect releases several at once in no specified order, as one tier.
         */
        final List<Set<ObjectId>> lru = new ArrayList<>();
        int seen;
        int evictions;
        int deferred;

        /** The change page the engine counts on, as clients read it in the arena file. */
        final MemorySegment changePage = Arena.ofAuto().allocate(ChangePage.BYTES, 8);

        Run() {
            ChangePage.format(changePage);
            d.engine.countChangesOn(changePage);
            for (int i = 0; i < CLIENTS; i++) {
                clients[i] = d.connect("client-" + i);
            }
            watcher = d.connect("watcher");
            assertThat(d.call(watcher, new Request.Subscribe())).isEqualTo(new Reply.Ok());
        }

        /** Whether each id is visible (to gets, contains and hash) in the model now. */
        Map<ObjectId, Boolean> visibility() {
            Map<ObjectId, Boolean> v = new HashMap<>();
            for (ObjectId id : IDS) {
                MObject o = objects.get(id);
                v.put(id, o != null && o.visible());
            }
            return v;
        }

        /** The change page's counter of each id's bucket, in the order of {@link #IDS}. */
        long[] changeCounts() {
            return IDS.stream().mapToLong(id -> ChangePage.read(changePage, ChangePage.bucket(id))).toArray();
        }

        /** Every id whose visibility changed has its bucket's counter grown: no client can miss a change. */
        void checkChangesCounted(Map<ObjectId, Boolean> visibleBefore, long[] countsBefore) {
            Map<ObjectId, Boolean> now = visibility();
            long[] counts = changeCounts();
            for (int i = 0; i < IDS.size(); i++) {
                assertThat(counts[i]).as("change counter of %s's bucket", IDS.get(i)).isGreaterThanOrEqualTo(countsBefore[i]);
                if (!now.get(IDS.get(i)).equals(visibleBefore.get(IDS.get(i)))) {
                    assertThat(counts[i]).as("%s became %s", IDS.get(i), now.get(IDS.get(i)) ? "visible" : "invisible")
                            .isGreaterThan(countsBefore[i]);
                }
            }
        }

        List<Notification> newNotifications() {
            List<Notification> all = d.outbox.notificationsView(watcher);
            List<Notification> fresh = List.copyOf(all.subList(seen, all.size()));
            seen = all.size();
            return fresh;
        }

        long used() {
            return objects.values().stream().mapToLong(o -> o.block).sum()
                    + heldGone.stream().mapToLong(o -> o.block).sum();
        }

        /** The object leaves the store; its block stays while held. */
        void gone(MObject o) {
            objects.remove(o.id);
            if (o.holdCount() > 0) {
                heldGone.add(o);
            }
        }

        long evictableBytes() {
            return lru.stream().flatMap(Set::stream).mapToLong(id -> objects.get(id).block).sum();
        }

        void lruRemove(ObjectId id) {
            lru.forEach(t -> t.remove(id));
            lru.removeIf(Set::isEmpty);
        }

        /** An eviction the engine reported: it must be of a least recently released object. */
        long evicted(Notification n) {
            assertThat(n.kind()).isEqualTo(Notification.Kind.DELETED);
            assertThat(lru).as("evicted %s with nothing evictable", n.id()).isNotEmpty();
            assertThat(lru.getFirst()).as("evicted %s, not least recently released", n.id()).contains(n.id());
            MObject o = objects.remove(n.id());
            assertThat(n).isEqualTo(o.notification(Notification.Kind.DELETED));
            lruRemove(n.id());
            evictions++;
            return o.block;
        }

        /** Releases one reference of a client; returns the DELETED notification due, if any. */
        Notification unref(MObject o, long client) {
            int held = o.refs.get(client);
            if (held == 1) {
                o.refs.remove(client);
            } else {
                o.refs.put(client, held - 1);
            }
            if (o.refCount() > 0) {
                return null;
            }
            if (o.deletePending) {
                gone(o);
                return o.notification(Notification.Kind.DELETED);
            }
            if (o.holdCount() == 0) {
                lru.add(new LinkedHashSet<>(List.of(o.id)));
            }
            return null;
        }

        /** Ends one hold of a client; true if it was the block's last. */
        boolean endHoldOf(MObject o, long client) {
            int n = o.holds.get(client);
            if (n == 1) {
                o.holds.remove(client);
            } else {
                o.holds.put(client, n - 1);
            }
            if (o.holdCount() > 0) {
                return false;
            }
            if (!heldGone.remove(o) && o.refCount() == 0 && o.sealed && !o.deletePending) {
                return true;
            }
            return false;
        }

        void apply(Op op) {
            switch (op) {
                case Create c -> create(clients[c.client()], IDS.get(c.id()), c.data(), c.meta());
                case Seal s -> seal(clients[s.client()], IDS.get(s.id()), s.digest());
                case Abort a -> abort(clients[a.client()], IDS.get(a.id()));
                case Get g -> get(clients[g.client()], ids(g.ids()));
                case Release r -> release(clients[r.client()], ids(r.ids()), false);
                case ReleaseHeld r -> release(clients[r.client()], ids(r.ids()), true);
                case EndHold e -> endHold(clients[e.client()], e.pick());
                case Delete x -> delete(clients[x.client()], ids(x.ids()));
                case Contains c -> {
                    List<Status> expected = ids(c.ids()).stream().map(id -> objects.containsKey(id)
                            && objects.get(id).visible() ? Status.OK : Status.OBJECT_NOT_FOUND).toList();
                    assertThat(d.contains(clients[c.client()], ids(c.ids()).toArray(ObjectId[]::new)))
                            .isEqualTo(expected);
                    assertThat(newNotifications()).isEmpty();
                }
                case Hash h -> hash(clients[h.client()], IDS.get(h.id()));
                case Evict e -> evict(e.bytes());
                case Disconnect x -> disconnect(x.client());
                case Put p -> {
                    long client = clients[p.client()];
                    ObjectId id = IDS.get(p.id());
                    create(client, id, p.data(), 0);
                    seal(client, id, p.data() * 31);
                    if (p.release()) {
                        release(client, List.of(id), false);
                    }
                }
            }
        }

        static List<ObjectId> ids(List<Integer> indexes) {
            return indexes.stream().map(IDS::get).toList();
        }

        void create(long client, ObjectId id, long data, long meta) {
            boolean existed = objects.containsKey(id);
            long needed = block(data + meta);
            long room = CAPACITY - used() + evictableBytes();

            Reply r = d.create(client, id, data, meta, 0);
            List<Notification> notes = newNotifications();

            if (needed > CAPACITY) {
                assertThat(error(r, Status.STORE_FULL)).contains("never fit");
                assertThat(notes).isEmpty();
                return;
            }
            if (existed) {
                error(r, Status.OBJECT_EXISTS);
                assertThat(notes).isEmpty();
                return;
            }
            if (needed > room) {
                assertThat(error(r, Status.STORE_FULL)).contains(String.valueOf(needed));
                assertThat(notes).as("nothing evicted in vain").isEmpty();
                return;
            }
            notes.forEach(this::evicted);
            if (r instanceof Reply.Created(long offset)) {
                assertThat(offset % Allocator.ALIGN).isZero();
                assertThat(offset).isNotNegative();
                assertThat(offset + needed).isLessThanOrEqualTo(CAPACITY);
                for (MObject o : java.util.stream.Stream.concat(objects.values().stream(), heldGone.stream()).toList()) {
                    assertThat(offset + needed <= o.offset || o.offset + o.block <= offset)
                            .as("new block [%d,+%d) overlaps %s at [%d,+%d)", offset, needed, o.id, o.offset, o.block)
                            .isTrue();
                }
                MObject o = new MObject(id, data, meta, offset, client);
                o.refs.put(client, 1);
                objects.put(id, o);
            } else {
                // Enough memory in total, but so fragmented that evicting could not make a run long enough:
                // nothing was evicted in vain.
                error(r, Status.STORE_FULL);
                assertThat(notes).as("nothing evicted in vain").isEmpty();
            }
        }

        void seal(long client, ObjectId id, long digest) {
            MObject o = objects.get(id);
            Status expected = o == null ? Status.OBJECT_NOT_FOUND : o.sealed ? Status.ALREADY_SEALED
                    : o.creator != client ? Status.NOT_OWNER : Status.OK;

            assertThat(d.seal(client, id, digest)).isEqualTo(expected);

            if (expected == Status.OK) {
                o.sealed = true;
                o.digest = digest;
                assertThat(newNotifications()).containsExactly(o.notification(Notification.Kind.SEALED));
            } else {
                assertThat(newNotifications()).isEmpty();
            }
        }

        void abort(long client, ObjectId id) {
            MObject o = objects.get(id);
            Reply r = d.abort(client, id);
            if (o == null) {
                error(r, Status.OBJECT_NOT_FOUND);
            } else if (o.sealed) {
                error(r, Status.ALREADY_SEALED);
            } else if (o.creator != client) {
                error(r, Status.NOT_OWNER);
            } else {
                assertThat(r).isEqualTo(new Reply.Ok());
                objects.remove(id);
            }
            assertThat(newNotifications()).isEmpty();
        }

        void get(long client, List<ObjectId> ids) {
            List<Location> expected = new ArrayList<>();
            for (ObjectId id : ids) {
                MObject o = objects.get(id);
                if (o != null && o.visible()) {
                    if (o.refCount() == 0) {
                        lruRemove(id);
                    }
                    o.refs.merge(client, 1, Integer::sum);
                    expected.add(new Location(true, o.offset, o.data, o.meta));
                } else {
                    expected.add(Location.ABSENT);
                }
            }
            assertThat(d.get(client, 0, ids.toArray(ObjectId[]::new))).isEqualTo(expected);
            assertThat(newNotifications()).isEmpty();
        }

        void release(long client, List<ObjectId> ids, boolean hold) {
            List<Status> expected = new ArrayList<>();
            List<Notification> notes = new ArrayList<>();
            for (ObjectId id : ids) {
                MObject o = objects.get(id);
                if (o == null || !o.refs.containsKey(client)) {
                    expected.add(Status.NOT_HELD);
                } else if (!o.sealed) {
                    expected.add(Status.NOT_SEALED);
                } else {
                    if (hold) {
                        o.holds.merge(client, 1, Integer::sum);
                    }
                    Notification n = unref(o, client);
                    if (n != null) {
                        notes.add(n);
                    }
                    expected.add(Status.OK);
                }
            }
            List<Status> got = hold
                    ? EngineDriver.statuses(d.call(client, new Request.ReleaseHeld(ids)))
                    : d.release(client, ids.toArray(ObjectId[]::new));
            assertThat(got).isEqualTo(expected);
            assertThat(newNotifications()).isEqualTo(notes);
        }

        void endHold(long client, int pick) {
            List<MObject> heldByClient = java.util.stream.Stream.concat(objects.values().stream(), heldGone.stream())
                    .filter(o -> o.holds.containsKey(client)).sorted(java.util.Comparator.comparingLong(o -> o.offset))
                    .toList();
            if (heldByClient.isEmpty()) {
                assertThat(EngineDriver.statuses(d.call(client, new Request.EndHolds(List.of(8L * pick + 1)))))
                        .containsExactly(Status.NOT_HELD);
            } else {
                MObject o = heldByClient.get(pick % heldByClient.size());
                if (endHoldOf(o, client)) {
                    lru.add(new LinkedHashSet<>(List.of(o.id)));
                }
                assertThat(EngineDriver.statuses(d.call(client, new Request.EndHolds(List.of(o.offset)))))
                        .containsExactly(Status.OK);
            }
            assertThat(newNotifications()).isEmpty();
        }

        void delete(long client, List<ObjectId> ids) {
            List<Status> expected = new ArrayList<>();
            List<Notification> notes = new ArrayList<>();
            for (ObjectId id : ids) {
                MObject o = objects.get(id);
                if (o == null) {
                    expected.add(Status.OBJECT_NOT_FOUND);
                } else if (!o.sealed) {
                    expected.add(Status.NOT_SEALED);
                } else if (o.refCount() > 0) {
                    o.deletePending = true;
                    deferred++;
                    expected.add(Status.DEFERRED);
                } else {
                    lruRemove(id);
                    gone(o);
                    notes.add(o.notification(Notification.Kind.DELETED));
                    expected.add(Status.OK);
                }
            }
            assertThat(d.delete(client, ids.toArray(ObjectId[]::new))).isEqualTo(expected);
            assertThat(newNotifications()).isEqualTo(notes);
        }

        void hash(long client, ObjectId id) {
            MObject o = objects.get(id);
            Reply r = d.hash(client, id);
            if (o == null || o.deletePending) {
                error(r, Status.OBJECT_NOT_FOUND);
            } else if (!o.sealed) {
                error(r, Status.NOT_SEALED);
            } else {
                assertThat(r).isEqualTo(new Reply.Digest(o.digest));
            }
        }

        void evict(long bytes) {
            Reply.Evicted r = d.evict(clients[0], bytes);
            List<Notification> notes = newNotifications();
            long freed = 0;
            long last = 0;
            for (Notification n : notes) {
                last = evicted(n);
                freed += last;
            }
            assertThat(r).isEqualTo(new Reply.Evicted(freed, notes.size()));
            if (!lru.isEmpty()) {
                assertThat(freed).as("stopped evicting early").isGreaterThanOrEqualTo(bytes);
            }
            if (!notes.isEmpty()) {
                assertThat(freed - last).as("evicted one too many").isLessThan(bytes);
            }
        }

        void disconnect(int slot) {
            long client = clients[slot];
            Set<Notification> expected = new HashSet<>();
            Set<ObjectId> released = new LinkedHashSet<>();
            for (MObject o : List.copyOf(objects.values())) {
                if (!o.sealed && o.creator == client) {
                    objects.remove(o.id);
                }
            }
            for (MObject o : List.copyOf(objects.values())) {
                Integer held = o.refs.remove(client);
                if (held != null && o.refCount() == 0) {
                    if (o.deletePending) {
                        gone(o);
                        expected.add(o.notification(Notification.Kind.DELETED));
                    } else if (o.holdCount() == 0) {
                        released.add(o.id);
                    }
                }
            }
            for (MObject o : java.util.stream.Stream.concat(objects.values().stream(), heldGone.stream()).toList()) {
                while (o.holds.containsKey(client)) {
                    if (endHoldOf(o, client)) {
                        released.add(o.id);
                    }
                }
            }
            if (!released.isEmpty()) {
                lru.add(released);
            }

            d.engine.disconnect(client);

            assertThat(newNotifications()).containsExactlyInAnyOrderElementsOf(expected);
            clients[slot] = d.connect("client-" + slot + "-again");
        }

        /** The engine's listing and statistics are the model's. */
        void check() {
            assertThat(d.engine.checkInvariants()).as("the engine's own invariants").isEmpty();
            Map<ObjectId, ObjectInfo> listed = d.list(watcher).stream()
                    .collect(Collectors.toMap(ObjectInfo::id, Function.identity()));
            assertThat(listed.keySet()).isEqualTo(objects.keySet());
            for (MObject o : objects.values()) {
                ObjectInfo i = listed.get(o.id);
                assertThat(i.dataSize()).isEqualTo(o.data);
                assertThat(i.metadataSize()).isEqualTo(o.meta);
                assertThat(i.refCount()).as("references of %s", o.id).isEqualTo(o.refCount());
                assertThat(i.state()).isEqualTo(o.sealed ? ObjectState.SEALED : ObjectState.CREATED);
                assertThat(i.digest()).isEqualTo(o.digest);
            }
            Reply.StoreStats s = d.stats();
            long used = used();
            long evictable = evictableBytes();
            assertThat(s.used()).as("used").isEqualTo(used);
            assertThat(s.evictable()).as("evictable").isEqualTo(evictable);
            assertThat(s.pinned()).as("pinned").isEqualTo(used - evictable);
            assertThat(s.objects()).isEqualTo(objects.size());
            assertThat(s.clients()).isEqualTo(CLIENTS + 1);
            assertThat(d.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        }

        /** Everyone leaves; whatever is left is evictable, and evicting it all gives back the whole arena. */
        void finish() {
            for (int i = 0; i < CLIENTS; i++) {
                disconnect(i);
            }
            check();
            assertThat(d.stats().pinned()).isZero();
            evict(Long.MAX_VALUE);
            assertThat(objects).isEmpty();
            check();
            assertThat(d.created(clients[0], ObjectId.forName("everything"), CAPACITY)).isZero();
        }
    }
}
