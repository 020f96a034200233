package dev.quiver.cli;

import dev.quiver.client.DefaultSocket;
import dev.quiver.flight.FlightSettings;
import dev.quiver.flight.QuiverFlightServer;
import dev.quiver.store.IdleMode;
import dev.quiver.store.StoreConfig;
import dev.quiver.store.StoreMain;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code quiver store -m SIZE [-s SOCKET] [-d DIR] [-h] [--idle MODE] [--http [HOST:]PORT] [--flight [HOST:]PORT
 * [--flight-tokens FILE] [--flight-tls CERT KEY] [--flight-insecure]] [--config FILE]}: the store daemon, in the
 * foreground; with {@code --flight}, its Arrow Flight endpoint in the same process.
 */
@Command(name = "store", sortOptions = false,
        description = {"Runs a store in the foreground.",
                "The store owns one shared-memory arena and serves clients on a Unix socket until SIGTERM or",
                "SIGINT (Ctrl-C), which stop it cleanly, remove its files and exit with status 0."})
final class StoreCommand implements Callable<Integer> {
    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Size of the arena: bytes or with a unit, like 512m or 4g. Required, here or in --config.")
    Long memory;

    @Option(names = {"-s", "--socket"}, paramLabel = "SOCKET", description = {"The Unix socket to serve (default:"
            + " $QUIVER_SOCKET, else $XDG_RUNTIME_DIR/quiver.sock, else /tmp/quiver-$UID/quiver.sock, whose"
            + " directory is created with mode 700). A file there that is not the socket of a store that is gone"
            + " is refused."})
    Path socket;

    @Option(names = {"-d", "--directory"}, paramLabel = "DIR", defaultValue = "/dev/shm",
            description = "Where the arena file lives (default: ${DEFAULT-VALUE}); a tmpfs or hugetlbfs mount, or the"
                    + " kernel writes the arena back to disk (the log warns).")
    Path directory;

    @Option(names = {"-h", "--huge-pages"},
            description = "DIR is a hugepage mount (hugetlbfs, or tmpfs mounted with huge=always).")
    boolean hugePages;

    @Option(names = "--connection-memory", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "The most heap all client connections together may hold in the store: frames being read,"
                    + " replies not yet read, waiting requests (default: 256m, or a quarter of the heap if less;"
                    + " at least 33m). One connection may hold a quarter of it, at most 64m; the store drops a"
                    + " connection past that, with the reason in its log.")
    long connectionMemory;

    @Option(names = "--idle", paramLabel = "MODE", defaultValue = "backoff",
            description = {"What the engine thread does when it has no work while clients use command rings:"
                    + " spin (lowest latency, one core always busy), backoff (default: spin a few microseconds,"
                    + " yield, park briefly, then sleep until a client rings the doorbell; an idle store uses"
                    + " no CPU) or park (sleep at once; least CPU, a doorbell per wake-up)."})
    String idle;

    @Option(names = "--http", paramLabel = "[HOST:]PORT",
            description = {"Serve Prometheus metrics at /metrics and a live status page at / on this port (default:"
                    + " none). Without HOST, on the loopback address only; a HOST that is not a loopback address"
                    + " gets a warning in the log, since anyone who reaches it sees the store's clients and keys."
                    + " Port 0 picks a free port (the serving line says which)."})
    String http;

    @Option(names = "--flight", paramLabel = "[HOST:]PORT",
            description = {"Serve the shelf and the streams over Arrow Flight on this port (default: none; see"
                    + " docs/flight.md). Without HOST, on the loopback address only; a HOST that is not a loopback"
                    + " address needs --flight-tokens or --flight-insecure. Port 0 picks a free port (the serving"
                    + " line says which)."})
    String flight;

    @Option(names = "--flight-tokens", paramLabel = "FILE",
            description = "Flight callers must send 'authorization: Bearer TOKEN' with a token from this file (one"
                    + " a line; blank lines and # comments are skipped).")
    Path flightTokens;

    @Option(names = "--flight-tls", paramLabel = "FILE", arity = "2",
            description = "Serve Flight over TLS: a PEM certificate chain and its PEM (PKCS#8) private key.")
    List<Path> flightTls;

    @Option(names = "--flight-insecure",
            description = "Serve Flight on a non-loopback HOST without tokens: anyone who reaches it may read, write"
                    + " and delete tables.")
    boolean flightInsecure;

