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
import io.salientstream.registry.SchemaMetadata;
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
 * An embedded schema registry speaking the subset of Confluent's REST API that serializers, deserializers and
 * operators use (see {@code registry/README.md}), over a {@link SchemaLog} (a compacted Kafka topic in
 * production). Built on the JDK's {@code com.sun.net.httpserver}.
 *
 * <p>Single writer: run one server per schema log. Ids are assigned in registration order (max id + 1, or
 * the existing id when the same schema is already registered under any subject).
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
            throw new IllegalStateException("cannot bind the schema registry to " + host + ":" + requestedPort, e);
        }
        HttpContext ctx = server.createContext("/", this::handle);
        if (basicAuthUser != null) {
            byte[] expectedUser = basicAuthUser.getBytes(StandardCharsets.UTF_8);
            byte[] expectedPw = basicAuthPassword.getBytes(StandardCharsets.UTF_8);
            ctx.setAuthenticator(new BasicAuthenticator("SchemaRegistry") {
                @Override
                public boolean checkCredentials(String user, String password) {
                    return MessageDigest.isEqual(expectedUser, user.getBytes(StandardCharsets.UTF_8))
                            & MessageDigest.isEqual(expectedPw, password.getBytes(StandardCharsets.UTF_8));
                }
            });
        }
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "schema-registry-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        LOG.info("schema registry at {} over {} ready in {} ms", url(), log.describe(),
                (System.nanoTime() - t0) / 1_000_000);
        return this;
    }

    /** Base URL, e.g. {@code http://localhost:8081}. */
    public String url() {
        if (server == null) {
            throw new IllegalStateException("schema registry not started");
        }
        return (sslContext != null ? "https" : "http") + "://" + host + ":" + server.getAddress().getPort();
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

    // ------------------------------------------------------------------------------------------- routing

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Response r;
            try {
                r = route(ex);
            } catch (SchemaRegistryException e) {
                r = error(e.httpStatus(), e.errorCode(), e.serverMessage());
            } catch (RuntimeException e) {
                LOG.error("schema registry request {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
                r = error(500, ErrorCodes.STORE_ERROR, "Error in the backend data store: " + e.getMessage());
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

    private record Response(int status, String body) {
    }

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
        Map<String, String> q = query(ex.getRequestURI().getRawQuery());
        boolean deleted = Boolean.parseBoolean(q.getOrDefault("deleted", "false"));
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
                    return ok(state.subjects(deleted));
                }
                String subject = n >= 2 ? p.get(1) : null;
                if (n == 2 && method.equals("POST")) {
                    SchemaMetadata m = state.lookup(subject, schemaOf(ex));
                    return ok(metadataJson(m));
                }
                if (n == 2 && method.equals("DELETE")) {
                    if (Boolean.parseBoolean(q.getOrDefault("permanent", "false"))) {
                        return error(501, 501, "Permanent deletion is not supported by this registry");
                    }
                    return ok(state.deleteSubject(subject));
                }
                if (n == 3 && p.get(2).equals("versions") && method.equals("GET")) {
                    return ok(state.versions(subject, deleted));
                }
                if (n == 3 && p.get(2).equals("versions") && method.equals("POST")) {
                    int id = state.register(subject, schemaOf(ex));
                    return ok(JSON.createObjectNode().put("id", id));
                }
                if ((n == 4 || n == 5) && p.get(2).equals("versions") && method.equals("GET")) {
                    SchemaMetadata m = state.version(subject, version(p.get(3)), deleted);
                    if (n == 5 && p.get(4).equals("schema")) {
                        return new Response(200, m.schema());
                    }
                    if (n == 4) {
                        return ok(metadataJson(m));
                    }
                }
            }
            case "schemas" -> {
                if (n == 2 && p.get(1).equals("types") && method.equals("GET")) {
                    return ok(List.of("AVRO"));
                }
                if (n >= 3 && n <= 4 && p.get(1).equals("ids") && method.equals("GET")) {
                    int id = schemaId(p.get(2));
                    if (n == 3) {
                        return ok(JSON.createObjectNode().put("schema", state.schemaById(id)));
                    }
                    if (p.get(3).equals("schema")) {
                        return new Response(200, state.schemaById(id));
                    }
                    if (p.get(3).equals("versions")) {
                        ArrayNode arr = JSON.createArrayNode();
                        for (SchemaMetadata m : state.usesOf(id)) {
                            arr.addObject().put("subject", m.subject()).put("version", m.version());
                        }
                        return ok(arr);
                    }
                    if (p.get(3).equals("subjects")) {
                        return ok(state.usesOf(id).stream().map(SchemaMetadata::subject).distinct().toList());
                    }
                }
            }
            case "config" -> {
                String subject = n == 2 ? p.get(1) : null;
                if (n > 2) {
                    break;
                }
                if (method.equals("GET")) {
                    CompatibilityLevel level;
                    if (subject == null) {
                        level = state.globalLevel();
                    } else {
                        level = state.subjectLevel(subject);
                        if (level == null && Boolean.parseBoolean(q.getOrDefault("defaultToGlobal", "false"))) {
                            level = state.globalLevel();
                        }
                        if (level == null) {
                            return error(404, ErrorCodes.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED, "Subject '"
                                    + subject + "' does not have subject-level compatibility configured");
                        }
                    }
                    return ok(JSON.createObjectNode().put("compatibilityLevel", level.name()));
                }
                if (method.equals("PUT")) {
                    JsonNode body = body(ex);
                    String name = body.path("compatibility").asText(body.path("compatibilityLevel").asText(null));
                    CompatibilityLevel level = CompatibilityLevel.parse(name);
                    if (level == null) {
                        return error(422, ErrorCodes.INVALID_COMPATIBILITY_LEVEL,
                                "Invalid compatibility level. Valid values are none, backward, forward, full, "
                                        + "backward_transitive, forward_transitive, and full_transitive");
                    }
                    return ok(JSON.createObjectNode().put("compatibility", state.setLevel(subject, level).name()));
                }
                if (method.equals("DELETE") && subject != null) {
                    return ok(JSON.createObjectNode().put("compatibilityLevel", state.clearLevel(subject).name()));
                }
            }
            case "compatibility" -> {
                if (n == 5 && p.get(1).equals("subjects") && p.get(3).equals("versions") && method.equals("POST")) {
                    List<String> problems = state.checkCompatibility(p.get(2), version(p.get(4)), schemaOf(ex));
                    ObjectNode out = JSON.createObjectNode().put("is_compatible", problems.isEmpty());
                    if (Boolean.parseBoolean(q.getOrDefault("verbose", "false"))) {
                        ArrayNode msgs = out.putArray("messages");
                        problems.forEach(msgs::add);
                    }
                    return ok(out);
                }
            }
            default -> {
            }
        }
        return error(404, 404, "HTTP 404 Not Found: " + method + " " + ex.getRequestURI().getPath());
    }

    private static ObjectNode metadataJson(SchemaMetadata m) {
        return JSON.createObjectNode().put("subject", m.subject()).put("version", m.version()).put("id", m.id())
                .put("schema", m.schema());
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
        throw SchemaRegistryException.of(422, ErrorCodes.INVALID_VERSION, "The specified version '" + text
                + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }

    private static int schemaId(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw SchemaRegistryException.of(404, ErrorCodes.SCHEMA_NOT_FOUND, "Schema " + text + " not found");
        }
    }

    private static String schemaOf(HttpExchange ex) throws IOException {
        JsonNode body = body(ex);
        String type = body.path("schemaType").asText("AVRO");
        if (!type.equalsIgnoreCase("AVRO")) {
            throw SchemaRegistryException.of(422, ErrorCodes.INVALID_SCHEMA, "Invalid schema type " + type
                    + ": this registry supports AVRO only");
        }
        if (body.has("references") && body.get("references").size() > 0) {
            throw SchemaRegistryException.of(422, ErrorCodes.INVALID_SCHEMA,
                    "Schema references are not supported by this registry");
        }
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw SchemaRegistryException.of(422, ErrorCodes.INVALID_SCHEMA,
                    "Request body needs a \"schema\" string field");
        }
        return schema.asText();
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

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null) {
            return out;
        }
        for (String kv : raw.split("&")) {
            int i = kv.indexOf('=');
            String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
            String v = i < 0 ? "true" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }
}
