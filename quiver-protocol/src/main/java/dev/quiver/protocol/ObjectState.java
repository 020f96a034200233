package dev.quiver.protocol;

/** Where an object is in its life: created (its writer is filling it) or sealed (immutable and gettable). */
public enum ObjectState {
    CREATED,
    SEALED;

    static ObjectState of(int code) {
        return switch (code) {
            case 0 -> CREATED;
            case 1 -> SEALED;
            default -> throw new MalformedFrameException("unknown object state " + code);
        };
    }
}
