package io.salientstream.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.salientstream.http.HardenedHttpServer;
import io.salientstream.http.HardenedHttpServer.Reply;
import io.salientstream.http.HardenedHttpServer.Stream;
import io.salientstream.http.HttpAuth;
import io.salientstream.http.HttpError;
import io.salientstream.http.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's HTTP layer, on the {@link HardenedHttpServer} every service uses (GET only, exact
 * paths):
 *
 * <ul>
 *   <li>{@code /} — the page; {@code /static/...} — its script, style and the chart library (uPlot,
 *       from its WebJar inside the jar);
 *   <li>{@code /api/experiments?filter=&sort=&order=asc|desc&limit=} — the experiment list;
 *   <li>{@code /api/experiments/{id}?points=} — one experiment's full view;
 *   <li>{@code /api/compare?ids=a,b&points=} — several experiments' views;
 *   <li>{@code /api/dead-letters?experiment=&limit=} — dead letters, newest last;
 *   <li>{@code /api/stream} — server-sent events: one {@code update} event with what changed, every
 *       {@link #PUSH_MILLIS} ms while something does (a stream reply of the server: no thread per
 *       client, and a client that stops reading is closed without delaying the others);
 *   <li>{@code /health}, {@code /metrics} (Prometheus text).
 * </ul>
 *
 * Limits: unknown paths 404, other methods 405, unknown or repeated query parameters and values out
 * of range 400 naming the parameter, a query over {@value #MAX_QUERY} characters 400, more than
 * {@code maxStreams} open event streams 503 with {@code Retry-After}; plus the server's own
 * (half-open connections, header and body sizes, clipped echoes, optional token on every path but
 * {@code /health}).
 */
final class DashboardHttp implements AutoCloseable {

  static final int PUSH_MILLIS = 200;
  static final int MAX_QUERY = 2048;
  static final int MAX_ID = 256;
  static final int MAX_POINTS = 5000;
  static final int MAX_COMPARE = 8;
  private static final long PING_MILLIS = 5000;

  /**
   * Update bytes a page may fall behind before its stream is closed (it reconnects and reloads its
   * view): a second of a busy tenant's updates, at most 32 MB over the default 32 streams.
   */
  static final int STREAM_BACKLOG_BYTES = 1024 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private static Reply json(int status, Object value) {
    try {
      return new Reply(status, "application/json", JSON.writeValueAsBytes(value));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private record Asset(String contentType, byte[] body) {}

  private final HardenedHttpServer server;
  private final ScheduledExecutorService pusher;
  private final DashboardState state;
  private final Supplier<Map<String, Object>> health;
  private final PrometheusMeterRegistry meters;
  private final Map<String, Asset> assets = new LinkedHashMap<>();
  private final List<Stream> streams = new CopyOnWriteArrayList<>();
  private final Counter clientErrors;
  private volatile long lastPushNanos = System.nanoTime();

  /**
   * @param host address to bind (e.g. 127.0.0.1)
   * @param port port (0: any free one)
   * @param auth required on every path but /health; null: none
   * @param health body of /health; its "status" UP answers 200, anything else 503
   */
  DashboardHttp(
      DashboardState state,
      String host,
      int port,
      int maxStreams,
      HttpAuth auth,
      Supplier<Map<String, Object>> health,
      PrometheusMeterRegistry meters)
      throws IOException {
    this.state = state;
    this.health = health;
    this.meters = meters;
    loadAssets();
    clientErrors =
        Counter.builder("salientstream_dashboard_client_errors")
            .description("requests answered with a 4xx status")
            .register(meters);
    server =
        HardenedHttpServer.builder("salientstream-dashboard-http", this::route)
            .host(host)
            .port(port)
            .auth(auth)
            .maxStreams(maxStreams)
            .streamBacklogBytes(STREAM_BACKLOG_BYTES)
            // the pings every PING_MILLIS keep an open stream from idling out
            .idleTimeout(Duration.ofMillis(2 * PING_MILLIS))
            .stream("/api/stream", "text/event-stream; charset=utf-8", this::openStream)
            .header("X-Content-Type-Options", "nosniff")
            .errorBody(this::error)
            .start();
    Gauge.builder("salientstream_dashboard_streams", server, HardenedHttpServer::openStreams)
        .description("open server-sent event streams")
        .register(meters);
    Gauge.builder("salientstream_dashboard_experiments", state, DashboardState::size)
        .description("experiments the dashboard follows")
        .register(meters);
    FunctionCounter.builder(
            "salientstream_dashboard_streams_refused", server, HardenedHttpServer::refusedStreams)
        .description("event streams refused because maxStreams were open")
        .register(meters);
    FunctionCounter.builder(
            "salientstream_dashboard_streams_too_slow",
            server,
            HardenedHttpServer::slowStreamsClosed)
        .description("event streams closed because their client fell too far behind")
        .register(meters);
    pusher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "salientstream-dashboard-push");
              t.setDaemon(true);
              return t;
            });
    pusher.scheduleWithFixedDelay(this::push, PUSH_MILLIS, PUSH_MILLIS, TimeUnit.MILLISECONDS);
  }

  int port() {
    return server.port();
  }

  int openStreams() {
    return server.openStreams();
  }

  // ---------------------------------------------------------------- static files

  private void loadAssets() throws IOException {
    ClassLoader cl = DashboardHttp.class.getClassLoader();
    String web = "io/salientstream/dashboard/web/";
    assets.put("/", asset(cl, web + "index.html", "text/html; charset=utf-8"));
    assets.put("/static/app.js", asset(cl, web + "app.js", "text/javascript; charset=utf-8"));
    assets.put("/static/app.css", asset(cl, web + "app.css", "text/css; charset=utf-8"));
    Properties webjar = new Properties();
    try (InputStream in =
        cl.getResourceAsStream("META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
      if (in == null) {
        throw new IOException("the uPlot WebJar is not on the classpath");
      }
      webjar.load(in);
    }
    String dist = "META-INF/resources/webjars/uplot/" + webjar.getProperty("version") + "/dist/";
    assets.put(
        "/static/uPlot.iife.min.js",
        asset(cl, dist + "uPlot.iife.min.js", "text/javascript; charset=utf-8"));
    assets.put(
        "/static/uPlot.min.css", asset(cl, dist + "uPlot.min.css", "text/css; charset=utf-8"));
  }

  private static Asset asset(ClassLoader cl, String path, String type) throws IOException {
    try (InputStream in = cl.getResourceAsStream(path)) {
      if (in == null) {
        throw new IOException("dashboard resource missing from the classpath: " + path);
      }
      return new Asset(type, in.readAllBytes());
    }
  }

  // ---------------------------------------------------------------- routing

  /** Every error reply: {@code {"error": message, "status": status}}; 4xx ones are counted. */
  private Reply error(int status, String message) {
    if (status >= 400 && status < 500) {
      clientErrors.increment();
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", String.valueOf(message));
    body.put("status", status);
    return json(status, body);
  }

  private Reply route(HttpExchange ex) {
    if (!"GET".equals(ex.method())) {
      throw new HttpError(405, "only GET is supported, got " + ex.method());
    }
    return route(ex.rawPath(), query(ex.rawQuery()));
  }

  private Reply route(String path, Map<String, String> q) {
    Asset a = assets.get(path);
    if (a != null) {
      allowOnly(path, q, Set.of());
      return new Reply(200, a.contentType(), a.body());
    }
    switch (path) {
      case "/health" -> {
        allowOnly(path, q, Set.of());
        Map<String, Object> h = health.get();
        return json("UP".equals(h.get("status")) ? 200 : 503, h);
      }
      case "/metrics" -> {
        allowOnly(path, q, Set.of());
        return new Reply(
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            meters.scrape().getBytes(StandardCharsets.UTF_8));
      }
      case "/api/experiments" -> {
        allowOnly(path, q, Set.of("filter", "sort", "order", "limit"));
        String sort = q.getOrDefault("sort", "id");
        if (!DashboardState.SORT_KEYS.contains(sort)) {
          throw new HttpError(
              400,
              "query parameter 'sort': unknown key '"
                  + sort
                  + "'; one of "
                  + new TreeSet<>(DashboardState.SORT_KEYS));
        }
        String order = q.getOrDefault("order", "asc");
        if (!order.equals("asc") && !order.equals("desc")) {
          throw new HttpError(400, "query parameter 'order': 'asc' or 'desc', got '" + order + "'");
        }
        String filter = q.getOrDefault("filter", "");
        if (filter.length() > MAX_ID) {
          throw new HttpError(
              400, "query parameter 'filter': longer than " + MAX_ID + " characters");
        }
        int limit = intParam(q, "limit", 1000, 1, 10_000);
        List<Map<String, Object>> rows = state.list(filter, sort, order.equals("desc"), limit);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("experiments", rows);
        body.put("total", state.size());
        body.put("unkeyedDeadLetters", state.unkeyedDeadLetterCount());
        return json(200, body);
      }
      case "/api/compare" -> {
        allowOnly(path, q, Set.of("ids", "points"));
        String ids = q.get("ids");
        if (ids == null || ids.isBlank()) {
          throw new HttpError(
              400, "query parameter 'ids' is required: experiment ids, comma-separated");
        }
        String[] list = ids.split(",", -1);
        if (list.length > MAX_COMPARE) {
          throw new HttpError(
              400,
              "query parameter 'ids': at most " + MAX_COMPARE + " experiments, got " + list.length);
        }
        int points = intParam(q, "points", 1000, 1, MAX_POINTS);
        List<Map<String, Object>> views = new ArrayList<>();
        for (String id : list) {
          views.add(experiment(id.trim()).detail(points));
        }
        return json(200, Map.of("experiments", views));
      }
      case "/api/dead-letters" -> {
        allowOnly(path, q, Set.of("experiment", "limit"));
        String exp = q.get("experiment");
        if (exp != null) {
          checkId(exp);
        }
        int limit = intParam(q, "limit", 200, 1, 1000);
        return json(200, Map.of("deadLetters", state.deadLetters(exp, limit)));
      }
      default -> {
        String prefix = "/api/experiments/";
        if (path.startsWith(prefix) && path.length() > prefix.length()) {
          allowOnly(path, q, Set.of("points"));
          String id = decode(path.substring(prefix.length()), "path");
          int points = intParam(q, "points", 2000, 1, MAX_POINTS);
          return json(200, experiment(id).detail(points));
        }
        throw new HttpError(404, "no such path: " + truncate(path));
      }
    }
  }

  private ExperimentView experiment(String id) {
    checkId(id);
    ExperimentView v = state.find(id);
    if (v == null) {
      throw new HttpError(
          404,
          "unknown experiment '"
              + truncate(id)
              + "' (the dashboard follows "
              + state.size()
              + " experiments: GET /api/experiments lists them)");
    }
    return v;
  }

  private static void checkId(String id) {
    if (id.isEmpty() || id.length() > MAX_ID || id.contains("/")) {
      throw new HttpError(
          400,
          "experiment id must be 1.." + MAX_ID + " characters without '/': '" + truncate(id) + "'");
    }
  }

  private static String truncate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    if (raw.length() > MAX_QUERY) {
      throw new HttpError(400, "query longer than " + MAX_QUERY + " characters");
    }
    for (String part : raw.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String k = decode(eq < 0 ? part : part.substring(0, eq), "query");
      String v = eq < 0 ? "" : decode(part.substring(eq + 1), "query parameter '" + k + "'");
      if (q.put(k, v) != null) {
        throw new HttpError(400, "query parameter '" + truncate(k) + "' given twice");
      }
    }
    return q;
  }

  private static String decode(String s, String where) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new HttpError(
          400, "malformed percent-encoding in the " + where + ": " + e.getMessage());
    }
  }

  private static void allowOnly(String path, Map<String, String> q, Set<String> allowed) {
    for (String k : q.keySet()) {
      if (!allowed.contains(k)) {
        throw new HttpError(
            400,
            "unknown query parameter '"
                + truncate(k)
                + "' for "
                + path
                + (allowed.isEmpty()
                    ? " (it takes none)"
                    : "; allowed: " + new TreeSet<>(allowed)));
      }
    }
  }

  private static int intParam(Map<String, String> q, String name, int def, int min, int max) {
    String v = q.get(name);
    if (v == null) {
      return def;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw new HttpError(
            400, "query parameter '" + name + "': " + n + " is outside " + min + ".." + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new HttpError(
          400, "query parameter '" + name + "': not an integer: '" + truncate(v) + "'");
    }
  }

  // ---------------------------------------------------------------- server-sent events

  private void openStream(HttpExchange ex, Stream s) throws IOException {
    if (!"GET".equals(ex.method())) {
      throw new HttpError(405, "only GET is supported, got " + ex.method());
    }
    allowOnly("/api/stream", query(ex.rawQuery()), Set.of());
    String hello =
        "retry: 2000\nevent: hello\ndata: "
            + JSON.writeValueAsString(Map.of("serverTimeMs", System.currentTimeMillis()))
            + "\n\n";
    s.send(hello.getBytes(StandardCharsets.UTF_8));
    streams.add(s);
    s.onClose(() -> streams.remove(s));
  }

  /** To every open stream, without waiting on any (a stream too far behind is closed). */
  private void broadcast(byte[] bytes) {
    for (Stream s : streams) {
      s.send(bytes);
    }
  }

  private void ping() {
    broadcast(": ping\n\n".getBytes(StandardCharsets.UTF_8));
  }

  private void push() {
    try {
      Map<String, Object> delta = state.drain();
      if (delta == null) {
        if (System.nanoTime() - lastPushNanos > PING_MILLIS * 1_000_000L) {
          ping();
          lastPushNanos = System.nanoTime();
        }
        return;
      }
      delta.put("serverTimeMs", System.currentTimeMillis());
      byte[] event =
          ("event: update\ndata: " + JSON.writeValueAsString(delta) + "\n\n")
              .getBytes(StandardCharsets.UTF_8);
      broadcast(event);
      lastPushNanos = System.nanoTime();
    } catch (RuntimeException | JsonProcessingException e) {
      // the next tick tries again; one bad delta must not stop the pushes
      LoggerFactory.getLogger(DashboardHttp.class).warn("dashboard push failed", e);
    }
  }

  @Override
  public void close() {
    pusher.shutdownNow();
    server.close();
    streams.clear();
  }
}
