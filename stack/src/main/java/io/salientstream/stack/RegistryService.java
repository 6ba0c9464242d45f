package io.salientstream.stack;

import io.salientstream.registry.server.KafkaSchemaLog;
import io.salientstream.registry.server.SchemaRegistryServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

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

  /**
   * A file of registry users, one a line: {@code name role subject-prefix password} ({@code role}
   * READ, WRITE or ADMIN; prefix {@code *} for all subjects; {@code #} starts a comment). With it,
   * every request but {@code /health} needs basic auth.
   */
  public static final String USERS_FILE = "schema.registry.users-file";

  /** A PKCS12 key store: the registry serves HTTPS with its key. */
  public static final String TLS_KEYSTORE = "schema.registry.tls.keystore";

  /** The file holding {@link #TLS_KEYSTORE}'s password. */
  public static final String TLS_KEYSTORE_PASSWORD_FILE =
      "schema.registry.tls.keystore.password-file";

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
      SchemaRegistryServer.Builder b =
          SchemaRegistryServer.builder(log)
              .host(config.getProperty(HOST, "localhost"))
              .port(Integer.parseInt(config.getProperty(PORT, "0")));
      if (config.getProperty(USERS_FILE) != null) {
        readUsers(Path.of(config.getProperty(USERS_FILE)), b);
      }
      if (config.getProperty(TLS_KEYSTORE) != null) {
        b.tls(
            sslContext(
                Path.of(config.getProperty(TLS_KEYSTORE)),
                Path.of(config.getProperty(TLS_KEYSTORE_PASSWORD_FILE))));
      }
      server = b.build().start();
    } catch (RuntimeException e) {
      log.close();
      log = null;
      throw e;
    }
  }

  /** Adds the users of a {@link #USERS_FILE} to {@code b}; errors name the file and line. */
  public static void readUsers(Path file, SchemaRegistryServer.Builder b) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read registry users file " + file, e);
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\\s+");
      SchemaRegistryServer.Role role = null;
      if (f.length == 4) {
        try {
          role = SchemaRegistryServer.Role.valueOf(f[1].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          role = null;
        }
      }
      if (role == null) {
        // never echo the line: it holds a password
        throw new IllegalArgumentException(
            "registry users file "
                + file
                + " line "
                + (i + 1)
                + ": expected 'name READ|WRITE|ADMIN subject-prefix|* password'");
      }
      b.user(f[0], f[3], role, f[2].equals("*") ? "" : f[2]);
    }
  }

  private static SSLContext sslContext(Path keystore, Path passwordFile) {
    try {
      char[] pw = Files.readString(passwordFile, StandardCharsets.UTF_8).trim().toCharArray();
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (var in = Files.newInputStream(keystore)) {
        ks.load(in, pw);
      }
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pw);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot load the registry's TLS key store " + keystore + ": " + e.getMessage(), e);
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
