package io.salientstream.streams;

import io.salientstream.http.HttpAuth;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Settings resolved with a fixed precedence: built-in defaults &lt; properties file &lt;
 * environment variables &lt; command-line flags. Two kinds of keys live side by side:
 *
 * <ul>
 *   <li>SalientStream settings, {@code salientstream.*} (e.g. {@code salientstream.registry.url},
 *       {@code salientstream.tenant}); from the environment as {@code SALIENTSTREAM_REGISTRY_URL};
 *   <li>Kafka client properties, passed through untouched to every producer, consumer, admin client
 *       and Streams app (so SASL and TLS need no code): any other key of the properties file,
 *       {@code KAFKA_SASL_MECHANISM} ↦ {@code sasl.mechanism} from the environment, {@code
 *       --kafka-config sasl.mechanism=PLAIN} on the command line.
 * </ul>
 */
public final class LayeredConfig {

  public static final String PREFIX = "salientstream.";
  public static final String REGISTRY_URL = PREFIX + "registry.url";
  public static final String TENANT = PREFIX + "tenant";

  /**
   * Policy snapshots the salience-analyzer keeps per experiment: how many window ends back a
   * trainer resumed from a checkpoint may start. The pruner keeps at least as many rank patterns,
   * so both reach equally far back.
   */
  public static final String RESUME_SNAPSHOTS = PREFIX + "analyzer.resume-snapshots";

  /**
   * Policies the analyzer keeps in memory per stream task; the others are rebuilt from the stores
   * when needed.
   */
  public static final String LIVE_POLICIES = PREFIX + "analyzer.live-policies";

  /**
   * Seconds an experiment may stay silent (no registration, no input record) before the analyzer
   * and the pruner drop its state: abandoned and failed runs. Finished runs leave at once (after
   * the grace period), through their registration's tombstone.
   */
  public static final String IDLE_RETENTION_SECONDS = PREFIX + "idle-retention.seconds";

  /**
   * Seconds the analyzer and the pruner keep a record of an experiment not (yet) registered before
   * it becomes a dead letter, and keep a finished experiment's state after its registration's
   * tombstone (its last records may still be on their way).
   */
  public static final String GRACE_SECONDS = PREFIX + "grace.seconds";

  /** Interface the services' HTTP endpoints bind to ({@code localhost} unless told otherwise). */
  public static final String HTTP_HOST = PREFIX + "http.host";

  /**
   * A file holding the bearer token the services' HTTP endpoints require on every path but {@code
   * /health}; empty: no authentication. A file, so the token is never a process argument.
   */
  public static final String HTTP_TOKEN_FILE = PREFIX + "http.token-file";

  /** How long a {@code kafka-sync} trainer waits for a command before it gives up. */
  public static final String SYNC_TIMEOUT_SECONDS = PREFIX + "sync.timeout.seconds";

  /**
   * One SalientStream setting: its key, default, flag, what it means, and its one check (applied
   * once, when the layers are resolved, so a bad value is refused naming where it came from).
   */
  public record Setting(
      String key,
      String defaultValue,
      String flag,
      String description,
      Predicate<String> valid,
      String expected) {

    /**
     * The environment variable: {@code salientstream.analyzer.resume-snapshots} ↦ {@code
     * SALIENTSTREAM_ANALYZER_RESUME_SNAPSHOTS}.
     */
    public String envName() {
      String k = key.startsWith(PREFIX) ? key : "kafka." + key;
      return k.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }
  }

