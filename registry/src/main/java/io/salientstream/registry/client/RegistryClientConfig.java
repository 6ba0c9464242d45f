package io.salientstream.registry.client;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Client settings, read from the same keys as Confluent's client so existing configuration carries
 * over.
 *
 * <table>
 * <caption>keys</caption>
 * <tr><td>{@value #URL}</td><td>comma-separated base URLs, tried in order on connection failure</td></tr>
 * <tr><td>{@value #BASIC_AUTH_SOURCE}</td><td>{@code USER_INFO} enables basic auth from {@value #BASIC_AUTH_USER_INFO}</td></tr>
 * <tr><td>{@value #BASIC_AUTH_USER_INFO}</td><td>{@code user:password}</td></tr>
 * <tr><td>{@code schema.registry.ssl.truststore.location/password/type}</td><td>TLS trust store (JKS or PKCS12)</td></tr>
 * <tr><td>{@code schema.registry.ssl.keystore.location/password/type}, {@code schema.registry.ssl.key.password}</td><td>client certificate</td></tr>
 * <tr><td>{@value #REQUEST_TIMEOUT_MS}</td><td>per-request timeout, default 30000</td></tr>
 * </table>
 */
public record RegistryClientConfig(
    List<URI> urls,
    String basicAuthUserInfo,
    String truststoreLocation,
    String truststorePassword,
    String truststoreType,
    String keystoreLocation,
    String keystorePassword,
    String keystoreType,
    String keyPassword,
    int requestTimeoutMs) {

  public static final String URL = "schema.registry.url";
  public static final String BASIC_AUTH_SOURCE = "basic.auth.credentials.source";
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";

  /** Accepted alias of {@link #BASIC_AUTH_USER_INFO}, as Confluent's client accepts it. */
  public static final String BASIC_AUTH_USER_INFO_PREFIXED = "schema.registry.basic.auth.user.info";

  public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
  public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
  public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
  public static final String SSL_KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
  public static final String SSL_KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
  public static final String SSL_KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
  public static final String SSL_KEY_PASSWORD = "schema.registry.ssl.key.password";
  public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";

  public RegistryClientConfig {
    urls = List.copyOf(urls);
    if (urls.isEmpty()) {
      throw new ConfigException(URL, "", "at least one schema registry URL is required");
    }
  }

  /** A config with just base URL(s). */
  public static RegistryClientConfig ofUrl(String commaSeparatedUrls) {
    return from(Map.of(URL, commaSeparatedUrls));
  }

  /** Reads a Kafka-style config map (serializer configs, Properties converted to a map ...). */
  public static RegistryClientConfig from(Map<String, ?> configs) {
    Object rawUrl = configs.get(URL);
    if (rawUrl == null || rawUrl.toString().isBlank()) {
      throw new ConfigException(URL, rawUrl, "missing required setting " + URL);
    }
    List<URI> urls = new ArrayList<>();
    Iterable<?> parts = rawUrl instanceof List<?> l ? l : List.of(rawUrl.toString().split(","));
    for (Object p : parts) {
      String s = p.toString().trim();
      if (s.isEmpty()) {
        continue;
      }
      URI u = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
      if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
        throw new ConfigException(
            URL, s, "schema registry URL must start with http:// or https://");
      }
      urls.add(u);
    }
    String source = str(configs, BASIC_AUTH_SOURCE);
    String userInfo = null;
    if (source != null && !source.isBlank()) {
      if (!"USER_INFO".equalsIgnoreCase(source) && !"URL".equalsIgnoreCase(source)) {
        throw new ConfigException(
            BASIC_AUTH_SOURCE, source, "supported sources are USER_INFO and URL");
      }
      if ("URL".equalsIgnoreCase(source)) {
        userInfo = urls.get(0).getUserInfo();
      } else {
        userInfo = str(configs, BASIC_AUTH_USER_INFO);
        if (userInfo == null) {
          userInfo = str(configs, BASIC_AUTH_USER_INFO_PREFIXED);
        }
      }
      if (userInfo == null || !userInfo.contains(":")) {
        throw new ConfigException(
            BASIC_AUTH_USER_INFO,
            "(hidden)",
            "basic auth needs user info in the form user:password");
      }
    }
    String timeout = str(configs, REQUEST_TIMEOUT_MS);
    return new RegistryClientConfig(
        urls,
        userInfo,
        str(configs, SSL_TRUSTSTORE_LOCATION),
        str(configs, SSL_TRUSTSTORE_PASSWORD),
        Objects.requireNonNullElse(str(configs, SSL_TRUSTSTORE_TYPE), "JKS"),
        str(configs, SSL_KEYSTORE_LOCATION),
        str(configs, SSL_KEYSTORE_PASSWORD),
        Objects.requireNonNullElse(str(configs, SSL_KEYSTORE_TYPE), "JKS"),
        str(configs, SSL_KEY_PASSWORD),
        timeout == null ? 30_000 : Integer.parseInt(timeout));
  }

  private static String str(Map<String, ?> configs, String key) {
    Object v = configs.get(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Password p) {
      return p.value();
    }
    return v.toString();
  }

  @Override
  public String toString() {
    return "RegistryClientConfig[urls="
        + urls
        + ", basicAuth="
        + (basicAuthUserInfo != null)
        + ", truststore="
        + truststoreLocation
        + ", keystore="
        + keystoreLocation
        + "]";
  }
}
