package io.salientstream.pruner;

import io.micrometer.core.instrument.FunctionCounter;
import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.streams.EventSerdes;
import io.salientstream.streams.OpsHttp;
import io.salientstream.streams.OpsHttp.Response;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The pruner's HTTP endpoint (on {@link OpsHttp}: localhost by default, optional bearer token):
 *
 * <ul>
 *   <li>{@code GET /experiments/{id}/ranks} — the experiment's current rank pattern: 200 with JSON
 *       (decision and apply step, total rank, ranks per matrix — never the run id, epoch or command
 *       sequence, which would help address a forged command), 404 if unknown here (with the owning
 *       instance when another one has it);
 *   <li>{@code GET /health} — 200 while the Streams app is RUNNING or REBALANCING, else 503;
 *   <li>{@code GET /metrics} — Prometheus text format: pruner counters and Kafka Streams client
 *       metrics.
 * </ul>
 */
public final class PrunerHttp implements AutoCloseable {

  private final OpsHttp http;
  private final Pruner pruner;
  private final Deserializer<ExperimentSpec> specs;
  private final String specTopic;

  /** On {@code localhost:port}, without authentication. */
  public PrunerHttp(Pruner pruner, int port, Map<String, Object> serdeConfig, String specTopic)
      throws IOException {
    this(pruner, OpsHttp.Settings.local(port), serdeConfig, specTopic);
  }

  public PrunerHttp(
      Pruner pruner, OpsHttp.Settings settings, Map<String, Object> serdeConfig, String specTopic)
      throws IOException {
    this.pruner = pruner;
    this.specTopic = specTopic;
    this.specs = EventSerdes.of(ExperimentSpec.class, serdeConfig).deserializer();
    PrunerMetrics m = pruner.metrics();
    this.http =
        new OpsHttp(
            "pruner-http",
            pruner.app(),
            settings,
            registry -> {
              FunctionCounter.builder("salientstream_pruner_commands", m, x -> x.commands.sum())
                  .description("rank-pruning commands issued")
                  .register(registry);
              FunctionCounter.builder("salientstream_pruner_duplicates", m, x -> x.duplicates.sum())
                  .description("duplicate salience reports skipped")
                  .register(registry);
              FunctionCounter.builder(
                      "salientstream_pruner_dead_letters", m, x -> x.deadLetters.sum())
                  .description("records sent to the dead-letter topic")
                  .register(registry);
              FunctionCounter.builder("salientstream_pruner_rewinds", m, x -> x.rewinds.sum())
                  .description("resumed runs that re-decided window ends already commanded")
                  .register(registry);
            },
            Map.of("/experiments/", this::ranks));
  }

  public int port() {
    return http.port();
  }

  private Response ranks(String path) {
    String[] parts = path.split("/"); // "", "experiments", id, "ranks"
    if (parts.length != 4 || !parts[3].equals("ranks")) {
      return Response.error(404, "no such resource: " + path + " (try /experiments/{id}/ranks)");
    }
    String id = URLDecoder.decode(parts[2], StandardCharsets.UTF_8);
    Optional<RankPattern> pattern;
    try {
      pattern = pruner.rankPattern(id);
    } catch (RuntimeException e) {
      return Response.error(503, "store not queryable right now: " + e.getMessage());
    }
    if (pattern.isEmpty()) {
      Optional<String> owner = pruner.ownerOf(id);
      return Response.error(
          404,
          "no rank pattern for experiment '"
              + id
              + "' on this instance"
              + owner.map(o -> " (owned by " + o + ")").orElse(""));
    }
    RankPattern p = pattern.get();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("experimentId", id);
    // no run id, epoch or sequence (issue 15): with them anyone who can reach this page could
    // address a forged command to the run; the trainer's status and the commands topic carry them
    body.put("decidedAtStep", p.decidedAtStep());
    body.put("applyAtStep", p.applyAtStep());
    body.put("totalRank", p.totalRank());
    spec(id)
        .ifPresent(
            spec -> {
              // an entry mask (PRILoRA) is shown as the trainer counts it: a row of A with a kept
              // entry is a rank
              boolean entries = PolicySpecs.create(spec).maskKind() == RankPolicy.MaskKind.ENTRY;
              Map<String, Integer> ranks = new LinkedHashMap<>();
              Map<String, Integer> keptEntries = new LinkedHashMap<>();
              int i = 0;
              int total = 0;
              for (AdaptedMatrix m : spec.getMatrices()) {
                int rows = m.getInitialRank();
                int cols = entries ? m.getDIn() : 1;
                int r = 0;
                int kept = 0;
                for (int row = 0; row < rows; row++) {
                  boolean any = false;
                  for (int c = 0; c < cols; c++, i++) {
                    any |= p.keep()[i];
                    kept += p.keep()[i] ? 1 : 0;
                  }
                  r += any ? 1 : 0;
                }
                ranks.put(m.getName(), r);
                keptEntries.put(m.getName(), kept);
                total += r;
              }
              body.put("policy", spec.getPolicy());
              body.put("ranks", ranks);
              if (entries) {
                body.put("totalRank", total);
                body.put("totalKeptEntries", p.totalRank());
                body.put("keptEntries", keptEntries);
              }
            });
    return Response.json(200, body);
  }

  private Optional<ExperimentSpec> spec(String id) {
    ReadOnlyKeyValueStore<String, byte[]> store =
        pruner
            .app()
            .streams()
            .store(
                StoreQueryParameters.fromNameAndType(
                    PrunerProcessor.SPECS, QueryableStoreTypes.<String, byte[]>keyValueStore()));
    byte[] b = store.get(id);
    return b == null ? Optional.empty() : Optional.of(specs.deserialize(specTopic, b));
  }

  @Override
  public void close() {
    http.close();
  }
}
