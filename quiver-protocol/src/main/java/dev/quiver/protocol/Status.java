package dev.quiver.protocol;

/**
 * The outcome of one operation on one object, as carried on the wire (one byte).
 *
 * <p>{@link #OK} and {@link #DEFERRED} are successes; every other value names a failure condition, and the same
 * values are the codes of {@link Reply.Error} frames.
 */
public enum Status {
    /** Done. */
    OK(0),
    /** Accepted, takes effect later (a delete of an object still in use). */
    DEFERRED(1),
    /** An object with this id exists already (or is still being deleted). */
    OBJECT_EXISTS(2),
    /** No object with this id. */
    OBJECT_NOT_FOUND(3),
    /** Not enough memory, even after evicting everything evictable. */
    STORE_FULL(4),
    /** The object was sealed already. */
    ALREADY_SEALED(5),
    /** The object is not sealed yet. */
    NOT_SEALED(6),
    /** Only the client that created an unsealed object may seal or abort it. */
    NOT_OWNER(7),
    /** The client holds no reference to the object it tried to release. */
    NOT_HELD(8),
    /** The request makes no sense (negative size, empty batch, repeated id in a create batch, ...). */
    INVALID_REQUEST(9),
    /** The frame could not be understood; the store closes the connection after sending this. */
    PROTOCOL_ERROR(10);

    private static final Status[] BY_CODE = new Status[256];

    static {
        for (Status s : values()) {
            BY_CODE[s.code] = s;
        }
    }

    private final int code;

    Status(int code) {
        this.code = code;
    }

    /** The wire value. */
    public int code() {
        return code;
    }

    /** True for {@link #OK} and {@link #DEFERRED}. */
    public boolean isSuccess() {
        return this == OK || this == DEFERRED;
    }

    /** The status with this wire value. */
    public static Status of(int code) {
        Status s = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (s == null) {
            throw new MalformedFrameException("unknown status code " + code);
        }
        return s;
    }
}
