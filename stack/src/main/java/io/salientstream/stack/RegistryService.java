package io.salientstream.stack;

import io.salientstream.registry.server.KafkaSchemaLog;
import io.salientstream.registry.server.SchemaRegistryServer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The embedded schema registry as a {@link Service}: a {@link SchemaRegistryServer} over a
 * compacted Kafka topic. Settings: {@value #PORT} (default 0 = free port), {@value #HOST} (default
 * localhost), {@value #TOPIC} (default {@code _schemas}), {@value #REPLICATION_FACTOR} (default 1);
 * any {@code kafka.}-prefixed setting is passed to the registry's Kafka clients without the prefix
 * (security settings).
 *
 * <p>Run one registry per schema topic: it is the single writer of that topic.
 */
public final class RegistryService implements Service {
  public static final String PORT = "schema.registry.port";
  public static final String HOST = "schema.registry.host";
  public static final String TOPIC = "schema.registry.topic";
  public static final String REPLICATION_FACTOR = "schema.registry.topic.replication.factor";

  private KafkaSchemaLog log;
  private SchemaRegistryServer server;

  @Override
  public String name() {
    return "schema-registry";
  }

  @Override
  public synchronized void start(String bootstrapServers, Path stateDir, Properties config) {
    if (server != null) {
      throw new IllegalStateException("schema registry already running at " + server.url());
    }
    Map<String, Object> clientOverrides = new HashMap<>();
    config.stringPropertyNames().stream()
        .filter(k -> k.startsWith("kafka."))
        .forEach(k -> clientOverrides.put(k.substring("kafka.".length()), config.getProperty(k)));
    log =
        new KafkaSchemaLog(
            bootstrapServers,
            config.getProperty(TOPIC, KafkaSchemaLog.DEFAULT_TOPIC),
            Short.parseShort(config.getProperty(REPLICATION_FACTOR, "1")),
            clientOverrides);
    try {
      server =
          SchemaRegistryServer.builder(log)
              .host(config.getProperty(HOST, "localhost"))
              .port(Integer.parseInt(config.getProperty(PORT, "0")))
              .build()
              .start();
    } catch (RuntimeException e) {
      log.close();
      log = null;
      throw e;
    }
  }

  /** Base URL of the running registry. */
  public synchronized String url() {
    if (server == null) {
      throw new IllegalStateException("schema registry not running");
    }
    return server.url();
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  @Override
  public synchronized void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
    if (log != null) {
      log.close();
      log = null;
    }
  }
}
