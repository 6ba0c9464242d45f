package io.salientstream.registry.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salientstream.http.HardenedHttpServer;
import io.salientstream.http.HttpAuth;
import io.salientstream.http.HttpError;
import io.salientstream.http.HttpExchange;
import io.salientstream.registry.CompatibilityLevel;
import io.salientstream.registry.ErrorCodes;
import io.salientstream.registry.SchemaRegistryException;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded schema registry speaking the subset of Confluent's REST API that serializers,
 * deserializers and operators use (see {@code registry/README.md}), over a {@link SchemaLog} (a
 * compacted Kafka topic in production), on the {@link HardenedHttpServer} (localhost by default,
 * idle timeouts, request bodies at most {@link Builder#maxBodyBytes} bytes).
 *
 * <p>With users ({@link Builder#user}) every request needs HTTP basic authentication, and each user
 * has a {@link Role} and a subject prefix: readers read, writers also register schemas, admins also
 * change configuration and modes and delete; a user with a prefix (a tenant's) names only subjects
 * under it and lists only those. Schemas by id stay readable to every user (deserializers fetch
 * writer schemas by id).
 *
 * <p>Single writer: run one server per schema log. Ids are assigned in registration order (max id +
 * 1, or the existing id when the same schema is already registered under any subject).
 */
public final class SchemaRegistryServer implements AutoCloseable {
  public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Error messages of the registry's own failures are clipped to this many characters. */
  static final int MAX_MESSAGE_CHARS = 4096;

  /** What a registry user may do; each role includes the ones before it. */
  public enum Role {
    /** GET requests, subject look-ups and compatibility checks. */
    READ,
    /** Also registers schemas. */
    WRITE,
    /** Also changes configuration and modes, and deletes subjects and versions. */
    ADMIN
  }

  /** A registry user: role and the subject prefix it is confined to ("" for all). */
  public record User(String password, Role role, String subjectPrefix) {
    @Override
    public String toString() {
      return "User[role=" + role + ", subjectPrefix=" + subjectPrefix + "]"; // never the password
    }
  }

  private final SchemaLog log;
  private final String host;
  private final int requestedPort;
  private final Map<String, User> users;
  private final SSLContext sslContext;
  private final int maxBodyBytes;
  private RegistryState state;
  private HardenedHttpServer server;

  private SchemaRegistryServer(Builder b) {
    this.log = Objects.requireNonNull(b.log, "schema log");
    this.host = b.host;
    this.requestedPort = b.port;
    this.users = Map.copyOf(b.users);
    this.sslContext = b.sslContext;
    this.maxBodyBytes = b.maxBodyBytes;
  }

  public static Builder builder(SchemaLog log) {
    return new Builder(log);
  }

  /** Options of a server. Port 0 (the default) picks a free port. */
  public static final class Builder {
    private final SchemaLog log;
    private String host = "localhost";
    private int port;
    private final Map<String, User> users = new LinkedHashMap<>();
    private SSLContext sslContext;
    private int maxBodyBytes = 1 << 20;

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

    /** Requires HTTP basic auth; this user may do everything ({@link Role#ADMIN}, all subjects). */
    public Builder basicAuth(String user, String password) {
      return user(user, password, Role.ADMIN, "");
    }

    /**
     * Requires HTTP basic auth; adds a user with {@code role} over the subjects starting with
     * {@code subjectPrefix} ("" for all).
     */
    public Builder user(String name, String password, Role role, String subjectPrefix) {
      users.put(
          Objects.requireNonNull(name, "user"),
          new User(
              Objects.requireNonNull(password, "password"),
              Objects.requireNonNull(role, "role"),
              Objects.requireNonNull(subjectPrefix, "subjectPrefix")));
      return this;
    }

    /** Serves HTTPS with this context instead of HTTP. */
    public Builder tls(SSLContext context) {
      this.sslContext = context;
      return this;
    }

    /** Request bodies over this many bytes are refused with 413 (default 1 MiB). */
    public Builder maxBodyBytes(int bytes) {
      this.maxBodyBytes = bytes;
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
    Map<String, String> passwords = new LinkedHashMap<>();
    users.forEach((name, u) -> passwords.put(name, u.password()));
    try {
      server =
          HardenedHttpServer.builder("schema-registry-http", this::handle)
              .host(host)
              .port(requestedPort)
              .tls(sslContext)
              .auth(users.isEmpty() ? null : HttpAuth.basic("SchemaRegistry", passwords))
              .openPaths(Set.of())
              .maxBodyBytes(maxBodyBytes)
              .errorBody((status, message) -> reply(error(status, status, message)))
              .start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot bind the schema registry to " + host + ":" + requestedPort, e);
    }
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
    return server.url();
  }

  public int port() {
    return server.port();
  }

  /** Stops serving; does not close the log (its owner does). */
  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // routing

  private HardenedHttpServer.Reply handle(HttpExchange ex) {
    Response r;
    try {
      r = route(ex);
    } catch (SchemaRegistryException e) {
      // compatibility reports run long, but never past what a request can hold
      r =
          error(
              e.httpStatus(),
              e.errorCode(),
              HardenedHttpServer.clip(e.serverMessage(), MAX_MESSAGE_CHARS));
    } catch (HttpError e) {
      throw e;
    } catch (IOException | RuntimeException | StackOverflowError e) {
      LOG.error(
          "schema registry request {} {} failed",
          ex.method(),
          HardenedHttpServer.clip(ex.rawPath()),
          e);
      r =
          error(
              500,
              ErrorCodes.STORE_ERROR,
              HardenedHttpServer.clip("Error in the backend data store: " + e.getMessage()));
    }
    return reply(r);
  }

  private static HardenedHttpServer.Reply reply(Response r) {
    return HardenedHttpServer.Reply.text(r.status, CONTENT_TYPE, r.body);
  }

  /**
   * Refuses with 403 what {@code ex}'s user may not do: {@code needed} beyond its role, or a
   * subject outside its prefix. Without users, everyone may do everything.
   */
  private void authorize(HttpExchange ex, Role needed, String subject) {
    if (users.isEmpty()) {
      return;
    }
    String name = ex.principal().orElseThrow(() -> new HttpError(401, "authentication required"));
    User u = users.get(name);
    if (u.role().compareTo(needed) < 0) {
      throw new HttpError(403, "user " + name + " (" + u.role() + ") may not " + needed);
    }
    if (subject != null && !subject.startsWith(u.subjectPrefix())) {
      throw new HttpError(
          403,
          "user " + name + " may name only subjects starting with '" + u.subjectPrefix() + "'");
    }
    if (subject == null && !u.subjectPrefix().isEmpty() && needed == Role.ADMIN) {
      throw new HttpError(403, "user " + name + " may not change registry-wide settings");
    }
  }

  /** The subject prefix {@code ex}'s user is confined to ("" when none). */
  private String prefixOf(HttpExchange ex) {
    return ex.principal().map(users::get).map(User::subjectPrefix).orElse("");
  }

  /** The role a request needs. */
  private static Role needed(String method, String head, int n, List<String> p) {
    if (method.equals("GET")) {
      return Role.READ;
    }
    if (method.equals("POST")) {
      boolean register = head.equals("subjects") && n == 3 && p.get(2).equals("versions");
      return register ? Role.WRITE : Role.READ; // look-ups and compatibility checks read
    }
    return Role.ADMIN; // PUT, DELETE
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
    String method = ex.method();
    List<String> p = segments(ex.rawPath());
    Map<String, List<String>> q = query(ex.rawQuery());
    boolean deleted = flag(q, "deleted");
    int n = p.size();
    String head = n == 0 ? "" : p.get(0);
    String named =
        switch (head) {
          case "subjects", "config", "mode" -> n >= 2 ? p.get(1) : null;
          case "compatibility" -> n >= 3 ? p.get(2) : null;
          default -> null;
        };
    authorize(ex, needed(method, head, n, p), named);
    String confined = prefixOf(ex);
    if (!confined.isEmpty()) {
      // a tenant's user lists only its own subjects
      String asked = param(q, "subjectPrefix");
      if (asked == null || !asked.startsWith(confined)) {
        q.put("subjectPrefix", new ArrayList<>(List.of(confined)));
      }
    }
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
    String type = ex.header("Content-Type");
    if (type != null && !type.contains("json") && !type.startsWith("application/octet-stream")) {
      throw SchemaRegistryException.of(415, 415, "HTTP 415 Unsupported Media Type: " + type);
    }
    try {
      byte[] bytes = ex.body(); // at most maxBodyBytes, else 413
      JsonNode n = bytes.length == 0 ? null : JSON.readTree(bytes);
      if (n == null || !n.isObject()) {
        throw SchemaRegistryException.of(422, 422, "Request body must be a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
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
