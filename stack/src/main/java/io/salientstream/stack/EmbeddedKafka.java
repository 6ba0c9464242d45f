package io.salientstream.stack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) inside this JVM, started
 * the way {@code kafka-storage.sh format} and {@code kafka-server-start.sh} do it.
 *
 * <ul>
 *   <li><b>Local run</b> ({@link #persistent(Path)}): fixed ports (9092, controller 9093), data
 *       kept in {@code <folder>/data} with the cluster id in {@code <folder>/cluster.id}; the next
 *       start reuses both.
 *   <li><b>Ephemeral</b> ({@link #ephemeral()}): free ports, a temp folder deleted on {@link
 *       #close()}.
 * </ul>
 *
 * Broker loggers are turned down to WARN when logback is the binding and has no level set for them.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.ephemeral().start()) {
 *     String bootstrap = kafka.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {
  public static final int DEFAULT_PORT = 9092;
  public static final int DEFAULT_CONTROLLER_PORT = 9093;
  public static final String CLUSTER_ID_FILE = "cluster.id";
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final Path folder;
  private final boolean ephemeral;
  private final String host;
  private final int requestedPort;
  private final int requestedControllerPort;
  private final Map<String, String> overrides;
  private final boolean quiet;
  private final int nodeId;
  private final String quorumVoters;
  private final String presetClusterId;

  private KafkaRaftServer server;
  private int port;
  private String clusterId;
  private long readyMillis = -1;

  private EmbeddedKafka(Builder b) {
    this.ephemeral = b.folder == null;
    this.folder = b.folder;
    this.host = b.host;
    this.requestedPort = b.port != null ? b.port : (ephemeral ? 0 : DEFAULT_PORT);
    this.requestedControllerPort =
        b.controllerPort != null ? b.controllerPort : (ephemeral ? 0 : DEFAULT_CONTROLLER_PORT);
    this.overrides = Map.copyOf(b.overrides);
    this.quiet = b.quiet;
    this.nodeId = b.nodeId;
    this.quorumVoters = b.quorumVoters;
    this.presetClusterId = b.clusterId;
  }

  /** A broker on free ports in a temp folder that is deleted on close. */
  public static EmbeddedKafka ephemeral() {
    return builder().build();
  }

  /** A broker on 9092/9093 keeping its data in {@code folder} across restarts. */
  public static EmbeddedKafka persistent(Path folder) {
    return builder().folder(folder).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options; ports 0 mean "free port". */
  public static final class Builder {
    private Path folder;
    private String host = "localhost";
    private Integer port;
    private Integer controllerPort;
    private final Map<String, String> overrides = new LinkedHashMap<>();
    private boolean quiet = true;
    private int nodeId = 1;
    private String quorumVoters;
    private String clusterId;

    /**
     * This node's id in a cluster of several ({@link EmbeddedKafkaCluster}); default 1, a cluster
     * of one.
     */
    public Builder nodeId(int nodeId) {
      this.nodeId = nodeId;
      return this;
    }

    /**
     * The controller quorum, {@code id@host:port,...}; default: this node alone on its controller
     * port.
     */
    public Builder quorumVoters(String voters) {
      this.quorumVoters = voters;
      return this;
    }

    /** The cluster id to format a new data folder with (all nodes of a cluster share one). */
    public Builder clusterId(String clusterId) {
      this.clusterId = clusterId;
      return this;
    }

    /** Keep data in this folder (local-run mode); without it the broker is ephemeral. */
    public Builder folder(Path folder) {
      this.folder = folder;
      return this;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder controllerPort(int port) {
      this.controllerPort = port;
      return this;
    }

    /** Any broker setting, applied over the defaults. */
    public Builder brokerProperty(String key, String value) {
      overrides.put(key, value);
      return this;
    }

    /** Leave the broker's log levels alone (default: WARN when logback has none set). */
    public Builder verbose() {
      this.quiet = false;
      return this;
    }

    public EmbeddedKafka build() {
      return new EmbeddedKafka(this);
    }
  }

  /** Formats the storage if needed and starts the broker; returns once a client can use it. */
  public synchronized EmbeddedKafka start() {
    if (server != null) {
      throw new IllegalStateException("broker already running at " + bootstrapServers());
    }
    if (quiet) {
      QuietLogs.apply();
    }
    long t0 = System.nanoTime();
    Path dir = folder != null ? folder : tempFolder();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create broker folder " + dir, e);
    }
    activeFolder = dir;
    port = requestedPort == 0 ? Ports.free() : requestedPort;
    int controllerPort = requestedControllerPort == 0 ? Ports.free() : requestedControllerPort;
    Map<String, String> props = brokerProperties(dir.resolve("data"), port, controllerPort);
    clusterId = clusterId(dir);
    format(dir, props);
    try {
      KafkaRaftServer s = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
      server = s;
      s.startup();
      awaitReady();
    } catch (RuntimeException e) {
      try {
        close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new KafkaException(
          "in-process broker failed to start on "
              + host
              + ":"
              + port
              + " (data "
              + dir
              + "): "
              + e.getMessage(),
          e);
    }
    readyMillis = (System.nanoTime() - t0) / 1_000_000;
    LOG.info(
        "Kafka broker{} ready at {} in {} ms (cluster {}, data {})",
        ephemeral ? " (ephemeral)" : "",
        bootstrapServers(),
        readyMillis,
        clusterId,
        dir);
    return this;
  }

  private Path activeFolder;

  private Map<String, String> brokerProperties(Path data, int brokerPort, int controllerPort) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(nodeId));
    p.put(
        "listeners",
        "PLAINTEXT://" + host + ":" + brokerPort + ",CONTROLLER://" + host + ":" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + brokerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put(
        "controller.quorum.voters",
        quorumVoters != null ? quorumVoters : nodeId + "@" + host + ":" + controllerPort);
    p.put("log.dirs", data.toAbsolutePath().toString());
    p.put("num.partitions", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.put("log.cleaner.dedupe.buffer.size", "2097152");
    p.putAll(overrides);
    return p;
  }

  /**
   * The cluster id kept beside the data: {@code cluster.id}, else the one in meta.properties, else
   * new.
   */
  private String clusterId(Path dir) {
    Path idFile = dir.resolve(CLUSTER_ID_FILE);
    try {
      if (Files.exists(idFile)) {
        return Files.readString(idFile, StandardCharsets.UTF_8).trim();
      }
      String id = null;
      Path meta = dir.resolve("data").resolve("meta.properties");
      if (Files.exists(meta)) {
        Properties mp = new Properties();
        try (InputStream in = Files.newInputStream(meta)) {
          mp.load(in);
        }
        id = mp.getProperty("cluster.id");
      }
      if (id == null && presetClusterId != null) {
        id = presetClusterId;
      }
      if (id == null) {
        id = Uuid.randomUuid().toString();
      }
      Files.writeString(idFile, id + "\n", StandardCharsets.UTF_8);
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + idFile, e);
    }
  }

  private void format(Path dir, Map<String, String> props) {
    Path config = dir.resolve("server.properties");
    Properties p = new Properties();
    p.putAll(props);
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      try (var out = Files.newOutputStream(config)) {
        p.store(out, "written by EmbeddedKafka on each start");
      }
      int rc;
      try (PrintStream ps = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
        rc =
            StorageTool.execute(
                new String[] {
                  "format", "-t", clusterId, "-c", config.toString(), "--ignore-formatted"
                },
                ps);
      }
      if (rc != 0) {
        throw new KafkaException(
            "formatting "
                + dir
                + " failed (rc "
                + rc
                + "): "
                + captured.toString(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + config, e);
    } catch (RuntimeException e) {
      if (e instanceof KafkaException) {
        throw e;
      }
      throw new KafkaException(
          "formatting "
              + dir
              + " with cluster id "
              + clusterId
              + " failed: "
              + e.getMessage()
              + " "
              + captured.toString(StandardCharsets.UTF_8),
          e);
    }
  }

  private void awaitReady() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new KafkaException("in-process broker at " + bootstrapServers() + " did not answer", e);
    }
  }

  private static Path tempFolder() {
    try {
      return Files.createTempDirectory("salientstream-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temp folder for the broker", e);
    }
  }

  public synchronized String bootstrapServers() {
    if (server == null) {
      throw new IllegalStateException("broker not running");
    }
    return host + ":" + port;
  }

  /** The listener port asked for (0: a free one, chosen at start). */
  int configuredPort() {
    return requestedPort;
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  /** The cluster id (stable across restarts in local-run mode). */
  public synchronized String clusterId() {
    return clusterId;
  }

  /** The broker folder ({@code cluster.id}, {@code server.properties}, {@code data/}). */
  public synchronized Path folder() {
    return activeFolder != null ? activeFolder : folder;
  }

  public boolean isEphemeral() {
    return ephemeral;
  }

  /**
   * Milliseconds from {@link #start()} to a broker answering clients; -1 before the first start.
   */
  public synchronized long readyMillis() {
    return readyMillis;
  }

  /** Stops the broker; an ephemeral broker's folder is deleted. Safe to call twice. */
  @Override
  public synchronized void close() {
    if (server == null) {
      if (ephemeral && activeFolder != null) {
        deleteRecursively(activeFolder);
        activeFolder = null;
      }
      return;
    }
    long t0 = System.nanoTime();
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      server = null;
      if (ephemeral && activeFolder != null) {
        deleteRecursively(activeFolder);
        activeFolder = null;
      }
    }
    LOG.info("Kafka broker stopped in {} ms", Duration.ofNanos(System.nanoTime() - t0).toMillis());
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  LOG.warn("could not delete {}: {}", p, e.toString());
                }
              });
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", dir, e.toString());
    }
  }
}