  /** Every setting with a default, in the order the README's table lists them. */
  public static final List<Setting> SETTINGS =
      List.of(
          new Setting(
              "bootstrap.servers",
              "localhost:9092",
              "--bootstrap-servers",
              "Kafka bootstrap servers (a Kafka client property, passed to every client)",
              v -> !v.isBlank(),
              "host:port[,host:port...]"),
          new Setting(
              REGISTRY_URL,
              "http://localhost:8081",
              "--registry-url",
              "schema registry URL",
              v -> v.startsWith("http://") || v.startsWith("https://"),
              "an http:// or https:// URL"),
          new Setting(
              TENANT,
              "",
              "--tenant",
              "prefix of every topic name (and of the Streams application ids)",
              v ->
                  v.chars()
                      .allMatch(
                          c -> Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-'),
              "letters, digits, '.', '_' or '-'"),
          new Setting(
              RESUME_SNAPSHOTS,
              "1",
              "--resume-snapshots",
              "policy snapshots the analyzer keeps per experiment (a resumed trainer may start up to this many window ends"
                  + " back); the pruner keeps at least as many rank patterns",
              v -> intIn(v, 1, 64),
              "an integer >= 1 and <= 64"),
          new Setting(
              LIVE_POLICIES,
              "10000",
              "(properties file or environment)",
              "policies the analyzer keeps in memory per stream task, least recently used out first; an experiment whose"
                  + " policy was evicted is rebuilt from its stored snapshot and rows, with the same result",
              v -> intIn(v, 0, 1_000_000),
              "an integer >= 0 and <= 1000000"),
          new Setting(
              GRACE_SECONDS,
              "30",
              "(properties file or environment)",
              "seconds the analyzer and the pruner park records of an experiment not registered yet (then: dead letter),"
                  + " and keep a finished experiment's state after its registration's tombstone",
              v -> intIn(v, 1, 3_600),
              "an integer >= 1 and <= 3600"),
          new Setting(
              IDLE_RETENTION_SECONDS,
              "604800",
              "(properties file or environment)",
              "seconds an experiment may stay silent before the analyzer and the pruner drop its state (abandoned and"
                  + " failed runs; a finished run leaves a grace period after its registration's tombstone)",
              v -> intIn(v, 1, 315_360_000),
              "an integer >= 1 and <= 315360000 (ten years)"),
          new Setting(
              SYNC_TIMEOUT_SECONDS,
              "300",
              "--allocation-config salientstream.sync.timeout.seconds=S",
              "how long a kafka-sync trainer waits for a command",
              v -> intIn(v, 1, 86_400),
              "an integer >= 1 and <= 86400 (a day)"),
          new Setting(
              HTTP_HOST,
              "localhost",
              "(properties file or environment)",
              "interface the analyzer's and pruner's HTTP endpoints bind to (0.0.0.0: all)",
              v -> !v.isBlank(),
              "a host name or address"),
          new Setting(
              HTTP_TOKEN_FILE,
              "",
              "(properties file or environment)",
              "file holding the bearer token the analyzer's and pruner's HTTP endpoints require on every path but"
                  + " /health (empty: none)",
              v -> true,
              "a file name"));

  /** Built-in defaults; the local stack listens on these. */
  public static final Map<String, String> DEFAULTS =
      SETTINGS.stream().collect(Collectors.toUnmodifiableMap(Setting::key, Setting::defaultValue));

  /**
   * Keys of the schema registry client (its URL, basic auth and TLS settings): they configure our
   * serdes and are never handed to a Kafka client.
   */
  private static final List<String> REGISTRY_CLIENT_PREFIXES =
      List.of("schema.registry.", "basic.auth.");

  private final Map<String, String> values;
  private final Map<String, String> origin;

  private LayeredConfig(Map<String, String> values, Map<String, String> origin) {
    this.values = values;
    this.origin = origin;
  }

  /**
   * Resolves all layers.
   *
   * @param file optional properties file (null when none)
   * @param env the process environment (System.getenv() in production)
   * @param flags values given by dedicated flags, e.g. {@code bootstrap.servers} from {@code
   *     --bootstrap-servers}
   * @param kafkaKv repeated {@code --kafka-config key=value} arguments
   */
  public static LayeredConfig resolve(
      Path file, Map<String, String> env, Map<String, String> flags, List<String> kafkaKv) {
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    Map<String, String> origin = new LinkedHashMap<>();
    DEFAULTS.keySet().forEach(k -> origin.put(k, "default"));
    if (file != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file)) {
        p.load(r);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot read --config file " + file + ": " + e.getMessage(), e);
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
      String key = kv.substring(0, eq).trim();
      if (isSecret(key)) {
        // process arguments are visible to every user of the host (ps, /proc)
        throw new IllegalArgumentException(
            "--kafka-config "
                + key
                + " would put a secret on the command line; put it in the --config file or the"
                + " environment (KAFKA_"
                + key.toUpperCase(Locale.ROOT).replace('.', '_')
                + ")");
      }
      put(values, origin, key, kv.substring(eq + 1), "flag --kafka-config");
    }
    flags.forEach(
        (k, v) -> {
          if (v != null) {
            put(values, origin, k, v, "flag");
          }
        });
    validate(values, origin);
    return new LayeredConfig(values, origin);
  }

