package io.salientstream.stack;

import io.salientstream.stack.secure.TlsMaterial;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
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
  private final boolean secure;
  private final int nodeId;
  private final String quorumVoters;
  private final String presetClusterId;

  private KafkaRaftServer server;
  private TlsMaterial tls;
  private String adminPassword;
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
    this.secure = b.secure;
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
    private boolean secure;
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

    /**
     * Secure mode: one {@code SASL_SSL} listener (SCRAM-SHA-512; the controller listener SASL_SSL
     * with PLAIN), {@code StandardAuthorizer} with {@code allow.everyone.if.no.acl.found=false} and
     * the super user {@code admin}. A CA and the broker's certificate are generated at the first
     * start into {@code <folder>/tls}; the admin password into {@code <folder>/admin.password}
     * (owner-only). Clients trust {@link #caPem()} and authenticate through {@link
     * #clientProperties(String, String)}.
     */
    public Builder secure() {
      this.secure = true;
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
    // the broker and controller listeners need two different ports (0: not requested)
    port = requestedPort == 0 ? Ports.freeOtherThan(requestedControllerPort) : requestedPort;
    int controllerPort =
        requestedControllerPort == 0 ? Ports.freeOtherThan(port) : requestedControllerPort;
    if (secure) {
      tls = TlsMaterial.ensure(dir.resolve("tls"));
      adminPassword = adminPassword(dir);
    }
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
    if (secure) {
      secureProperties(p, brokerPort, controllerPort);
    }
    p.putAll(overrides);
    return p;
  }

  private void secureProperties(Map<String, String> p, int brokerPort, int controllerPort) {
    p.put(
        "listeners",
        "SASL_SSL://" + host + ":" + brokerPort + ",CONTROLLER://" + host + ":" + controllerPort);
    p.put("advertised.listeners", "SASL_SSL://" + host + ":" + brokerPort);
    p.put("inter.broker.listener.name", "SASL_SSL");
    p.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL");
    p.put("sasl.enabled.mechanisms", SCRAM);
    p.put("sasl.mechanism.inter.broker.protocol", SCRAM);
    p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", scramJaas(ADMIN, adminPassword));
    p.put("sasl.mechanism.controller.protocol", "PLAIN");
    p.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
    p.put(
        "listener.name.controller.plain.sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
            + ADMIN
            + "\" password=\""
            + adminPassword
            + "\" user_"
            + ADMIN
            + "=\""
            + adminPassword
            + "\";");
    p.put("ssl.keystore.type", "PKCS12");
    p.put("ssl.keystore.location", tls.brokerKeystore().toAbsolutePath().toString());
    p.put("ssl.keystore.password", tls.storePassword());
    p.put("ssl.key.password", tls.storePassword());
    p.put("ssl.truststore.type", "PEM");
    p.put("ssl.truststore.location", tls.caPem().toAbsolutePath().toString());
    p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    p.put("allow.everyone.if.no.acl.found", "false");
    p.put("super.users", "User:" + ADMIN);
  }

  /** The SCRAM mechanism of secure mode. */
  public static final String SCRAM = "SCRAM-SHA-512";

  /** The super user of secure mode. */
  public static final String ADMIN = "admin";

  /** The file (in the broker folder) holding the admin password in secure mode. */
  public static final String ADMIN_PASSWORD_FILE = "admin.password";

  private static String scramJaas(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user
        + "\" password=\""
        + password
        + "\";";
  }

  private static String adminPassword(Path dir) {
    Path f = dir.resolve(ADMIN_PASSWORD_FILE);
    try {
      if (!Files.exists(f)) {
        Files.writeString(f, TlsMaterial.Secrets.randomPassword() + "\n", StandardCharsets.UTF_8);
        try {
          Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
          // not POSIX
        }
      }
      return Files.readString(f, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + f, e);
    }
  }

  /**
   * Client settings for this broker: bootstrap servers, and in secure mode {@code SASL_SSL} with
   * SCRAM-SHA-512 as {@code user} and the CA as PEM trust store.
   */
  public synchronized Map<String, Object> clientProperties(String user, String password) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    if (secure) {
      c.putAll(secureClientProperties(tls.caPem(), user, password));
    }
    return c;
  }

  /** The client settings of a SCRAM-SHA-512 user over TLS trusting {@code caPem}. */
  public static Map<String, Object> secureClientProperties(
      Path caPem, String user, String password) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("security.protocol", "SASL_SSL");
    c.put("sasl.mechanism", SCRAM);
    c.put("sasl.jaas.config", scramJaas(user, password));
    c.put("ssl.truststore.type", "PEM");
    c.put("ssl.truststore.location", caPem.toAbsolutePath().toString());
    return c;
  }

  /** Client settings of the super user (secure mode) or plain bootstrap servers. */
  public synchronized Map<String, Object> adminClientProperties() {
    return clientProperties(ADMIN, adminPassword);
  }

  public boolean isSecure() {
    return secure;
  }

  /** The CA certificate clients trust (secure mode). */
  public synchronized Path caPem() {
    if (tls == null) {
      throw new IllegalStateException("not a secure broker");
    }
    return tls.caPem();
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
      Files.deleteIfExists(config);
      Files.createFile(config);
      if (secure) {
        try {
          Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
          // not POSIX
        }
      }
      try (var out = Files.newOutputStream(config)) {
        p.store(out, "written by EmbeddedKafka on each start");
      }
      List<String> args =
          new ArrayList<>(
              List.of("format", "-t", clusterId, "-c", config.toString(), "--ignore-formatted"));
      if (secure) {
        args.add("--add-scram");
        args.add(SCRAM + "=[name=" + ADMIN + ",password=" + adminPassword + "]");
      }
      int rc;
      try (PrintStream ps = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
        rc = StorageTool.execute(args.toArray(String[]::new), ps);
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
    p.putAll(adminClientProperties());
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
