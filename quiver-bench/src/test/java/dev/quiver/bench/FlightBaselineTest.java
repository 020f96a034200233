package dev.quiver.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Flight baseline serves exactly the bytes asked for, over a real Flight server and client. */
class FlightBaselineTest {
    static Arena arena;
    static MemorySegment source;
    static FlightBaseline server;
    static RootAllocator allocator;
    static FlightClient client;

    @BeforeAll
    static void start() throws Exception {
        arena = Arena.ofShared();
        source = arena.allocate(3 * FlightBaseline.BATCH_BYTES, 64);
        Sums.fill(source);
        server = new FlightBaseline(source);
        allocator = new RootAllocator();
        client = FlightClient.builder(allocator, new Location(URI.create(server.location()))).build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        allocator.close();
        server.close();
        arena.close();
    }

    @Test
    void servesThePrefixAsInt64BatchesOfAtMostTheBatchSize() throws Exception {
        long size = 2 * FlightBaseline.BATCH_BYTES + 4096; // two full batches and a short one
        long sum = 0;
        long bytes = 0;
        int batches = 0;
        try (FlightStream s = client.getStream(ticket(Long.toString(size)))) {
            assertThat(s.getSchema()).isEqualTo(FlightBaseline.SCHEMA);
            while (s.next()) {
                BigIntVector v = (BigIntVector) s.getRoot().getVector(0);
                long n = 8L * v.getValueCount();
                assertThat(n).isLessThanOrEqualTo(FlightBaseline.BATCH_BYTES);
                sum += Sums.sum(MemorySegment.ofAddress(v.getDataBuffer().memoryAddress()).reinterpret(n));
                bytes += n;
                batches++;
            }
        }
        assertThat(batches).isEqualTo(3);
        assertThat(bytes).isEqualTo(size);
        assertThat(sum).isEqualTo(Sums.sum(source.asSlice(0, size)));
    }

    @Test
    void refusesTicketsItCannotServeWithTheReason() {
        for (String bad : new String[] {"twelve", "12", Long.toString(source.byteSize() + 8), "-8"}) {
            assertThatThrownBy(() -> {
                try (FlightStream s = client.getStream(ticket(bad))) {
                    while (s.next()) {
                        // drain: the error arrives with the stream
                    }
                }
            }).as(bad).isInstanceOfSatisfying(FlightRuntimeException.class,
                    e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.INVALID_ARGUMENT));
        }
    }

    private static Ticket ticket(String text) {
        return new Ticket(text.getBytes(StandardCharsets.US_ASCII));
    }
}
