package io.salientstream.stack;

import io.salientstream.stack.secure.TlsMaterial;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole local platform with one lifecycle: an in-process Kafka broker, the system's topics, the
 * schema registry, and any further {@link Service}s (started in order after the registry, stopped
 * in reverse).
 *
 * <pre>{@code
 * try (LocalStack stack = LocalStack.builder().folder(Path.of("local-data")).build().start()) {
 *     stack.bootstrapServers();   // localhost:9092
 *     stack.registryUrl();        // http://localhost:8081
 * }
 * }</pre>
 */
public final class LocalStack implements AutoCloseable {
  public static final int DEFAULT_REGISTRY_PORT = 8081;

  /** The registry users file of secure mode, in the broker folder. */
  public static final String REGISTRY_USERS_FILE = "registry-users";

  private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

  private final EmbeddedKafka kafka;
  private final Topics topics;
  private final boolean createTopics;
  private final Properties registryConfig;
  private final RegistryService registry = new RegistryService();
  private final List<Service> services;
  private final Path folder;
  private final List<Service> started = new ArrayList<>();
  private long readyMillis = -1;
  private TopicInitializer.Result topicResult;

  private LocalStack(Builder b) {
    EmbeddedKafka.Builder kb = EmbeddedKafka.builder();
    if (b.folder != null) {
      kb.folder(b.folder.resolve("kafka"));
    }
    if (b.kafkaPort != null) {
      kb.port(b.kafkaPort);
    }
    if (b.controllerPort != null) {
      kb.controllerPort(b.controllerPort);
    }
    if (b.secure) {
      kb.secure();
    }
    this.kafka = kb.build();
    this.folder = b.folder;
    this.topics = Topics.withPrefix(b.topicPrefix);
    this.createTopics = b.createTopics;
    this.registryConfig = new Properties();
    int registryPort =
        b.registryPort != null ? b.registryPort : (b.folder != null ? DEFAULT_REGISTRY_PORT : 0);
    registryConfig.setProperty(RegistryService.PORT, String.valueOf(registryPort));
    registryConfig.setProperty(RegistryService.TOPIC, topics.name(Topics.SCHEMAS));
    this.services = List.copyOf(b.services);
  }

  /** Ephemeral: free ports, temp data deleted on close, default topic prefix. */
  public static LocalStack ephemeral() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Options. With a folder: Kafka on 9092/9093, registry on 8081, data kept; without: free ports,
   * temp data.
   */
  public static final class Builder {
    private Path folder;
    private Integer kafkaPort;
    private Integer controllerPort;
    private Integer registryPort;
    private String topicPrefix = "";
    private boolean createTopics = true;
    private boolean secure;
    private final List<Service> services = new ArrayList<>();

    /**
     * Secure mode: the broker of {@link EmbeddedKafka.Builder#secure()}, and a registry over HTTPS
     * (the broker's certificate) that requires basic auth, its users read from {@value
     * #REGISTRY_USERS_FILE} in the broker folder (made at the first start with the super user
     * {@code admin}, the broker's admin password).
     */
    public Builder secure() {
      this.secure = true;
      return this;
    }

    /** Keep broker data in {@code folder/kafka} across restarts. */
    public Builder folder(Path folder) {
      this.folder = folder;
      return this;
    }

    public Builder kafkaPort(int port) {
      this.kafkaPort = port;
      return this;
    }

    public Builder controllerPort(int port) {
      this.controllerPort = port;
      return this;
    }

    public Builder registryPort(int port) {
      this.registryPort = port;
      return this;
    }

    /** Per-tenant prefix of the catalogue's topic names (e.g. {@code "acme."}). */
    public Builder topicPrefix(String prefix) {
      this.topicPrefix = prefix == null ? "" : prefix;
      return this;
    }

    /** Do not create the catalogue's topics at start. */
    public Builder withoutTopics() {
      this.createTopics = false;
      return this;
    }

    /** Another service to host, started after the registry with the stack's bootstrap servers. */
    public Builder service(Service service) {
      services.add(service);
      return this;
    }

    public LocalStack build() {
      return new LocalStack(this);
    }
  }

