package dev.quiver.client;

/**
 * A client connected to the store and what it holds, as {@link QuiverClient#clients()} reports it.
 *
 * @param id         the id the store gave the client at connect ({@link QuiverClient#clientId()})
 * @param name       the name the client gave at connect (cut to 64 bytes of UTF-8); {@code subscription} for the
 *                   connection of a {@link Subscription}
 * @param pid        the client's process id, as it reported it
 * @param subscriber whether the connection receives notifications
 * @param objects    objects it holds references to, those it is writing included
 * @param references references it holds over those objects (each get of an object adds one)
 * @param bytes      allocated bytes of those objects (whole 64-byte blocks); an object held by several clients counts
 *                   for each of them
 * @param writing    objects it created and has not sealed or aborted yet
 */
public record ClientInfo(long id, String name, long pid, boolean subscriber, int objects, long references,
                         long bytes, int writing) {}
