package io.salientstream.pruner;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.streams.EventSerdes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The pruner's HTTP endpoint (JDK {@code HttpServer}):
 * <ul>
 *   <li>{@code GET /experiments/{id}/ranks} — the experiment's current rank pattern: 200 with JSON, 404 if unknown
 *       here (with the owning instance when another one has it);</li>
 *   <li>{@code GET /health} — 200 while the Streams app is RUNNING or REBALANCING, else 503;</li>
 *   <li>{@code GET /metrics} — Prometheus text format: pruner counters and Kafka Streams client metrics.</li>
 * </ul>
 */
public final class PrunerHttp implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final Pruner pruner;
  private final PrometheusMeterRegistry registry;
  private final KafkaStreamsMetrics streamsMetrics;
  private final Deserializer<ExperimentSpec> specs;
  private final String specTopic;

  public PrunerHttp(Pruner pruner, int port, Map<String, Object> serdeConfig, String specTopic) throws IOException {
    this.pruner = pruner;
    this.specTopic = specTopic;
    this.specs = EventSerdes.of(ExperimentSpec.class, serdeConfig).deserializer();
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PrunerMetrics m = pruner.metrics();
    FunctionCounter.builder("salientstream_pruner_commands", m, x -> x.commands.sum())
        .description("rank-pruning commands issued").register(registry);
    FunctionCounter.builder("salientstream_pruner_duplicates", m, x -> x.duplicates.sum())
        .description("duplicate salience reports skipped").register(registry);
    FunctionCounter.builder("salientstream_pruner_dead_letters", m, x -> x.deadLetters.sum())
        .description("records sent to the dead-letter topic").register(registry);
    this.streamsMetrics = new KafkaStreamsMetrics(pruner.app().streams());
    streamsMetrics.bindTo(registry);

    server = HttpServer.create(new InetSocketAddress(port), 0);
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "pruner-http");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/experiments/", ex -> handle(ex, this::ranks));
    server.createContext("/health", ex -> handle(ex, path -> pruner.app().isHealthy()
        ? new Response(200, "application/json", "{\"status\":\"UP\",\"state\":\"" + pruner.app().streams().state() + "\"}")
        : new Response(503, "application/json", "{\"status\":\"DOWN\",\"state\":\"" + pruner.app().streams().state() + "\"}")));
    server.createContext("/metrics", ex -> handle(ex, path -> new Response(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape())));
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private record Response(int status, String contentType, String body) {}

  private Response ranks(String path) {
    String[] parts = path.split("/"); // "", "experiments", id, "ranks"
    if (parts.length != 4 || !parts[3].equals("ranks")) {
      return error(404, "no such resource: " + path + " (try /experiments/{id}/ranks)");
    }
    String id = java.net.URLDecoder.decode(parts[2], StandardCharsets.UTF_8);
    Optional<RankPattern> pattern;
    try {
      pattern = pruner.rankPattern(id);
    } catch (RuntimeException e) {
      return error(503, "store not queryable right now: " + e.getMessage());
    }
    if (pattern.isEmpty()) {
      Optional<String> owner = pruner.ownerOf(id);
      return error(404, "no rank pattern for experiment '" + id + "' on this instance"
          + owner.map(o -> " (owned by " + o + ")").orElse(""));
    }
    RankPattern p = pattern.get();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("experimentId", id);
    body.put("runId", p.runId());
    body.put("epoch", p.epoch());
    body.put("sequence", p.sequence());
    body.put("decidedAtStep", p.decidedAtStep());
    body.put("applyAtStep", p.applyAtStep());
    body.put("totalRank", p.totalRank());
    spec(id).ifPresent(spec -> {
      Map<String, Integer> ranks = new LinkedHashMap<>();
      int i = 0;
      for (AdaptedMatrix m : spec.getMatrices()) {
        int r = 0;
        for (int j = 0; j < m.getInitialRank(); j++, i++) {
          r += p.keep()[i] ? 1 : 0;
        }
        ranks.put(m.getName(), r);
      }
      body.put("policy", spec.getPolicy());
      body.put("ranks", ranks);
    });
    try {
      return new Response(200, "application/json", JSON.writeValueAsString(body));
    } catch (IOException e) {
      return error(500, e.getMessage());
    }
  }

  private Optional<ExperimentSpec> spec(String id) {
    ReadOnlyKeyValueStore<String, byte[]> store = pruner.app().streams().store(StoreQueryParameters.fromNameAndType(
        PrunerProcessor.SPECS, QueryableStoreTypes.<String, byte[]>keyValueStore()));
    byte[] b = store.get(id);
    return b == null ? Optional.empty() : Optional.of(specs.deserialize(specTopic, b));
  }

  private static Response error(int status, String message) {
    try {
      return new Response(status, "application/json", JSON.writeValueAsString(Map.of("error", message)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void handle(HttpExchange ex, Function<String, Response> route) throws IOException {
    Response r;
    if (!ex.getRequestMethod().equals("GET")) {
      r = error(405, "only GET is supported");
    } else {
      try {
        r = route.apply(ex.getRequestURI().getPath());
      } catch (RuntimeException e) {
        r = error(500, String.valueOf(e.getMessage()));
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

  static List<String> endpoints() {
    return List.of("/experiments/{id}/ranks", "/health", "/metrics");
  }
}