  /**
   * Runs a local stack until stopped (Ctrl-C / SIGTERM): {@code LocalStack [folder] [kafkaPort]
   * [registryPort]} (defaults {@code local-data}, 9092, 8081).
   */
  public static void main(String[] args) throws InterruptedException {
    Path folder = Path.of(args.length > 0 ? args[0] : "local-data");
    Builder b = builder().folder(folder);
    if (args.length > 1) {
      b.kafkaPort(Integer.parseInt(args[1]));
    }
    if (args.length > 2) {
      b.registryPort(Integer.parseInt(args[2]));
    }
    LocalStack stack = b.build().start();
    System.out.printf(
        "SalientStream local stack ready in %d ms%n  kafka:           %s%n"
            + "  schema registry: %s%n  data:            %s%n",
        stack.readyMillis(),
        stack.bootstrapServers(),
        stack.registryUrl(),
        folder.toAbsolutePath());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stack.close();
                  stopped.countDown();
                },
                "local-stack-shutdown"));
    stopped.await();
  }

  /** Starts broker, topics, registry and services; returns once all are ready. */
  public synchronized LocalStack start() {
    long t0 = System.nanoTime();
    kafka.start();
    try {
      if (createTopics) {
        try (Admin admin = admin()) {
          topicResult = TopicInitializer.ensureTopics(admin, topics, (short) 1);
        }
      }
      if (kafka.isSecure()) {
        secureRegistryConfig();
      }
      registry.start(kafka.bootstrapServers(), null, registryConfig);
      started.add(registry);
      for (Service s : services) {
        Path state = folder == null ? null : folder.resolve(s.name());
        s.start(kafka.bootstrapServers(), state, new Properties());
        started.add(s);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    readyMillis = (System.nanoTime() - t0) / 1_000_000;
    LOG.info(
        "local stack ready in {} ms: kafka {}, schema registry {}",
        readyMillis,
        bootstrapServers(),
        registryUrl());
    return this;
  }

  private void secureRegistryConfig() {
    kafka
        .adminClientProperties()
        .forEach((k, v) -> registryConfig.setProperty("kafka." + k, String.valueOf(v)));
    Path dir = kafka.folder();
    Path tls = kafka.caPem().getParent();
    registryConfig.setProperty(
        RegistryService.TLS_KEYSTORE, tls.resolve(TlsMaterial.BROKER_KEYSTORE).toString());
    registryConfig.setProperty(
        RegistryService.TLS_KEYSTORE_PASSWORD_FILE,
        tls.resolve(TlsMaterial.PASSWORD_FILE).toString());
    Path users = registryUsersFile();
    try {
      if (!Files.exists(users)) {
        String pw = Files.readString(dir.resolve(EmbeddedKafka.ADMIN_PASSWORD_FILE)).trim();
        Files.createFile(users);
        try {
          Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
          // not POSIX
        }
        Files.writeString(
            users,
            "# name role subject-prefix|* password   (read at each start of the registry)\n"
                + EmbeddedKafka.ADMIN
                + " ADMIN * "
                + pw
                + "\n");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + users, e);
    }
    registryConfig.setProperty(RegistryService.USERS_FILE, users.toString());
  }

  /** The registry users file (secure mode). */
  public Path registryUsersFile() {
    return kafka.folder().resolve(REGISTRY_USERS_FILE);
  }

  /** Stops and starts the schema registry alone (it rebuilds its state from the schema topic). */
  public synchronized void restartRegistry() {
    registry.stop();
    registry.start(kafka.bootstrapServers(), null, registryConfig);
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  public String registryUrl() {
    return registry.url();
  }

  /**
   * Client settings for this stack: {@code bootstrap.servers} and {@code schema.registry.url} (a
   * new mutable map, so callers may add their own).
   */
  public Map<String, Object> clientConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("bootstrap.servers", bootstrapServers());
    c.put("schema.registry.url", registryUrl());
    return c;
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  /** The topic catalogue with this stack's prefix. */
  public Topics topics() {
    return topics;
  }

  /** What topic initialization did at the last start; {@code null} when topics were not created. */
  public TopicInitializer.Result topicResult() {
    return topicResult;
  }

  /** Milliseconds from {@link #start()} to everything ready. */
  public long readyMillis() {
    return readyMillis;
  }

  /** An admin client on this stack's broker (the caller closes it). */
  public Admin admin() {
    Properties p = new Properties();
    p.putAll(kafka.adminClientProperties());
    return Admin.create(p);
  }

  /** Stops services in reverse order, then the registry, then the broker. Safe to call twice. */
  @Override
  public synchronized void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).stop();
      } catch (RuntimeException e) {
        LOG.warn("stopping {} failed", started.get(i).name(), e);
      }
    }
    started.clear();
    kafka.close();
  }
}
