package io.salientstream.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The dashboard's HTTP layer (JDK {@code HttpServer}, GET only, exact paths):
 *
 * <ul>
 *   <li>{@code /} — the page; {@code /static/...} — its script, style and the chart library (uPlot,
 *       from its WebJar inside the jar);
 *   <li>{@code /api/experiments?filter=&sort=&order=asc|desc&limit=} — the experiment list;
 *   <li>{@code /api/experiments/{id}?points=} — one experiment's full view;
 *   <li>{@code /api/compare?ids=a,b&points=} — several experiments' views;
 *   <li>{@code /api/dead-letters?experiment=&limit=} — dead letters, newest last;
 *   <li>{@code /api/stream} — server-sent events: one {@code update} event with what changed, every
 *       {@link #PUSH_MILLIS} ms while something does;
 *   <li>{@code /health}, {@code /metrics} (Prometheus text).
 * </ul>
 *
 * Limits: unknown paths 404, other methods 405, unknown or repeated query parameters and values out
 * of range 400 naming the parameter, a query over {@value #MAX_QUERY} characters 400, more than
 * {@code maxStreams} open event streams 503 with {@code Retry-After}.
 */
final class DashboardHttp implements AutoCloseable {

  static final int PUSH_MILLIS = 200;
  static final int MAX_QUERY = 2048;
  static final int MAX_ID = 256;
  static final int MAX_POINTS = 5000;
  static final int MAX_COMPARE = 8;
  private static final long PING_MILLIS = 5000;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A request the API refuses, with its status and a message naming what is wrong. */
  static final class Refused extends RuntimeException {
    final int status;

    Refused(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private record Response(int status, String contentType, byte[] body) {
    static Response json(int status, Object value) {
      try {
        return new Response(status, "application/json", JSON.writeValueAsBytes(value));
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private record Asset(String contentType, byte[] body) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final ScheduledExecutorService pusher;
  private final DashboardState state;
  private final Supplier<Map<String, Object>> health;
  private final PrometheusMeterRegistry meters;
  private final int maxStreams;
  private final Map<String, Asset> assets = new LinkedHashMap<>();
  private final List<Stream> streams = new CopyOnWriteArrayList<>();
  private final Counter refusedStreams;
  private final Counter clientErrors;
  private volatile long lastPushNanos = System.nanoTime();

  /** One open event stream. */
  private record Stream(HttpExchange exchange, OutputStream out) {}

  /**
   * @param host address to bind (e.g. 127.0.0.1)
   * @param port port (0: any free one)
   * @param health body of /health; its "status" UP answers 200, anything else 503
   */
  DashboardHttp(
      DashboardState state,
      String host,
      int port,
      int maxStreams,
      Supplier<Map<String, Object>> health,
      PrometheusMeterRegistry meters)
      throws IOException {
    this.state = state;
    this.health = health;
    this.meters = meters;
    this.maxStreams = maxStreams;
    loadAssets();
    Gauge.builder("salientstream_dashboard_streams", streams, List::size)
        .description("open server-sent event streams")
        .register(meters);
    Gauge.builder("salientstream_dashboard_experiments", state, DashboardState::size)
        .description("experiments the dashboard follows")
        .register(meters);
    refusedStreams =
        Counter.builder("salientstream_dashboard_streams_refused")
            .description("event streams refused because maxStreams were open")
            .register(meters);
    clientErrors =
        Counter.builder("salientstream_dashboard_client_errors")
            .description("requests answered with a 4xx status")
            .register(meters);
    server = HttpServer.create(new InetSocketAddress(host, port), 64);
    executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "salientstream-dashboard-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    pusher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "salientstream-dashboard-push");
              t.setDaemon(true);
              return t;
            });
    pusher.scheduleWithFixedDelay(this::push, PUSH_MILLIS, PUSH_MILLIS, TimeUnit.MILLISECONDS);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  int openStreams() {
    return streams.size();
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

  private void handle(HttpExchange ex) throws IOException {
    Response r;
    try {
      if (!"GET".equals(ex.getRequestMethod())) {
        throw new Refused(405, "only GET is supported, got " + ex.getRequestMethod());
      }
      String path = ex.getRequestURI().getRawPath();
      Map<String, String> query = query(ex.getRequestURI().getRawQuery());
      if (path.equals("/api/stream")) {
        allowOnly(path, query, Set.of());
        openStream(ex);
        return;
      }
      r = route(path, query);
    } catch (Refused e) {
      clientErrors.increment();
      r = Response.json(e.status, Map.of("error", e.getMessage(), "status", e.status));
    } catch (RuntimeException e) {
      r = Response.json(500, Map.of("error", String.valueOf(e.getMessage()), "status", 500));
    }
    send(ex, r);
  }

  private Response route(String path, Map<String, String> q) {
    Asset a = assets.get(path);
    if (a != null) {
      allowOnly(path, q, Set.of());
      return new Response(200, a.contentType(), a.body());
    }
    switch (path) {
      case "/health" -> {
        allowOnly(path, q, Set.of());
        Map<String, Object> h = health.get();
        return Response.json("UP".equals(h.get("status")) ? 200 : 503, h);
      }
      case "/metrics" -> {
        allowOnly(path, q, Set.of());
        return new Response(
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            meters.scrape().getBytes(StandardCharsets.UTF_8));
      }
      case "/api/experiments" -> {
        allowOnly(path, q, Set.of("filter", "sort", "order", "limit"));
        String sort = q.getOrDefault("sort", "id");
        if (!DashboardState.SORT_KEYS.contains(sort)) {
          throw new Refused(
              400,
              "query parameter 'sort': unknown key '"
                  + sort
                  + "'; one of "
                  + new TreeSet<>(DashboardState.SORT_KEYS));
        }
        String order = q.getOrDefault("order", "asc");
        if (!order.equals("asc") && !order.equals("desc")) {
          throw new Refused(400, "query parameter 'order': 'asc' or 'desc', got '" + order + "'");
        }
        String filter = q.getOrDefault("filter", "");
        if (filter.length() > MAX_ID) {
          throw new Refused(400, "query parameter 'filter': longer than " + MAX_ID + " characters");
        }
        int limit = intParam(q, "limit", 1000, 1, 10_000);
        List<Map<String, Object>> rows = state.list(filter, sort, order.equals("desc"), limit);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("experiments", rows);
        body.put("total", state.size());
        body.put("unkeyedDeadLetters", state.unkeyedDeadLetterCount());
        return Response.json(200, body);
      }
      case "/api/compare" -> {
        allowOnly(path, q, Set.of("ids", "points"));
        String ids = q.get("ids");
        if (ids == null || ids.isBlank()) {
          throw new Refused(
              400, "query parameter 'ids' is required: experiment ids, comma-separated");
        }
        String[] list = ids.split(",", -1);
        if (list.length > MAX_COMPARE) {
          throw new Refused(
              400,
              "query parameter 'ids': at most " + MAX_COMPARE + " experiments, got " + list.length);
        }
        int points = intParam(q, "points", 1000, 1, MAX_POINTS);
        List<Map<String, Object>> views = new ArrayList<>();
        for (String id : list) {
          views.add(experiment(id.trim()).detail(points));
        }
        return Response.json(200, Map.of("experiments", views));
      }
      case "/api/dead-letters" -> {
        allowOnly(path, q, Set.of("experiment", "limit"));
        String exp = q.get("experiment");
        if (exp != null) {
          checkId(exp);
        }
        int limit = intParam(q, "limit", 200, 1, 1000);
        return Response.json(200, Map.of("deadLetters", state.deadLetters(exp, limit)));
      }
      default -> {
        String prefix = "/api/experiments/";
        if (path.startsWith(prefix) && path.length() > prefix.length()) {
          allowOnly(path, q, Set.of("points"));
          String id = decode(path.substring(prefix.length()), "path");
          int points = intParam(q, "points", 2000, 1, MAX_POINTS);
          return Response.json(200, experiment(id).detail(points));
        }
        throw new Refused(404, "no such path: " + truncate(path));
      }
    }
  }

  private ExperimentView experiment(String id) {
    checkId(id);
    ExperimentView v = state.find(id);
    if (v == null) {
      throw new Refused(
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
      throw new Refused(
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
      throw new Refused(400, "query longer than " + MAX_QUERY + " characters");
    }
    for (String part : raw.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String k = decode(eq < 0 ? part : part.substring(0, eq), "query");
      String v = eq < 0 ? "" : decode(part.substring(eq + 1), "query parameter '" + k + "'");
      if (q.put(k, v) != null) {
        throw new Refused(400, "query parameter '" + truncate(k) + "' given twice");
      }
    }
    return q;
  }

  private static String decode(String s, String where) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new Refused(400, "malformed percent-encoding in the " + where + ": " + e.getMessage());
    }
  }

  private static void allowOnly(String path, Map<String, String> q, Set<String> allowed) {
    for (String k : q.keySet()) {
      if (!allowed.contains(k)) {
        throw new Refused(
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
        throw new Refused(
            400, "query parameter '" + name + "': " + n + " is outside " + min + ".." + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new Refused(
          400, "query parameter '" + name + "': not an integer: '" + truncate(v) + "'");
    }
  }

  private static void send(HttpExchange ex, Response r) throws IOException {
    ex.getResponseHeaders().set("Content-Type", r.contentType());
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    ex.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(r.body());
    }
  }

  // ---------------------------------------------------------------- server-sent events

  private void openStream(HttpExchange ex) throws IOException {
    if (streams.size() >= maxStreams) {
      ping(); // frees the slots of streams whose browser went away
    }
    if (streams.size() >= maxStreams) {
      refusedStreams.increment();
      clientErrors.increment();
      ex.getResponseHeaders().set("Retry-After", "2");
      send(
          ex,
          Response.json(
              503,
              Map.of(
                  "error",
                  maxStreams + " event streams are open; try again shortly",
                  "status",
                  503)));
      return;
    }
    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    Stream s = new Stream(ex, out);
    String hello =
        "retry: 2000\nevent: hello\ndata: "
            + JSON.writeValueAsString(Map.of("serverTimeMs", System.currentTimeMillis()))
            + "\n\n";
    if (write(s, hello.getBytes(StandardCharsets.UTF_8))) {
      streams.add(s);
    }
  }

  private boolean write(Stream s, byte[] bytes) {
    try {
      synchronized (s) {
        s.out().write(bytes);
        s.out().flush();
      }
      return true;
    } catch (IOException | RuntimeException e) {
      streams.remove(s);
      s.exchange().close();
      return false;
    }
  }

  private void ping() {
    byte[] ping = ": ping\n\n".getBytes(StandardCharsets.UTF_8);
    for (Stream s : streams) {
      write(s, ping);
    }
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
      for (Stream s : streams) {
        write(s, event);
      }
      lastPushNanos = System.nanoTime();
    } catch (RuntimeException | JsonProcessingException e) {
      // the next tick tries again; one bad delta must not stop the pushes
      org.slf4j.LoggerFactory.getLogger(DashboardHttp.class).warn("dashboard push failed", e);
    }
  }

  @Override
  public void close() {
    pusher.shutdownNow();
    for (Stream s : streams) {
      s.exchange().close();
    }
    streams.clear();
    server.stop(0);
    executor.shutdownNow();
  }
}
