package io.salientstream.loop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI form of {@code salientstream bench soak}: an in-process broker and registry, the analyzer
 * and the pruner in JVMs of their own, 25 s of short synthetic sync experiments (some failed and
 * some abandoned half-way, as planned) with hostile records on every input topic. Once the grace
 * period and the idle retention have passed, every store is back to its start, heap after GC is
 * within the bound, no finished experiment misses a command, every hostile record is a dead letter;
 * the JSON, the Markdown summary and the PNG plots are written.
 */
class SoakBenchmarkTest {

  static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  @Test
  @SuppressWarnings("unchecked")
  void experimentsComeAndGoAndTheStoresAndHeapReturnToTheirStart(@TempDir Path dir)
      throws Exception {
    Map<String, Object> r =
        new SoakBenchmark(SoakBenchmark.Settings.ci(), dir.resolve("state"), System.out, null, null)
            .run();
    System.out.println(SoakBenchmark.summary(r));

    assertThat((List<String>) r.get("problems")).isEmpty();
    assertThat((int) r.get("experiments")).isGreaterThanOrEqualTo(3);
    assertThat((int) r.get("experimentsFinished")).isGreaterThanOrEqualTo(1);
    assertThat((int) r.get("experimentsFailedAsPlanned")).isGreaterThanOrEqualTo(1);
    assertThat((int) r.get("experimentsAbandonedAsPlanned")).isGreaterThanOrEqualTo(1);
    assertThat(r.get("experimentsFailedUnplanned")).isEqualTo(0);
    assertThat(r.get("experimentsWithMissingCommands")).isEqualTo(0);
    assertThat((long) r.get("commandsApplied")).isPositive();
    assertThat((long) r.get("nanStepsInLiveRuns")).isPositive();
    assertThat((long) r.get("hostileRecordsToAnalyzer")).isPositive();
    assertThat((long) r.get("hostileRecordsToPruner")).isPositive();
    assertThat((long) r.get("deadLettersAnalyzer"))
        .isGreaterThanOrEqualTo((long) r.get("hostileRecordsToAnalyzer"));
    assertThat((long) r.get("deadLettersPruner"))
        .isGreaterThanOrEqualTo((long) r.get("hostileRecordsToPruner"));

    Map<String, Map<String, Object>> apps = (Map<String, Map<String, Object>>) r.get("apps");
    for (String app : List.of("analyzer", "pruner")) {
      Map<String, Object> a = apps.get(app);
      // the stores held experiments during the run (so the end check below can fail) ...
      assertThat((long) a.get("storeEntriesPeak")).as(app + " peak entries").isPositive();
      // ... and are back to the start afterwards, in every store
      assertThat((Map<String, Object>) a.get("storeEntriesEnd"))
          .as(app + " entries at the end")
          .isEqualTo(a.get("storeEntriesStart"));
      assertThat((long) a.get("heapAfterGcEndBytes"))
          .isLessThanOrEqualTo((long) a.get("heapAfterGcStartBytes") + (32L << 20));
      assertThat((long) a.get("rssEndBytes")).isPositive();
    }
    List<Map<String, Object>> samples = (List<Map<String, Object>>) r.get("samples");
    assertThat(samples).extracting(m -> m.get("app")).contains("analyzer", "pruner");
    assertThat(samples.size()).isGreaterThanOrEqualTo(8);
    assertThat(r.get("invariantsHold")).isEqualTo(true);

    Path json = dir.resolve("soak.json");
    SoakBenchmark.writeJson(r, json);
    assertThat(Files.readString(json)).contains("\"heapAfterGcBytes\"").contains("\"samples\"");
    List<Path> plots = SoakBenchmark.plots(r, dir.resolve("plots"));
    assertThat(plots).hasSize(4);
    for (Path p : plots) {
      byte[] head = Arrays.copyOf(Files.readAllBytes(p), 8);
      assertThat(head).as(p + " is a PNG").isEqualTo(PNG);
      assertThat(Files.size(p)).isGreaterThan(2_000);
    }
    String md = SoakBenchmark.markdown(r, "bin/salientstream bench soak --ci");
    assertThat(md).contains("| analyzer |").contains("| pruner |").contains("Holds: true");
  }
}
