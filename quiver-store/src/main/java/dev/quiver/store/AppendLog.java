package dev.quiver.store;

/**
 * Values in the order they were appended, with cursors that survive removals: the engine's creation order (for
 * {@code LIST}) and seal order (for a new subscriber's first notifications), walked a chunk at a time while other
 * clients are served in between.
 *
 * <p>A doubly linked list whose nodes the values keep, so append and remove are O(1) and a million objects cost two
 * links each. A removed node keeps its forward link: a cursor parked on it still reaches the nodes after it (following
 * the chain of removed nodes until a live one), so every value present for the whole walk is visited exactly once, in
 * order. Values appended after the walk started may or may not be visited.
 */
final class AppendLog<T> {

    /** One value's place in the log. */
    static final class Node<T> {
        final T value;
        final long seq;
        private Node<T> prev;
        private Node<T> next;
        private boolean removed;

        private Node(T value, long seq) {
            this.value = value;
            this.seq = seq;
        }

        boolean isRemoved() {
            return removed;
        }
    }

    private Node<T> head;
    private Node<T> tail;
    private long nextSeq = 1;
    private int size;

    /** Appends a value; its node's {@code seq} is larger than every earlier one's. */
    Node<T> append(T value) {
        Node<T> n = new Node<>(value, nextSeq++);
        if (tail == null) {
            head = n;
        } else {
            tail.next = n;
            n.prev = tail;
        }
        tail = n;
        size++;
        return n;
    }

    /** Unlinks a node; cursors parked on it move on from its old successor. Removing twice does nothing. */
    void remove(Node<T> n) {
        if (n.removed) {
            return;
        }
        n.removed = true;
        if (n.prev == null) {
            head = n.next;
        } else {
            n.prev.next = n.next;
        }
        if (n.next == null) {
            tail = n.prev;
        } else {
            n.next.prev = n.prev;
        }
        n.prev = null; // n.next stays: the way on for cursors parked here
        size--;
    }

    /** The first live node after {@code n}, or the first of the log if {@code n} is null; null at the end. */
    Node<T> after(Node<T> n) {
        Node<T> next = n == null ? head : n.next;
        while (next != null && next.removed) {
            next = next.next;
        }
        return next;
    }

    int size() {
        return size;
    }
}
