package io.salientstream.streams;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The operations endpoint of one Streams application (JDK {@code HttpServer}, GET only):
 *
 * <ul>
 *   <li>{@code GET /health} — 200 while the app is RUNNING or REBALANCING and no stream thread
 *       failed in the last minute, else 503, with the Streams state and the problem;
 *   <li>{@code GET /metrics} — Prometheus text format: the app's own counters and the Kafka Streams
 *       client metrics;
 *   <li>any further routes the app adds (by path prefix).
 * </ul>
 */
public final class OpsHttp implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** An HTTP response. */
  public record Response(int status, String contentType, String body) {

    /** {@code value} as JSON. */
    public static Response json(int status, Object value) {
      try {
        return new Response(status, "application/json", JSON.writeValueAsString(value));
      } catch (JsonProcessingException e) {
        return error(500, e.getMessage());
      }
    }

    /** {@code {"error": message}}. */
    public static Response error(int status, String message) {
      return json(status, Map.of("error", String.valueOf(message)));
    }
  }

  private final HttpServer server;
  private final PrometheusMeterRegistry registry;
  private final KafkaStreamsMetrics streamsMetrics;

  /**
   * @param name thread name of the server's executor
   * @param port port to listen on (0: any free port)
   * @param meters registers the app's own meters
   * @param routes extra routes: path prefix → handler of the request path
   */
  public OpsHttp(
      String name,
      StreamsApp app,
      int port,
      Consumer<MeterRegistry> meters,
      Map<String, Function<String, Response>> routes)
      throws IOException {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    meters.accept(registry);
    this.streamsMetrics = new KafkaStreamsMetrics(app.streams());
    streamsMetrics.bindTo(registry);
    server = HttpServer.create(new InetSocketAddress(port), 0);
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, name);
              t.setDaemon(true);
              return t;
            }));
    Map<String, Function<String, Response>> all = new LinkedHashMap<>(routes);
    all.put(
        "/health",
        path -> {
          String problem = app.healthProblem();
          Map<String, String> body = new LinkedHashMap<>();
          body.put("status", problem == null ? "UP" : "DOWN");
          body.put("state", String.valueOf(app.streams().state()));
          if (problem != null) {
            body.put("problem", problem);
          }
          return Response.json(problem == null ? 200 : 503, body);
        });
    all.put(
        "/metrics",
        path -> new Response(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    all.forEach((prefix, route) -> server.createContext(prefix, ex -> handle(ex, route)));
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void handle(HttpExchange ex, Function<String, Response> route) throws IOException {
    Response r;
    if (!ex.getRequestMethod().equals("GET")) {
      r = Response.error(405, "only GET is supported");
    } else {
      try {
        r = route.apply(ex.getRequestURI().getPath());
      } catch (RuntimeException e) {
        r = Response.error(500, e.getMessage());
      }
    }
    byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", r.contentType());
    ex.sendResponseHeaders(r.status(), body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    streamsMetrics.close();
    registry.close();
  }
}
