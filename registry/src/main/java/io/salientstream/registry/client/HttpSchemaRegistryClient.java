package io.salientstream.registry.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salientstream.registry.CompatibilityLevel;
import io.salientstream.registry.ErrorCodes;
import io.salientstream.registry.SchemaMetadata;
import io.salientstream.registry.SchemaRegistryClient;
import io.salientstream.registry.SchemaRegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@link SchemaRegistryClient} over the Confluent REST API ({@code java.net.http}). Thread-safe.
 *
 * <p>Caches: id → schema (ids never change meaning), and (subject, schema) → id for registrations
 * and lookups. Base URLs are tried in order; the next one is tried only when a connection cannot be
 * made.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {
  public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RegistryClientConfig config;
  private final HttpClient http;
  private final String authorization;
  private final Map<Integer, Schema> schemaById = new ConcurrentHashMap<>();
  private final Map<String, Map<Schema, Integer>> idBySubjectAndSchema = new ConcurrentHashMap<>();

  public HttpSchemaRegistryClient(RegistryClientConfig config) {
    this.config = config;
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofMillis(Math.min(config.requestTimeoutMs(), 10_000)));
    if (config.truststoreLocation() != null || config.keystoreLocation() != null) {
      b.sslContext(sslContext(config));
    }
    this.http = b.build();
    this.authorization =
        config.basicAuthUserInfo() == null
            ? null
            : "Basic "
                + Base64.getEncoder()
                    .encodeToString(config.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8));
  }

  /** A client for {@code schema.registry.url}-style base URL(s), comma-separated. */
  public HttpSchemaRegistryClient(String urls) {
    this(RegistryClientConfig.ofUrl(urls));
  }

  public RegistryClientConfig config() {
    return config;
  }

  @Override
  public int register(String subject, Schema schema) {
    Map<Schema, Integer> ids =
        idBySubjectAndSchema.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
    Integer cached = ids.get(schema);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = send("POST", "/subjects/" + enc(subject) + "/versions", schemaBody(schema));
    int id = answer.path("id").asInt();
    ids.put(schema, id);
    schemaById.putIfAbsent(id, schema);
    return id;
  }

  @Override
  public int getId(String subject, Schema schema) {
    Map<Schema, Integer> ids =
        idBySubjectAndSchema.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
    Integer cached = ids.get(schema);
    if (cached != null) {
      return cached;
    }
    int id = lookup(subject, schema).id();
    ids.put(schema, id);
    return id;
  }

  @Override
  public SchemaMetadata lookup(String subject, Schema schema) {
    return metadata(send("POST", "/subjects/" + enc(subject), schemaBody(schema)));
  }

  @Override
  public Schema getSchemaById(int id) {
    Schema cached = schemaById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = send("GET", "/schemas/ids/" + id, null);
    Schema parsed = parse(answer.path("schema").asText(), "schema id " + id);
    Schema prev = schemaById.putIfAbsent(id, parsed);
    return prev != null ? prev : parsed;
  }

  @Override
  public SchemaMetadata getLatestSchemaMetadata(String subject) {
    return metadata(send("GET", "/subjects/" + enc(subject) + "/versions/latest", null));
  }

  @Override
  public SchemaMetadata getSchemaMetadata(String subject, int version) {
    return metadata(send("GET", "/subjects/" + enc(subject) + "/versions/" + version, null));
  }

  @Override
  public List<String> getAllSubjects() {
    List<String> out = new ArrayList<>();
    send("GET", "/subjects", null).forEach(n -> out.add(n.asText()));
    return out;
  }

  @Override
  public List<Integer> getAllVersions(String subject) {
    List<Integer> out = new ArrayList<>();
    send("GET", "/subjects/" + enc(subject) + "/versions", null).forEach(n -> out.add(n.asInt()));
    return out;
  }

  @Override
  public boolean testCompatibility(String subject, Schema schema) {
    return send("POST", "/compatibility/subjects/" + enc(subject) + "/versions", schemaBody(schema))
        .path("is_compatible")
        .asBoolean();
  }

  @Override
  public List<String> testCompatibilityVerbose(String subject, Schema schema) {
    JsonNode answer =
        send(
            "POST",
            "/compatibility/subjects/" + enc(subject) + "/versions?verbose=true",
            schemaBody(schema));
    List<String> messages = new ArrayList<>();
    answer.path("messages").forEach(n -> messages.add(n.asText()));
    if (!answer.path("is_compatible").asBoolean() && messages.isEmpty()) {
      messages.add("incompatible");
    }
    return answer.path("is_compatible").asBoolean() ? List.of() : messages;
  }

  @Override
  public CompatibilityLevel updateCompatibility(String subject, CompatibilityLevel level) {
    ObjectNode body = JSON.createObjectNode().put("compatibility", level.name());
    JsonNode answer =
        send("PUT", subject == null ? "/config" : "/config/" + enc(subject), body.toString());
    return CompatibilityLevel.parse(answer.path("compatibility").asText());
  }

  @Override
  public CompatibilityLevel getCompatibility(String subject) {
    String path = subject == null ? "/config" : "/config/" + enc(subject) + "?defaultToGlobal=true";
    return CompatibilityLevel.parse(send("GET", path, null).path("compatibilityLevel").asText());
  }

  @Override
  public List<Integer> deleteSubject(String subject) {
    List<Integer> out = new ArrayList<>();
    send("DELETE", "/subjects/" + enc(subject), null).forEach(n -> out.add(n.asInt()));
    idBySubjectAndSchema.remove(subject);
    return out;
  }

  @Override
  public void close() {
    // java.net.http.HttpClient on Java 17 holds no resources that need closing
  }

  private static SchemaMetadata metadata(JsonNode n) {
    return new SchemaMetadata(
        n.path("subject").asText(),
        n.path("version").asInt(),
        n.path("id").asInt(),
        n.path("schema").asText());
  }

  private static String schemaBody(Schema schema) {
    // Confluent's serializer registers schema.toString(); the server compares parsed schemas.
    return JSON.createObjectNode().put("schema", schema.toString()).toString();
  }

  private static Schema parse(String text, String what) {
    try {
      return new Schema.Parser().parse(text);
    } catch (SchemaParseException e) {
      throw new SchemaRegistryException(
          0,
          ErrorCodes.INVALID_SCHEMA,
          "registry returned an unparsable Avro schema for " + what + ": " + e.getMessage(),
          e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private JsonNode send(String method, String pathAndQuery, String body) {
    IOException lastFailure = null;
    for (URI base : config.urls()) {
      HttpRequest.Builder rb =
          HttpRequest.newBuilder(URI.create(base + pathAndQuery))
              .timeout(Duration.ofMillis(config.requestTimeoutMs()))
              .header("Accept", CONTENT_TYPE + ", application/json")
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
      if (body != null) {
        rb.header("Content-Type", CONTENT_TYPE);
      }
      if (authorization != null) {
        rb.header("Authorization", authorization);
      }
      HttpResponse<byte[]> response;
      try {
        response = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        // connection refused, TLS handshake failure, timeout: try the next URL
        lastFailure = e;
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SchemaRegistryException(
            0,
            ErrorCodes.OPERATION_TIMEOUT,
            "interrupted while calling the schema registry " + method + " " + pathAndQuery,
            e);
      }
      return answer(method, base + pathAndQuery, response);
    }
    throw new SchemaRegistryException(
        0,
        ErrorCodes.FORWARDING_ERROR,
        "no schema registry reachable at "
            + config.urls()
            + " for "
            + method
            + " "
            + pathAndQuery
            + ": "
            + lastFailure,
        lastFailure);
  }

  private static JsonNode answer(String method, String url, HttpResponse<byte[]> response) {
    int status = response.statusCode();
    JsonNode json;
    try {
      json = response.body().length == 0 ? JSON.nullNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      json = null;
    }
    if (status >= 200 && status < 300) {
      if (json == null) {
        throw new SchemaRegistryException(
            status, 50005, "unparsable answer from the schema registry for " + method + " " + url);
      }
      return json;
    }
    if (json != null && json.has("error_code")) {
      throw SchemaRegistryException.of(
          status, json.path("error_code").asInt(), json.path("message").asText());
    }
    String text = new String(response.body(), StandardCharsets.UTF_8);
    throw SchemaRegistryException.of(
        status,
        status,
        method + " " + url + " failed: " + (text.isBlank() ? "HTTP " + status : text));
  }

  private static SSLContext sslContext(RegistryClientConfig c) {
    try {
      TrustManagerFactory tmf = null;
      if (c.truststoreLocation() != null) {
        KeyStore trust = load(c.truststoreLocation(), c.truststorePassword(), c.truststoreType());
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
      }
      KeyManagerFactory kmf = null;
      if (c.keystoreLocation() != null) {
        KeyStore keys = load(c.keystoreLocation(), c.keystorePassword(), c.keystoreType());
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        String keyPw = c.keyPassword() != null ? c.keyPassword() : c.keystorePassword();
        kmf.init(keys, keyPw == null ? null : keyPw.toCharArray());
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(
          kmf == null ? null : kmf.getKeyManagers(),
          tmf == null ? null : tmf.getTrustManagers(),
          null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new ConfigException(
          "cannot set up TLS for the schema registry client (" + c + "): " + e.getMessage());
    }
  }

  private static KeyStore load(String location, String password, String type)
      throws GeneralSecurityException, IOException {
    if ("PEM".equalsIgnoreCase(type)) {
      // a trust store of PEM certificates (e.g. the CA of `local --secure`), as Kafka clients read
      KeyStore pem = KeyStore.getInstance("PKCS12");
      pem.load(null, null);
      try (InputStream in = Files.newInputStream(Path.of(location))) {
        int i = 0;
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          pem.setCertificateEntry("pem-" + i++, c);
        }
      }
      return pem;
    }
    KeyStore ks = KeyStore.getInstance(type);
    try (InputStream in = Files.newInputStream(Path.of(location))) {
      ks.load(in, password == null ? null : password.toCharArray());
    }
    return ks;
  }
}
