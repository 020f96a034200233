package dev.quiver.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Kafka cluster inside this JVM: one KRaft server in combined mode (broker and controller), on
 * loopback ports chosen at start, with its log in a directory of yours. For tests and demos: everything a client
 * sees is the real broker (the wire protocol, idempotent producers, consumer offsets, retention).
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
 *     kafka.createTopic("arrow_tables", 3);
 *     String bootstrap = kafka.bootstrapServers();       // "127.0.0.1:PORT"
 * }
 * }</pre>
 *
 * <p>Starting formats the log directory (as {@code kafka-storage format} does) and starts the server; it takes 2 to 3
 * seconds. Internal topics have replication factor 1, consumer groups rebalance without delay, and records up to
 * {@value #MAX_MESSAGE_BYTES} bytes are accepted.
 */
public final class EmbeddedKafka implements AutoCloseable {
    /** The largest record batch the broker accepts (and {@link #createTopic} sets on topics). */
    public static final int MAX_MESSAGE_BYTES = 64 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;
    private static final Duration READY = Duration.ofSeconds(60);

    private final KafkaRaftServer server;
    private final String bootstrap;
    private final Path dir;

    private EmbeddedKafka(KafkaRaftServer server, String bootstrap, Path dir) {
        this.server = server;
        this.bootstrap = bootstrap;
        this.dir = dir;
    }

    /**
     * Formats {@code dir} (which must be empty or absent) and starts a broker on it.
     *
     * @throws IllegalStateException if the broker did not start or answer within a minute
     */
    public static EmbeddedKafka start(Path dir) {
        return start(dir, Map.of());
    }

    /** Like {@link #start(Path)}, with broker settings of yours on top of the defaults (e.g. log retention). */
    public static EmbeddedKafka start(Path dir, Map<String, String> overrides) {
        try {
            Files.createDirectories(dir);
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException("the embedded broker formats its log directory and needs it "
                            + "empty: " + dir + " is not");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the broker's log directory " + dir, e);
        }
        long started = System.nanoTime();
        int brokerPort = freePort();
        int controllerPort = freePort();
        Map<String, Object> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", dir.toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        props.put("replica.fetch.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        props.put("auto.create.topics.enable", "false");
        props.putAll(overrides);
        KafkaConfig config = new KafkaConfig(props, false);
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setControllerListenerName("CONTROLLER")
                    .setMetadataLogDirectory(dir.toString())
                    .addDirectory(dir.toString())
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format the embedded broker's log directory " + dir + ": "
                    + e.getMessage(), e);
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        String bootstrap = "127.0.0.1:" + brokerPort;
        EmbeddedKafka kafka = new EmbeddedKafka(server, bootstrap, dir);
        try {
            server.startup();
            kafka.awaitReady();
        } catch (RuntimeException e) {
            kafka.close();
            throw new IllegalStateException("the embedded Kafka broker did not start (log directory " + dir + "): "
                    + e.getMessage(), e);
        }
        LOG.info("embedded Kafka broker (KRaft, combined mode) on {} in {} ms", bootstrap,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return kafka;
    }

    /** The address clients connect to, {@code 127.0.0.1:PORT}. */
    public String bootstrapServers() {
        return bootstrap;
    }

    /** The broker's log directory. */
    public Path logDir() {
        return dir;
    }

    /**
     * Creates a topic with {@code partitions} partitions (replication factor 1), and returns once the broker serves
     * it. A topic that exists already is left as it is.
     */
    public void createTopic(String name, int partitions) {
        createTopics(bootstrap, List.of(name), partitions, Map.of("max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES)));
    }

    /**
     * Creates topics on any cluster (replication factor: the broker's default), leaving existing ones alone.
     *
     * @param configs topic configurations, e.g. {@code max.message.bytes}
     */
    public static void createTopics(String bootstrap, List<String> names, int partitions, Map<String, String> configs) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<NewTopic> topics = names.stream()
                    .map(n -> new NewTopic(n, java.util.Optional.of(partitions), java.util.Optional.empty()).configs(configs))
                    .toList();
            for (var f : admin.createTopics(topics).values().entrySet()) {
                try {
                    f.getValue().get(READY.toSeconds(), TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + f.getKey() + " on " + bootstrap + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            // Created means known to the controller; wait until the metadata answers with every partition's leader.
            long deadline = System.nanoTime() + READY.toNanos();
            while (true) {
                try {
                    var described = admin.describeTopics(names).allTopicNames().get(READY.toSeconds(), TimeUnit.SECONDS);
                    if (described.values().stream().allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null
                            && !p.leader().isEmpty()))) {
                        return;
                    }
                } catch (ExecutionException e) {
                    // not known to this broker's metadata yet: ask again
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topics " + names + " have no leader after " + READY.toSeconds() + " s");
                }
                Thread.onSpinWait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics " + names, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrap + " did not answer within " + READY.toSeconds()
                    + " s while creating topics " + names, e);
        }
    }

    /** Stops the broker and waits until it has stopped. The log directory stays. */
    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }

    private void awaitReady() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.describeCluster().nodes().get(READY.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the broker did not answer within " + READY.toSeconds() + " s", e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port for the embedded broker", e);
        }
    }
}
