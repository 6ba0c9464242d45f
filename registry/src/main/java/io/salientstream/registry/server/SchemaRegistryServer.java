package io.salientstream.registry.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.salientstream.registry.CompatibilityLevel;
import io.salientstream.registry.ErrorCodes;
import io.salientstream.registry.SchemaRegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded schema registry speaking the subset of Confluent's REST API that serializers,
 * deserializers and operators use (see {@code registry/README.md}), over a {@link SchemaLog} (a
 * compacted Kafka topic in production). Built on the JDK's {@code com.sun.net.httpserver}.
 *
 * <p>Single writer: run one server per schema log. Ids are assigned in registration order (max id +
 * 1, or the existing id when the same schema is already registered under any subject).
 */
public final class SchemaRegistryServer implements AutoCloseable {
  public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SchemaLog log;
  private final String host;
  private final int requestedPort;
  private final String basicAuthUser;
  private final String basicAuthPassword;
  private final SSLContext sslContext;
  private RegistryState state;
  private HttpServer server;
  private ExecutorService executor;

  private SchemaRegistryServer(Builder b) {
    this.log = Objects.requireNonNull(b.log, "schema log");
    this.host = b.host;
    this.requestedPort = b.port;
    this.basicAuthUser = b.basicAuthUser;
    this.basicAuthPassword = b.basicAuthPassword;
    this.sslContext = b.sslContext;
  }

  public static Builder builder(SchemaLog log) {
    return new Builder(log);
  }

  /** Options of a server. Port 0 (the default) picks a free port. */
  public static final class Builder {
    private final SchemaLog log;
    private String host = "localhost";
    private int port;
    private String basicAuthUser;
    private String basicAuthPassword;
    private SSLContext sslContext;

    private Builder(SchemaLog log) {
      this.log = log;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Requires HTTP basic auth with this user and password on every request. */
    public Builder basicAuth(String user, String password) {
      this.basicAuthUser = user;
      this.basicAuthPassword = password;
      return this;
    }

    /** Serves HTTPS with this context instead of HTTP. */
    public Builder tls(SSLContext context) {
      this.sslContext = context;
      return this;
    }

    public SchemaRegistryServer build() {
      return new SchemaRegistryServer(this);
    }
  }

  /** Replays the log, then starts serving. Returns once the server accepts requests. */
  public synchronized SchemaRegistryServer start() {
    if (server != null) {
      throw new IllegalStateException("already started at " + url());
    }
    long t0 = System.nanoTime();
    state = new RegistryState(log);
    try {
      InetSocketAddress addr = new InetSocketAddress(host, requestedPort);
      if (sslContext != null) {
        HttpsServer https = HttpsServer.create(addr, 64);
        https.setHttpsConfigurator(new HttpsConfigurator(sslContext));
        server = https;
      } else {
        server = HttpServer.create(addr, 64);
      }
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot bind the schema registry to " + host + ":" + requestedPort, e);
    }
    HttpContext ctx = server.createContext("/", this::handle);
    if (basicAuthUser != null) {
      byte[] expectedUser = basicAuthUser.getBytes(StandardCharsets.UTF_8);
      byte[] expectedPw = basicAuthPassword.getBytes(StandardCharsets.UTF_8);
      ctx.setAuthenticator(
          new BasicAuthenticator("SchemaRegistry") {
            @Override
            public boolean checkCredentials(String user, String password) {
              return MessageDigest.isEqual(expectedUser, user.getBytes(StandardCharsets.UTF_8))
                  & MessageDigest.isEqual(expectedPw, password.getBytes(StandardCharsets.UTF_8));
            }
          });
    }
    AtomicInteger n = new AtomicInteger();
    executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "schema-registry-http-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.start();
    LOG.info(
        "schema registry at {} over {} ready in {} ms",
        url(),
        log.describe(),
        (System.nanoTime() - t0) / 1_000_000);
    return this;
  }

