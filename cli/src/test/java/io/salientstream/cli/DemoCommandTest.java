package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main command in its quick form: the whole closed loop with four trainer processes.
 */
class DemoCommandTest {

  @Test
  void quickDemoRunsFourExperimentsOverKafkaAndReportsThem(@TempDir Path tmp) throws Exception {
    Path report = tmp.resolve("demo.json");
    int rc =
        SalientStream.commandLine()
            .execute(
                "demo",
                "--quick",
                "--exit-at-end",
                "--dashboard-port",
                "0",
                "--report",
                report.toString(),
                "--work-dir",
                tmp.resolve("work").toString());

    assertThat(rc).isZero();
    JsonNode summary = new ObjectMapper().readTree(report.toFile());
    JsonNode experiments = summary.get("experiments");
    assertThat(experiments).hasSize(4);
    assertThat(experiments.findValuesAsText("policy"))
        .containsExactly("salientlora", "adalora", "prilora", "salientlora");
    assertThat(experiments.findValuesAsText("allocation"))
        .containsExactly("kafka-sync", "kafka-sync", "kafka-sync", "kafka-async");
    for (JsonNode e : experiments) {
      assertThat(e.get("commandsApplied").asLong()).as(e.get("experimentId").asText()).isPositive();
      assertThat(e.get("finalTotalRank").asInt()).isPositive();
      assertThat(e.get("steps").asLong()).isPositive();
      assertThat(e.get("metrics").size()).isPositive();
    }
    // rank recovery starts at rank 12 per matrix and must have been pruned by the loop
    assertThat(experiments.get(0).get("finalTotalRank").asInt())
        .isLessThan(12 * experiments.get(0).get("ranks").size());
    // sync mode: every command was waited for, so each has a latency sample and none was late
    JsonNode sync = experiments.get(1);
    assertThat(sync.get("loopLatencyMs").get("samples").asLong())
        .isEqualTo(sync.get("commandsApplied").asLong());
    assertThat(sync.get("commandLagSteps").get("max").asLong()).isZero();
    assertThat(summary.get("loopLatencyMs").get("samples").asLong()).isPositive();
    // PRILoRA: ranks grow with the layer, and its entry masks pruned entries of A over the loop
    JsonNode pri = experiments.get(2);
    List<Integer> ranks = new ArrayList<>();
    pri.get("ranks").forEach(r -> ranks.add(r.asInt()));
    assertThat(ranks.get(0)).isLessThan(ranks.get(ranks.size() - 1));
    assertThat(ranks).isSortedAccordingTo(Integer::compare);
    long kept = 0;
    for (JsonNode k : pri.get("keptEntries")) {
      kept += k.asLong();
    }
    assertThat(pri.get("keptEntries")).hasSize(ranks.size());
    assertThat(kept).isPositive().isLessThan(pri.get("entries").asLong());
    assertThat(pri.get("loopLatencyMs").get("samples").asLong())
        .isEqualTo(pri.get("commandsApplied").asLong());
  }
}
