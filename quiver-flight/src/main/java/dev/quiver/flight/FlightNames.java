package dev.quiver.flight;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.arrow.StreamReader;
import dev.quiver.protocol.ObjectId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.Ticket;

/**
 * How the endpoint names what it serves (docs/flight.md, "Names").
 *
 * <ul>
 *   <li>Descriptors are paths: {@code ["shelf", KEY]} names a shelf table, {@code ["stream", NAME]} a stream. A
 *       DoPut may add a third element: {@code ["shelf", KEY, "create"]} refuses to replace a table that is there,
 *       {@code ["stream", NAME, "end"]} ends the stream when the put completes.</li>
 *   <li>Tickets are UTF-8 JSON objects: {@code {"shelf": "prices"}}, {@code {"object": "HEX"}} (an object id of
 *       40 hex digits, the object an Arrow IPC stream), or {@code {"stream": "ticks", "start": "earliest"}} where
 *       start is {@code "earliest"} (the default), {@code "latest"} or a sequence number.</li>
 * </ul>
 */
public final class FlightNames {
    /** The first element of a shelf table's descriptor path. */
    public static final String SHELF = "shelf";
    /** The first element of a stream's descriptor path. */
    public static final String STREAM = "stream";
    /** The field of a ticket that names an object by its id. */
    public static final String OBJECT = "object";
    /** DoPut to {@code ["shelf", KEY, "create"]}: only if no table is under the key. */
    public static final String CREATE = "create";
    /** DoPut to {@code ["stream", NAME, "end"]}: end the stream when the put completes. */
    public static final String END = "end";

    private static final ObjectMapper JSON = new ObjectMapper();

    private FlightNames() {}

    /** The descriptor of the shelf table under {@code key}. */
    public static FlightDescriptor shelf(String key) {
        return FlightDescriptor.path(SHELF, key);
    }

    /** The descriptor of stream {@code name}. */
    public static FlightDescriptor stream(String name) {
        return FlightDescriptor.path(STREAM, name);
    }