  /** Base URL, e.g. {@code http://localhost:8081}. */
  public String url() {
    if (server == null) {
      throw new IllegalStateException("schema registry not started");
    }
    return (sslContext != null ? "https" : "http")
        + "://"
        + host
        + ":"
        + server.getAddress().getPort();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops serving; does not close the log (its owner does). */
  @Override
  public synchronized void close() {
    if (server != null) {
      server.stop(0);
      executor.shutdownNow();
      try {
        executor.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server = null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // routing

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      Response r;
      try {
        r = route(ex);
      } catch (SchemaRegistryException e) {
        r = error(e.httpStatus(), e.errorCode(), e.serverMessage());
      } catch (RuntimeException | StackOverflowError e) {
        LOG.error(
            "schema registry request {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
        r =
            error(
                500, ErrorCodes.STORE_ERROR, "Error in the backend data store: " + e.getMessage());
      }
      byte[] body = r.body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      ex.sendResponseHeaders(r.status, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  private record Response(int status, String body) {}

  private static Response ok(Object json) {
    try {
      return new Response(200, JSON.writeValueAsString(json));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Response error(int status, int code, String message) {
    ObjectNode n = JSON.createObjectNode().put("error_code", code).put("message", message);
    return new Response(status, n.toString());
  }

  private Response route(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    List<String> p = segments(ex.getRequestURI().getRawPath());
    Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
    boolean deleted = flag(q, "deleted");
    int n = p.size();
    String head = n == 0 ? "" : p.get(0);
    switch (head) {
      case "" -> {
        if (n == 0 && method.equals("GET")) {
          return ok(JSON.createObjectNode());
        }
      }
      case "subjects" -> {
        if (n == 1 && method.equals("GET")) {
          return ok(
              page(state.subjects(param(q, "subjectPrefix"), deleted, flag(q, "deletedOnly")), q));
        }
        String subject = n >= 2 ? p.get(1) : null;
        if (n == 2 && method.equals("POST")) {
          return ok(
              versionJson(state.lookup(subject, schemaRequest(ex), flag(q, "normalize"), deleted)));
        }
        if (n == 2 && method.equals("DELETE")) {
          return ok(state.deleteSubject(subject, flag(q, "permanent")));
        }
        if (n == 3 && p.get(2).equals("metadata") && method.equals("GET")) {
          List<String> keys = q.getOrDefault("key", List.of());
          List<String> values = q.getOrDefault("value", List.of());
          Map<String, String> wanted = new LinkedHashMap<>();
          for (int i = 0; i < Math.min(keys.size(), values.size()); i++) {
            wanted.put(keys.get(i), values.get(i));
          }
          return ok(versionJson(state.latestWithMetadata(subject, wanted, deleted)));
        }
        if (n == 3 && p.get(2).equals("versions") && method.equals("GET")) {
          return ok(
              page(
                  state.versions(
                      subject, deleted, flag(q, "deletedOnly"), flag(q, "deletedAsNegative")),
                  q));
        }
        if (n == 3 && p.get(2).equals("versions") && method.equals("POST")) {
          RegistryState.Version v =
              state.register(subject, schemaRequest(ex), flag(q, "normalize"));
          return ok(
              JSON.createObjectNode()
                  .put("id", v.id())
                  .put("version", v.version())
                  .put("guid", v.guid()));
        }
        if (n == 4 && p.get(2).equals("versions") && method.equals("DELETE")) {
          return ok(state.deleteVersion(subject, version(p.get(3)), flag(q, "permanent")));
        }
        if ((n == 4 || n == 5) && p.get(2).equals("versions") && method.equals("GET")) {
          int version = version(p.get(3));
          if (n == 4) {
            return ok(versionJson(state.version(subject, version, deleted)));
          }
          if (p.get(4).equals("schema")) {
            return new Response(200, state.version(subject, version, deleted).normalized());
          }
          if (p.get(4).equals("referencedby")) {
            return ok(page(state.referencedBy(subject, version, deleted), q));
          }
        }
      }
      case "schemas" -> {
        if (n == 1 && method.equals("GET")) {
          ArrayNode arr = JSON.createArrayNode();
          for (RegistryState.Version v :
              page(
                  state.allVersions(param(q, "subjectPrefix"), deleted, flag(q, "latestOnly")),
                  q)) {
            arr.add(versionJson(v));
          }
          return ok(arr);
        }
        if (n == 2 && p.get(1).equals("types") && method.equals("GET")) {
          return ok(List.of("AVRO"));
        }
        if (n == 3 && p.get(1).equals("guids") && method.equals("GET")) {
          return ok(schemaStringJson(state.byGuid(p.get(2))));
        }
        if (n >= 3 && n <= 4 && p.get(1).equals("ids") && method.equals("GET")) {
          int id = schemaId(p.get(2));
          String subject = param(q, "subject");
          if (subject != null && subject.startsWith(":.") && !subject.startsWith(":.:")) {
            // a subject in another context: this registry has the default context only
            throw SchemaRegistryException.of(
                404, ErrorCodes.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
          }
          RegistryState.Version v = state.byId(id, subject);
          if (n == 3) {
            ObjectNode out = schemaStringJson(v);
            if (flag(q, "fetchMaxId")) {
              out.put("maxId", state.maxId());
            }
            return ok(out);
          }
          if (p.get(3).equals("schema")) {
            return new Response(200, v.normalized());
          }
          if (p.get(3).equals("versions")) {
            ArrayNode arr = JSON.createArrayNode();
            for (RegistryState.Version u : page(state.usesOf(id, deleted), q)) {
              arr.addObject().put("subject", u.subject()).put("version", u.version());
            }
            return ok(arr);
          }
          if (p.get(3).equals("subjects")) {
            return ok(
                page(
                    state.usesOf(id, deleted).stream()
                        .map(RegistryState.Version::subject)
                        .distinct()
                        .toList(),
                    q));
          }
        }
      }
      case "config" -> {
        String subject = n == 2 ? p.get(1) : null;
        if (n > 2) {
          break;
        }
        if (method.equals("GET")) {
          RegistryState.Config config =
              subject == null ? state.globalConfig() : state.subjectConfig(subject);
          if (config == null && flag(q, "defaultToGlobal")) {
            config = state.globalConfig();
          }
          if (config == null) {
            return error(
                404,
                ErrorCodes.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED,
                "Subject '" + subject + "' does not have subject-level compatibility configured");
          }
          if (subject != null && config.level() == null && flag(q, "defaultToGlobal")) {
            config = new RegistryState.Config(state.globalLevel(), config.normalize());
          }
          return ok(configJson(config, "compatibilityLevel"));
        }
        if (method.equals("PUT")) {
          JsonNode body = body(ex);
          CompatibilityLevel level = null;
          JsonNode name =
              body.hasNonNull("compatibility")
                  ? body.get("compatibility")
                  : body.get("compatibilityLevel");
          if (name != null && !name.isNull()) {
            level = CompatibilityLevel.parse(name.asText());
            if (level == null) {
              return error(
                  422,
                  ErrorCodes.INVALID_COMPATIBILITY_LEVEL,
                  "Invalid compatibility level. Valid values are none, backward, forward, full, "
                      + "backward_transitive, forward_transitive, and full_transitive");
            }
          }
          Boolean normalize =
              body.hasNonNull("normalize") ? body.get("normalize").asBoolean() : null;
          state.setConfig(subject, level, normalize);
          return ok(configJson(new RegistryState.Config(level, normalize), "compatibility"));
        }
        if (method.equals("DELETE")) {
          return ok(configJson(state.clearConfig(subject), "compatibilityLevel"));
        }
      }
      case "mode" -> {
        String subject = n == 2 ? p.get(1) : null;
        if (n > 2) {
          break;
        }
        if (method.equals("GET")) {
          RegistryState.Mode mode =
              subject == null ? state.globalMode() : state.subjectMode(subject);
          if (mode == null && flag(q, "defaultToGlobal")) {
            mode = state.globalMode();
          }
          if (mode == null) {
            return error(
                404,
                ErrorCodes.SUBJECT_LEVEL_MODE_NOT_CONFIGURED,
                "Subject '" + subject + "' does not have subject-level mode configured");
          }
          return ok(JSON.createObjectNode().put("mode", mode.name()));
        }
        if (method.equals("PUT")) {
          RegistryState.Mode mode = RegistryState.Mode.parse(body(ex).path("mode").asText(null));
          if (mode == null) {
            return error(
                422,
                ErrorCodes.INVALID_MODE,
                "Invalid mode. Valid values are READWRITE, "
                    + "READONLY, READONLY_OVERRIDE, IMPORT and FORWARD.");
          }
          return ok(
              JSON.createObjectNode()
                  .put("mode", state.setMode(subject, mode, flag(q, "force")).name()));
        }
        if (method.equals("DELETE")) {
          return ok(JSON.createObjectNode().put("mode", state.clearMode(subject).name()));
        }
      }
      case "compatibility" -> {
        if ((n == 4 || n == 5)
            && p.get(1).equals("subjects")
            && p.get(3).equals("versions")
            && method.equals("POST")) {
          Integer version = n == 5 ? version(p.get(4)) : null;
          List<String> problems =
              state.checkCompatibility(p.get(2), version, schemaRequest(ex), flag(q, "normalize"));
          ObjectNode out = JSON.createObjectNode().put("is_compatible", problems.isEmpty());
          if (flag(q, "verbose")) {
            ArrayNode msgs = out.putArray("messages");
            problems.forEach(msgs::add);
          }
          return ok(out);
        }
      }
      case "contexts" -> {
        if (n == 1 && method.equals("GET")) {
          return ok(page(List.of("."), q));
        }
      }
      default -> {}
    }
    return error(404, 404, "HTTP 404 Not Found");
  }

  private static ObjectNode versionJson(RegistryState.Version v) {
    ObjectNode n =
        JSON.createObjectNode()
            .put("subject", v.subject())
            .put("version", v.version())
            .put("id", v.id())
            .put("guid", v.guid());
    if (v.metadata() != null) {
      n.set("metadata", v.metadata());
    }
    if (v.ruleSet() != null) {
      n.set("ruleSet", v.ruleSet());
    }
    return n.put("schema", v.normalized());
  }

  private static ObjectNode schemaStringJson(RegistryState.Version v) {
    ObjectNode n = JSON.createObjectNode().put("schema", v.normalized()).put("guid", v.guid());
    if (v.metadata() != null) {
      n.set("metadata", v.metadata());
    }
    if (v.ruleSet() != null) {
      n.set("ruleSet", v.ruleSet());
    }
    return n;
  }

  private static ObjectNode configJson(RegistryState.Config c, String levelField) {
    ObjectNode n = JSON.createObjectNode();
    if (c.level() != null) {
      n.put(levelField, c.level().name());
    }
    if (c.normalize() != null) {
      n.put("normalize", c.normalize());
    }
    return n;
  }

  private static boolean flag(Map<String, List<String>> q, String name) {
    return Boolean.parseBoolean(param(q, name));
  }

  private static String param(Map<String, List<String>> q, String name) {
    List<String> values = q.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** Confluent's {@code offset} and {@code limit} (-1: all) on list answers. */
  private static <T> List<T> page(List<T> all, Map<String, List<String>> q) {
    int offset = intParam(q, "offset", 0);
    int limit = intParam(q, "limit", -1);
    int from = Math.min(Math.max(offset, 0), all.size());
    int to = limit < 0 ? all.size() : Math.min(all.size(), from + limit);
    return all.subList(from, to);
  }

  private static int intParam(Map<String, List<String>> q, String name, int dflt) {
    String v = param(q, name);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw SchemaRegistryException.of(404, 404, "HTTP 404 Not Found");
    }
  }

  /** "latest" and -1 mean the latest version; otherwise a positive integer (42202 if not). */
  private static int version(String text) {
    if (text.equals("latest") || text.equals("-1")) {
      return -1;
    }
    try {
      int v = Integer.parseInt(text);
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw SchemaRegistryException.of(
        422,
        ErrorCodes.INVALID_VERSION,
        "The specified version '"
            + text
            + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
  }

  private static int schemaId(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw SchemaRegistryException.of(
          404, ErrorCodes.SCHEMA_NOT_FOUND, "Schema " + text + " not found");
    }
  }

  private static RegistryState.SchemaRequest schemaRequest(HttpExchange ex) throws IOException {
    JsonNode body = body(ex);
    String type = body.path("schemaType").asText("AVRO");
    if (!type.equalsIgnoreCase("AVRO")) {
      throw SchemaRegistryException.of(
          422,
          ErrorCodes.INVALID_SCHEMA,
          "Invalid schema type " + type + ": this registry supports AVRO only");
    }
    if (body.has("references") && body.get("references").size() > 0) {
      throw SchemaRegistryException.of(
          422, ErrorCodes.INVALID_SCHEMA, "Schema references are not supported by this registry");
    }
    JsonNode schema = body.get("schema");
    if (schema == null || !schema.isTextual()) {
      throw SchemaRegistryException.of(
          422, ErrorCodes.INVALID_SCHEMA, "Request body needs a \"schema\" string field");
    }
    JsonNode metadata = body.hasNonNull("metadata") ? body.get("metadata") : null;
    JsonNode ruleSet = body.hasNonNull("ruleSet") ? body.get("ruleSet") : null;
    Integer id =
        body.hasNonNull("id") && body.get("id").canConvertToInt() ? body.get("id").asInt() : null;
    Integer version =
        body.hasNonNull("version") && body.get("version").canConvertToInt()
            ? body.get("version").asInt()
            : null;
    return new RegistryState.SchemaRequest(schema.asText(), metadata, ruleSet, id, version);
  }

  private static JsonNode body(HttpExchange ex) throws IOException {
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    if (type != null && !type.contains("json") && !type.startsWith("application/octet-stream")) {
      throw SchemaRegistryException.of(415, 415, "HTTP 415 Unsupported Media Type: " + type);
    }
    try (InputStream in = ex.getRequestBody()) {
      byte[] bytes = in.readAllBytes();
      JsonNode n = bytes.length == 0 ? null : JSON.readTree(bytes);
      if (n == null || !n.isObject()) {
        throw SchemaRegistryException.of(422, 422, "Request body must be a JSON object");
      }
      return n;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw SchemaRegistryException.of(400, 400, "Malformed JSON body: " + e.getOriginalMessage());
    }
  }

  private static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static Map<String, List<String>> query(String raw) {
    Map<String, List<String>> out = new HashMap<>();
    if (raw == null) {
      return out;
    }
    for (String kv : raw.split("&")) {
      if (kv.isEmpty()) {
        continue;
      }
      int i = kv.indexOf('=');
      String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
      String v = i < 0 ? "true" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8);
      out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return out;
  }
}
