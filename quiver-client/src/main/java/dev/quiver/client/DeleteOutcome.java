package dev.quiver.client;

/** What a delete did to one object. */
public enum DeleteOutcome {
    /** Deleted and freed. */
    DELETED,
    /** Still referenced: invisible from now on, freed when the last reference is released. */
    DEFERRED,
    /** No such object. */
    NOT_FOUND,
    /** Still being written: the writer must seal or abort it first. */
    NOT_SEALED
}