    @Option(names = "--config", paramLabel = "FILE", description = {"Read settings from a properties file: one"
            + " line per option, its long name without dashes, like memory=4g, socket=/run/quiver/quiver.sock,"
            + " directory=/dev/hugepages, huge-pages=true, connection-memory=256m, idle=backoff. Options given"
            + " on the command line override the file."})
    Path config;

    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean help;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (config != null) {
            return withConfigFile();
        }
        if (memory == null) {
            spec.commandLine().getErr().println("quiver store: Missing required option: '--memory=SIZE' (give -m,"
                    + " or memory= in a --config file)");
            return 2;
        }
        if (!Files.isDirectory(directory)) { // a usage error (status 2), in one line: the usage would bury it
            spec.commandLine().getErr().println("quiver store: -d " + directory + ": no such directory; create it,"
                    + " or leave -d out to use /dev/shm");
            return 2;
        }
        Path served = socket != null ? socket : DefaultSocket.forStore();
        StoreConfig storeConfig;
        List<StoreMain.Attachment> attachments = new ArrayList<>();
        try {
            storeConfig = new StoreConfig(memory, served, directory, hugePages, connectionMemory, IdleMode.parse(idle))
                    .withHttp(http == null ? null : httpAddress(http));
            FlightSettings settings = flightSettings();
            if (settings != null) {
                attachments.add((store, out) -> {
                    QuiverFlightServer endpoint = QuiverFlightServer.start(store.socket(), settings);
                    out.printf("quiver store: flight %s%n", endpoint.uri());
                    return endpoint;
                });
            }
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("quiver store: " + e.getMessage());
            return 2;
        }
        return StoreMain.run(storeConfig, spec.commandLine().getOut(), attachments);
    }

    /** The Flight endpoint's settings, or null without --flight; a usage error for options that need it. */
    private FlightSettings flightSettings() {
        if (flight == null) {
            if (flightTokens != null || flightTls != null || flightInsecure) {
                throw new IllegalArgumentException("--flight-tokens, --flight-tls and --flight-insecure go with "
                        + "--flight [HOST:]PORT, which is missing");
            }
            return null;
        }
        InetSocketAddress address = address("--flight", flight);
        return new FlightSettings(address, flightTokens, flightTls == null ? null : flightTls.get(0),
                flightTls == null ? null : flightTls.get(1), flightInsecure);
    }

    /**
     * Parses the command line again with the file's settings as defaults (picocli's properties default provider), so
     * that the file takes exactly the values and conversions the flags take, and flags override it.
     */
    private int withConfigFile() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Properties settings = new Properties();
        try (Reader in = Files.newBufferedReader(config)) {
            settings.load(in);
        } catch (IOException e) {
            err.println("quiver store: --config " + config + ": cannot read it: " + e.getMessage());
            return 2;
        }
        List<String> known = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            String key = o.longestName().replaceFirst("^-+", "");
            if (!o.usageHelp() && !key.equals("config")) {
                known.add(key);
            }
        }
        for (String key : settings.stringPropertyNames()) {
            if (!known.contains(key)) {
                err.println("quiver store: --config " + config + ": unknown setting '" + key + "'; the settings are "
                        + String.join(", ", known));
                return 2;
            }
        }
        List<String> flags = new ArrayList<>();
        for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            if (o.longestName().equals("--config")) {
                continue;
            }
            if (o.arity().max() == 0) {
                flags.add(o.longestName());
            } else {
                o.originalStringValues().forEach(v -> flags.add(o.longestName() + "=" + v));
            }
        }
        StoreCommand fromFile = new StoreCommand();
        CommandLine line = new CommandLine(fromFile);
        line.setOut(spec.commandLine().getOut());
        line.setErr(err);
        line.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(settings));
        try {
            line.parseArgs(flags.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            err.println("quiver store: --config " + config + ": " + e.getMessage());
            return 2;
        }
        return fromFile.call();
    }

    /** {@code PORT}, {@code HOST:PORT} or {@code [IPv6]:PORT}; without a host, the loopback address. */
    static InetSocketAddress httpAddress(String value) {
        return address("--http", value);
    }

    /** {@code PORT}, {@code HOST:PORT} or {@code [IPv6]:PORT} of an option; without a host, the loopback address. */
    static InetSocketAddress address(String option, String value) {
        int colon = value.lastIndexOf(':');
        String host = colon < 0 ? null : value.substring(0, colon);
        String port = value.substring(colon + 1);
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 0 || p > 65535 || (host != null && host.isEmpty())) {
            throw new IllegalArgumentException(option + " " + value + ": expected [HOST:]PORT with a port from 0 to"
                    + " 65535, like 9464 or 127.0.0.1:9464");
        }
        if (host == null) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), p);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        InetSocketAddress address = new InetSocketAddress(host, p);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException(option + " " + value + ": unknown host " + host);
        }
        return address;
    }
}
