package dev.quiver.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Two Linux network namespaces joined by a veth pair, made with {@code ip netns} for one test and removed by
 * {@link #close()}: a "server" side at {@link #SERVER_ADDRESS} and a "client" side at {@link #CLIENT_ADDRESS}, each
 * with its own loopback, and no other route. {@link #exec} prefixes a command so that it runs in one of them.
 *
 * <p>The addresses are from 198.18.0.0/15 (RFC 2544, for network tests); they exist only inside the two namespaces,
 * so nothing leaves the machine and several tests may use them at once. Names carry this JVM's pid; namespaces left by
 * a JVM that died before its cleanup are removed by the next {@link #create()}.
 */
final class NetworkNamespaces implements AutoCloseable {
    static final String SERVER_ADDRESS = "198.18.0.1";
    static final String CLIENT_ADDRESS = "198.18.0.2";
    private static final String PREFIX = "quiver-test-";
    private static final Pattern OURS = Pattern.compile(PREFIX + "(\\d+)-(server|client)");

    private final String server;
    private final String client;
    private final List<String> created = new ArrayList<>();

    private NetworkNamespaces(String server, String client) {
        this.server = server;
        this.client = client;
    }

    /**
     * Why namespaces cannot be made here (not Linux, no {@code ip}, not allowed), or null if they can: the test
     * skips with this message.
     */
    static String unavailable() {
        if (!System.getProperty("os.name").equals("Linux")) {
            return "network namespaces are Linux only; this is " + System.getProperty("os.name");
        }
        String probe = PREFIX + ProcessHandle.current().pid() + "-probe";
        Result add = run("ip", "netns", "add", probe);
        if (add.status() != 0) {
            return "cannot make a network namespace here (`ip netns add` needs root or CAP_SYS_ADMIN, and iproute2): "
                    + add.output().strip();
        }
        run("ip", "netns", "del", probe);
        return null;
    }

    /** Makes both namespaces and the veth pair between them, each side's address set and its links up. */
    static NetworkNamespaces create() {
        removeLeftovers();
        long pid = ProcessHandle.current().pid();
        NetworkNamespaces ns = new NetworkNamespaces(PREFIX + pid + "-server", PREFIX + pid + "-client");
        try {
            ns.add(ns.server);
            ns.add(ns.client);
            // veth ends are made straight inside the namespaces: they never appear in the machine's own
            must("ip", "link", "add", "veth-server", "netns", ns.server, "type", "veth", "peer", "name",
                    "veth-client", "netns", ns.client);
            ns.configure(ns.server, "veth-server", SERVER_ADDRESS);
            ns.configure(ns.client, "veth-client", CLIENT_ADDRESS);
            return ns;
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    private void add(String name) {
        must("ip", "netns", "add", name);
        created.add(name);
    }

    private void configure(String ns, String device, String address) {
        must("ip", "-n", ns, "addr", "add", address + "/30", "dev", device);
        must("ip", "-n", ns, "link", "set", device, "up");
        must("ip", "-n", ns, "link", "set", "lo", "up");
    }

    /** {@code command} run in the server's namespace. */
    List<String> inServer(List<String> command) {
        return exec(server, command);
    }

    /** {@code command} run in the client's namespace. */
    List<String> inClient(List<String> command) {
        return exec(client, command);
    }

    private static List<String> exec(String ns, List<String> command) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(command);
        return c;
    }

    /**
     * Removes the namespaces (the veth pair goes with them). Processes still running in one keep its network alive
     * until they end: close them first.
     */
    @Override
    public void close() {
        for (String name : created.reversed()) {
            run("ip", "netns", "del", name);
        }
        created.clear();
    }

    /** Namespaces of this test whose JVM is gone (it was killed before it could clean up). */
    private static void removeLeftovers() {
        Result list = run("ip", "netns", "list");
        for (String line : list.output().lines().toList()) {
            Matcher m = OURS.matcher(line);
            if (m.lookingAt() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                run("ip", "netns", "del", m.group());
            }
        }
    }

    private record Result(int status, String output) {}

    private static void must(String... command) {
        Result r = run(command);
        if (r.status() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + r.status() + "): "
                    + r.output().strip());
        }
    }

    private static Result run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " did not end within 60 s");
            }
            return new Result(p.exitValue(), output);
        } catch (IOException e) {
            return new Result(-1, "cannot run " + command[0] + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
