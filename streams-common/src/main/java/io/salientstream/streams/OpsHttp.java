package io.salientstream.streams;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.salientstream.http.HardenedHttpServer;
import io.salientstream.http.HardenedHttpServer.Reply;
import io.salientstream.http.HttpAuth;
import io.salientstream.http.HttpExchange;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The operations endpoint of one Streams application, on the {@link HardenedHttpServer} (GET only):
 *
 * <ul>
 *   <li>{@code GET /health} — 200 while the app is RUNNING or REBALANCING and no stream thread
 *       failed in the last minute, else 503, with the Streams state and the problem;
 *   <li>{@code GET /metrics} — Prometheus text format: the app's own counters and the Kafka Streams
 *       client metrics;
 *   <li>any further routes the app adds: a key ending in {@code /} matches the paths under it, any
 *       other key exactly that path ({@code /healthXYZ} is not {@code /health}).
 * </ul>
 *
 * Binds to {@link Settings#host} ({@code localhost} by default) and, with {@link Settings#auth},
 * requires it on every path but {@code /health}.
 */
public final class OpsHttp implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where to listen and whom to let in ({@code auth} null: everyone). */
  public record Settings(String host, int port, HttpAuth auth) {

    /** {@code localhost:port}, no authentication (tests, the local stack). */
    public static Settings local(int port) {
      return new Settings("localhost", port, null);
    }
  }

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

    /**
     * {@code {"error": message}}, the message clipped to {@link HardenedHttpServer#MAX_ECHO}
     * characters (it may quote what a client sent).
     */
    public static Response error(int status, String message) {
      return json(status, Map.of("error", String.valueOf(HardenedHttpServer.clip(message))));
    }
  }

  private final HardenedHttpServer server;
  private final PrometheusMeterRegistry registry;
  private final KafkaStreamsMetrics streamsMetrics;

  /** On {@code localhost:port}, without authentication. */
  public OpsHttp(
      String name,
      StreamsApp app,
      int port,
      Consumer<MeterRegistry> meters,
      Map<String, Function<String, Response>> routes)
      throws IOException {
    this(name, app, Settings.local(port), meters, routes);
  }

  /**
   * @param name thread name of the server's workers
   * @param settings interface, port (0: any free port) and authentication
   * @param meters registers the app's own meters
   * @param routes extra routes: path (or path prefix ending in {@code /}) → handler of the request
   *     path
   */
  public OpsHttp(
      String name,
      StreamsApp app,
      Settings settings,
      Consumer<MeterRegistry> meters,
      Map<String, Function<String, Response>> routes)
      throws IOException {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    meters.accept(registry);
    this.streamsMetrics = new KafkaStreamsMetrics(app.streams());
    streamsMetrics.bindTo(registry);
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
    try {
      server =
          HardenedHttpServer.builder(name, ex -> handle(ex, all))
              .host(settings.host())
              .port(settings.port())
              .auth(settings.auth())
              .maxBodyBytes(0)
              .start();
    } catch (IOException | RuntimeException e) {
      streamsMetrics.close();
      registry.close();
      throw e;
    }
  }

  public int port() {
    return server.port();
  }

  private static Reply handle(HttpExchange ex, Map<String, Function<String, Response>> routes) {
    Response r;
    if (!ex.method().equals("GET")) {
      r = Response.error(405, "only GET is supported");
    } else {
      String path = ex.rawPath();
      Function<String, Response> route = routes.get(path);
      if (route == null) {
        for (Map.Entry<String, Function<String, Response>> e : routes.entrySet()) {
          if (e.getKey().endsWith("/") && path.startsWith(e.getKey())) {
            route = e.getValue();
            break;
          }
        }
      }
      if (route == null) {
        r = Response.error(404, "no such resource: " + path);
      } else {
        try {
          r = route.apply(path);
        } catch (RuntimeException e) {
          r = Response.error(500, e.getMessage());
        }
      }
    }
    return Reply.text(r.status(), r.contentType(), r.body());
  }

  @Override
  public void close() {
    server.close();
    streamsMetrics.close();
    registry.close();
  }
}