  /**
   * {@code KAFKA_SASL_MECHANISM} ↦ {@code sasl.mechanism}; {@code SALIENTSTREAM_REGISTRY_URL} ↦
   * {@code salientstream.registry.url}.
   */
  static String envKey(String name) {
    if (name.startsWith("SALIENTSTREAM_") && !name.equals("SALIENTSTREAM_CONFIG")) {
      // through the catalogue, since a key's '-' cannot be written in a variable name
      return SETTINGS.stream()
          .filter(s -> s.key().startsWith(PREFIX) && s.envName().equals(name))
          .map(Setting::key)
          .findFirst()
          .orElseThrow(
              () ->
                  new IllegalArgumentException(
                      "environment variable "
                          + name
                          + " is not a SalientStream setting; known: "
                          + SETTINGS.stream()
                              .filter(s -> s.key().startsWith(PREFIX))
                              .map(Setting::envName)
                              .toList()));
    }
    if (name.startsWith("KAFKA_") && name.length() > 6) {
      return name.toLowerCase(Locale.ROOT).replace('_', '.').substring("kafka.".length());
    }
    return null;
  }

  private static boolean intIn(String v, int min, int max) {
    try {
      int i = Integer.parseInt(v.trim());
      return i >= min && i <= max;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Keys whose values are secrets: never accepted from process arguments. */
  static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.endsWith("jaas.config")
        || k.endsWith("password")
        || k.endsWith("user.info")
        || k.endsWith("token")
        || k.endsWith(".key");
  }

  private static boolean nonNegativeInt(String v) {
    try {
      return Integer.parseInt(v.trim()) >= 0;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean positiveInt(String v) {
    try {
      return Integer.parseInt(v.trim()) >= 1;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * Refuses unknown {@code salientstream.*} keys and values that fail their setting's check, naming
   * the origin.
   */
  private static void validate(Map<String, String> values, Map<String, String> origin) {
    values.forEach(
        (k, v) -> {
          if (!k.startsWith(PREFIX) && !DEFAULTS.containsKey(k)) {
            return; // a Kafka client property: the client checks it
          }
          Setting s =
              SETTINGS.stream()
                  .filter(x -> x.key().equals(k))
                  .findFirst()
                  .orElseThrow(
                      () ->
                          new IllegalArgumentException(
                              k
                                  + " (from "
                                  + origin.get(k)
                                  + ") is not a SalientStream setting; known: "
                                  + SETTINGS.stream()
                                      .map(Setting::key)
                                      .filter(x -> x.startsWith(PREFIX))
                                      .toList()));
          if (!s.valid().test(v)) {
            throw new IllegalArgumentException(
                k + " must be " + s.expected() + ", got '" + v + "' (from " + origin.get(k) + ")");
          }
        });
  }

  private static Map<String, String> toMap(Properties p) {
    Map<String, String> m = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    return m;
  }

  private static void put(
      Map<String, String> values,
      Map<String, String> origin,
      String key,
      String value,
      String from) {
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

  /** {@link #RESUME_SNAPSHOTS}, checked when resolved. */
  public int resumeSnapshots() {
    return Integer.parseInt(values.get(RESUME_SNAPSHOTS).trim());
  }

  /** {@link #LIVE_POLICIES} from an application's config map (the default when absent). */
  public static int livePolicies(Map<String, ?> config) {
    Object v = config.get(LIVE_POLICIES);
    String text = v == null ? DEFAULTS.get(LIVE_POLICIES) : v.toString();
    if (!nonNegativeInt(text)) {
      throw new IllegalArgumentException(
          LIVE_POLICIES + " must be an integer >= 0, got '" + v + "'");
    }
    return Integer.parseInt(text.trim());
  }

  /** {@link #GRACE_SECONDS} from an application's config map (the default, 30 s, when absent). */
  public static Duration grace(Map<String, ?> config) {
    Object v = config.get(GRACE_SECONDS);
    String text = v == null ? DEFAULTS.get(GRACE_SECONDS) : v.toString();
    if (!intIn(text, 1, 3_600)) {
      throw new IllegalArgumentException(
          GRACE_SECONDS + " must be an integer >= 1 and <= 3600, got '" + v + "'");
    }
    return Duration.ofSeconds(Long.parseLong(text.trim()));
  }

  /**
   * {@link #IDLE_RETENTION_SECONDS} from an application's config map (the default, 7 days, when
   * absent).
   */
  public static Duration idleRetention(Map<String, ?> config) {
    Object v = config.get(IDLE_RETENTION_SECONDS);
    String text = v == null ? DEFAULTS.get(IDLE_RETENTION_SECONDS) : v.toString();
    if (!intIn(text, 1, 315_360_000)) {
      throw new IllegalArgumentException(
          IDLE_RETENTION_SECONDS + " must be an integer >= 1 and <= 315360000, got '" + v + "'");
    }
    return Duration.ofSeconds(Long.parseLong(text.trim()));
  }

  /**
   * The services' HTTP settings: {@link #HTTP_HOST}, and the bearer token read from {@link
   * #HTTP_TOKEN_FILE} (absent when none is set).
   */
  public OpsHttp.Settings httpSettings(int port) {
    HttpAuth auth = httpToken().map(t -> HttpAuth.bearer("ops", t)).orElse(null);
    return new OpsHttp.Settings(httpHost(), port, auth);
  }

  /** {@link #HTTP_HOST}: the interface HTTP endpoints bind to ({@code localhost} by default). */
  public String httpHost() {
    return values.getOrDefault(HTTP_HOST, "localhost").trim();
  }

  /**
   * The token in the file {@link #HTTP_TOKEN_FILE} names (trimmed), or empty when none is set; an
   * unreadable or empty file fails, naming the setting and where it came from.
   */
  public Optional<String> httpToken() {
    String file = values.getOrDefault(HTTP_TOKEN_FILE, "");
    if (file.isBlank()) {
      return Optional.empty();
    }
    String token;
    try {
      token = Files.readString(Path.of(file.trim())).trim();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          HTTP_TOKEN_FILE
              + " (from "
              + origin.get(HTTP_TOKEN_FILE)
              + "): cannot read "
              + file
              + ": "
              + e.getMessage(),
          e);
    }
    if (token.isEmpty()) {
      throw new IllegalArgumentException(
          HTTP_TOKEN_FILE + " (from " + origin.get(HTTP_TOKEN_FILE) + "): " + file + " is empty");
    }
    return Optional.of(token);
  }

  /** {@link #SYNC_TIMEOUT_SECONDS}, checked when resolved. */
  public int syncTimeoutSeconds() {
    return Integer.parseInt(values.get(SYNC_TIMEOUT_SECONDS).trim());
  }

  /**
   * {@link #RESUME_SNAPSHOTS} from an application's config map (where the CLI put the resolved
   * value; a map built by hand may lack it: then the default).
   */
  public static int resumeSnapshots(Map<String, ?> config) {
    Object v = config.get(RESUME_SNAPSHOTS);
    String text = v == null ? DEFAULTS.get(RESUME_SNAPSHOTS) : v.toString();
    if (!positiveInt(text)) {
      throw new IllegalArgumentException(
          RESUME_SNAPSHOTS + " must be an integer >= 1, got '" + v + "'");
    }
    return Integer.parseInt(text.trim());
  }

  /**
   * Where a setting came from (default, file, env or flag), for error messages and the services'
   * start-up line.
   */
  public String originOf(String key) {
    return origin.get(key);
  }

  /**
   * Kafka client properties: everything that is neither a {@code salientstream.*} nor a registry
   * client setting.
   */
  public Map<String, Object> kafkaProperties() {
    return kafkaClientProperties(values);
  }

  /**
   * The one filter from a config map (Kafka properties, registry client settings, SalientStream
   * settings side by side) to what a Kafka producer, consumer or admin client is given: without
   * {@code salientstream.*}, {@code schema.registry.*} and {@code basic.auth.*} keys.
   */
  public static Map<String, Object> kafkaClientProperties(Map<String, ?> config) {
    Map<String, Object> m = new TreeMap<>();
    config.forEach(
        (k, v) -> {
          if (!k.startsWith(PREFIX) && REGISTRY_CLIENT_PREFIXES.stream().noneMatch(k::startsWith)) {
            m.put(k, v);
          }
        });
    return m;
  }

  /**
   * What the Streams apps, trainers and tools are configured with: the Kafka properties, the
   * registry client settings (with the registry URL under the key our serdes read, {@code
   * schema.registry.url}) and the resolved {@code salientstream.*} settings the apps read ({@link
   * #resumeSnapshots(Map)}). Kafka clients get {@link #kafkaClientProperties} of it.
   */
  public Map<String, Object> serdeProperties() {
    Map<String, Object> m = new TreeMap<>(values);
    m.remove(REGISTRY_URL);
    m.remove(TENANT);
    m.put("schema.registry.url", registryUrl());
    return m;
  }

  public Map<String, String> all() {
    return Collections.unmodifiableMap(values);
  }
}