    /** The ticket that reads the shelf table under {@code key}. */
    public static Ticket shelfTicket(String key) {
        ObjectNode o = JSON.createObjectNode().put(SHELF, key);
        return new Ticket(o.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The ticket that reads the object {@code id}, which holds an Arrow IPC stream (as {@code ArrowStore} writes). */
    public static Ticket objectTicket(ObjectId id) {
        ObjectNode o = JSON.createObjectNode().put(OBJECT, id.toString());
        return new Ticket(o.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The ticket that follows stream {@code name} from {@code start}: {@code "earliest"}, {@code "latest"} or a
     * sequence number in decimal.
     *
     * @throws IllegalArgumentException if start is none of these
     */
    public static Ticket streamTicket(String name, String start) {
        ObjectNode o = JSON.createObjectNode().put(STREAM, name);
        parseStart(start); // refuse a bad start here rather than at the server
        if (start.chars().allMatch(Character::isDigit)) {
            o.put("start", Long.parseLong(start));
        } else {
            o.put("start", start.toLowerCase(Locale.ROOT));
        }
        return new Ticket(o.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** What a descriptor or ticket names: a shelf table, a stream, or (tickets only) an object. */
    enum Kind { SHELF, STREAM, OBJECT }

    /**
     * What a descriptor or ticket names: {@code name} is the key, the stream's name, or the object id in hex;
     * {@code start} is set for stream tickets, {@code mode} for DoPut paths.
     */
    record Target(Kind kind, String name, StreamReader.Start start, String mode) {
        boolean isShelf() {
            return kind == Kind.SHELF;
        }

        String what() {
            return switch (kind) {
                case SHELF -> "shelf key '" + name + "'";
                case STREAM -> "stream '" + name + "'";
                case OBJECT -> "object " + name;
            };
        }
    }

    /** Parses a descriptor; a malformed one is an INVALID_ARGUMENT status that says what is expected. */
    static Target parse(FlightDescriptor descriptor) {
        if (descriptor == null || descriptor.isCommand()) {
            throw invalid("descriptors are paths: [\"shelf\", KEY] or [\"stream\", NAME] (see docs/flight.md), "
                    + "not commands");
        }
        List<String> path = descriptor.getPath();
        if (path.size() < 2 || path.size() > 3 || !(SHELF.equals(path.get(0)) || STREAM.equals(path.get(0)))) {
            throw invalid("descriptor path " + path + " names nothing here: expected [\"shelf\", KEY] or "
                    + "[\"stream\", NAME] (a DoPut may add \"create\" to a shelf path, \"end\" to a stream path)");
        }
        boolean shelf = SHELF.equals(path.get(0));
        String mode = path.size() == 3 ? path.get(2) : null;
        if (mode != null && !mode.equals(shelf ? CREATE : END)) {
            throw invalid("descriptor path " + path + ": the third element of a " + path.get(0) + " path can only "
                    + "be \"" + (shelf ? CREATE : END) + "\"");
        }
        return new Target(shelf ? Kind.SHELF : Kind.STREAM, path.get(1), null, mode);
    }

    /** Parses a ticket; a malformed one is an INVALID_ARGUMENT status that says what is expected. */
    static Target parse(Ticket ticket) {
        String text = new String(ticket.getBytes(), StandardCharsets.UTF_8);
        JsonNode o;
        try {
            o = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            o = null;
        }
        List<String> fields = o == null || !o.isObject() ? List.of()
                : List.of(SHELF, STREAM, OBJECT).stream().filter(o::has).toList();
        if (fields.size() != 1) {
            throw invalid("ticket " + abbreviate(text) + " is not one of this endpoint's: expected JSON like "
                    + "{\"shelf\": \"KEY\"}, {\"stream\": \"NAME\", \"start\": \"earliest\"} or {\"object\": "
                    + "\"40 HEX DIGITS\"} (see docs/flight.md)");
        }
        Kind kind = Kind.valueOf(fields.getFirst().toUpperCase(Locale.ROOT));
        JsonNode name = o.get(fields.getFirst());
        if (!name.isTextual()) {
            throw invalid("ticket " + abbreviate(text) + ": the " + switch (kind) {
                case SHELF -> "key";
                case STREAM -> "stream name";
                case OBJECT -> "object id";
            } + " must be a string");
        }
        return switch (kind) {
            case SHELF -> new Target(kind, name.asText(), null, null);
            case STREAM -> {
                JsonNode s = o.get("start");
                yield new Target(kind, name.asText(), s == null ? StreamReader.Start.EARLIEST : parseStart(s.asText()),
                        null);
            }
            case OBJECT -> {
                try {
                    yield new Target(kind, ObjectId.fromHex(name.asText()).toString(), null, null);
                } catch (IllegalArgumentException e) {
                    throw invalid("ticket " + abbreviate(text) + ": " + e.getMessage() + " (an object id is "
                            + 2 * ObjectId.SIZE + " hex digits, as `quiver ls --objects` prints it)");
                }
            }
        };
    }

    static StreamReader.Start parseStart(String start) {
        switch (start.toLowerCase(Locale.ROOT)) {
            case "earliest":
                return StreamReader.Start.EARLIEST;
            case "latest":
                return StreamReader.Start.LATEST;
            default:
                try {
                    return StreamReader.Start.at(Long.parseLong(start));
                } catch (IllegalArgumentException e) {
                    throw invalid("a stream's start is \"earliest\", \"latest\" or a sequence number (0 or more), "
                            + "got " + abbreviate(start));
                }
        }
    }

    private static String abbreviate(String s) {
        return "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
    }

    private static RuntimeException invalid(String message) {
        return CallStatus.INVALID_ARGUMENT.withDescription(message).toRuntimeException();
    }
}
