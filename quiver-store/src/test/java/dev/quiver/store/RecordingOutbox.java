package dev.quiver.store;

import dev.quiver.protocol.Reply;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The engine's real output interface, recording what it would have sent and closed. */
final class RecordingOutbox implements Engine.Outbox {
    record Sent(long clientId, int requestId, Reply reply) {}

    record Closed(long clientId, String reason) {}

    final List<Sent> sent = new ArrayList<>();
    final List<Closed> closed = new ArrayList<>();
    /** Clients the engine has more for (chunked replies), not yet pumped. */
    final java.util.ArrayDeque<Long> wantMore = new java.util.ArrayDeque<>();
    /** The same as {@link #sent}, by client and request id: long-running tests look up answers in O(1). */
    private final Map<Long, Map<Integer, List<Reply>>> byRequest = new HashMap<>();
    private final Map<Long, List<Reply.Notification>> notifications = new HashMap<>();

    @Override
    public void send(long clientId, int requestId, Reply reply) {
        sent.add(new Sent(clientId, requestId, reply));
        byRequest.computeIfAbsent(clientId, c -> new HashMap<>()).computeIfAbsent(requestId, r -> new ArrayList<>())
                .add(reply);
        if (requestId == 0) {
            notifications.computeIfAbsent(clientId, c -> new ArrayList<>()).add((Reply.Notification) reply);
        }
    }

    @Override
    public void more(long clientId) {
        wantMore.add(clientId);
    }

    @Override
    public void close(long clientId, String reason) {
        closed.add(new Closed(clientId, reason));
    }

    /** Everything sent to a client with this request id, in order. */
    List<Reply> replies(long clientId, int requestId) {
        return List.copyOf(byRequest.getOrDefault(clientId, Map.of()).getOrDefault(requestId, List.of()));
    }

    /** Everything sent to a client, in order. */
    List<Sent> to(long clientId) {
        return sent.stream().filter(s -> s.clientId == clientId).toList();
    }

    /** Notifications (request id 0) sent to a client, in order. */
    List<Reply.Notification> notifications(long clientId) {
        return List.copyOf(notifications.getOrDefault(clientId, List.of()));
    }

    /** As {@link #notifications}, without copying: for long simulations that read only the new ones. */
    List<Reply.Notification> notificationsView(long clientId) {
        return notifications.computeIfAbsent(clientId, c -> new ArrayList<>());
    }

    List<Closed> closedFor(long clientId) {
        return closed.stream().filter(c -> c.clientId == clientId).toList();
    }
}
