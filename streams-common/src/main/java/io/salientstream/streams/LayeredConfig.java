package io.salientstream.streams;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Settings resolved with a fixed precedence: built-in defaults &lt; properties file &lt; environment variables &lt;
 * command-line flags. Two kinds of keys live side by side:
 *
 * <ul>
 *   <li>SalientStream settings, {@code salientstream.*} (e.g. {@code salientstream.registry.url},
 *       {@code salientstream.tenant}); from the environment as {@code SALIENTSTREAM_REGISTRY_URL};</li>
 *   <li>Kafka client properties, passed through untouched to every producer, consumer, admin client and Streams app
 *       (so SASL and TLS need no code): any other key of the properties file, {@code KAFKA_SASL_MECHANISM} ↦
 *       {@code sasl.mechanism} from the environment, {@code --kafka-config sasl.mechanism=PLAIN} on the command line.</li>
 * </ul>
 */
public final class LayeredConfig {

  public static final String PREFIX = "salientstream.";
  public static final String REGISTRY_URL = PREFIX + "registry.url";
  public static final String TENANT = PREFIX + "tenant";

  /** Built-in defaults; the local stack listens on these. */
  public static final Map<String, String> DEFAULTS = Map.of(
      "bootstrap.servers", "localhost:9092",
      REGISTRY_URL, "http://localhost:8081",
      TENANT, "");

  private final Map<String, String> values;
  private final Map<String, String> origin;

  private LayeredConfig(Map<String, String> values, Map<String, String> origin) {
    this.values = values;
    this.origin = origin;
  }

  /**
   * Resolves all layers.
   *
   * @param file     optional properties file (null when none)
   * @param env      the process environment (System.getenv() in production)
   * @param flags    values given by dedicated flags, e.g. {@code bootstrap.servers} from {@code --bootstrap-servers}
   * @param kafkaKv  repeated {@code --kafka-config key=value} arguments
   */
  public static LayeredConfig resolve(Path file, Map<String, String> env, Map<String, String> flags, List<String> kafkaKv) {
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    Map<String, String> origin = new LinkedHashMap<>();
    DEFAULTS.keySet().forEach(k -> origin.put(k, "default"));
    if (file != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file)) {
        p.load(r);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read --config file " + file + ": " + e.getMessage(), e);
      }
      for (String k : new TreeMap<>(Collections.unmodifiableMap(toMap(p))).keySet()) {
        put(values, origin, k, p.getProperty(k), "file " + file.getFileName());
      }
    }
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String key = envKey(e.getKey());
      if (key != null) {
        put(values, origin, key, e.getValue(), "env " + e.getKey());
      }
    }
    for (String kv : kafkaKv) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--kafka-config expects key=value, got '" + kv + "'");
      }
      put(values, origin, kv.substring(0, eq).trim(), kv.substring(eq + 1), "flag --kafka-config");
    }
    flags.forEach((k, v) -> {
      if (v != null) {
        put(values, origin, k, v, "flag");
      }
    });
    return new LayeredConfig(values, origin);
  }

  /** {@code KAFKA_SASL_MECHANISM} ↦ {@code sasl.mechanism}; {@code SALIENTSTREAM_REGISTRY_URL} ↦ {@code salientstream.registry.url}. */
  static String envKey(String name) {
    String lower = name.toLowerCase(Locale.ROOT).replace('_', '.');
    if (name.startsWith("KAFKA_") && name.length() > 6) {
      return lower.substring("kafka.".length());
    }
    if (name.startsWith("SALIENTSTREAM_") && name.length() > 14 && !name.equals("SALIENTSTREAM_CONFIG")) {
      return lower;
    }
    return null;
  }

  private static Map<String, String> toMap(Properties p) {
    Map<String, String> m = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    return m;
  }

  private static void put(Map<String, String> values, Map<String, String> origin, String key, String value, String from) {
    values.put(key, value);
    origin.put(key, from);
  }

  public String get(String key) {
    return values.get(key);
  }

  public String bootstrapServers() {
    return values.get("bootstrap.servers");
  }

  public String registryUrl() {
    return values.get(REGISTRY_URL);
  }

  public String tenant() {
    return values.getOrDefault(TENANT, "");
  }

  /** Where a setting came from (default, file, env or flag), for {@code --show-config}. */
  public String originOf(String key) {
    return origin.get(key);
  }

  /** Kafka client properties: everything that is not a {@code salientstream.*} setting. */
  public Map<String, Object> kafkaProperties() {
    Map<String, Object> m = new TreeMap<>();
    values.forEach((k, v) -> {
      if (!k.startsWith(PREFIX)) {
        m.put(k, v);
      }
    });
    return m;
  }

  /** Kafka properties plus the registry URL under the key our serdes read ({@code schema.registry.url}). */
  public Map<String, Object> serdeProperties() {
    Map<String, Object> m = new TreeMap<>(kafkaProperties());
    m.put("schema.registry.url", registryUrl());
    return m;
  }

  public Map<String, String> all() {
    return Collections.unmodifiableMap(values);
  }
}
