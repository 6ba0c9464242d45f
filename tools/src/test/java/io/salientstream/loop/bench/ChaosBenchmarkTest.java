package io.salientstream.loop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI form of {@code salientstream bench chaos}: 3 broker JVMs, 3 analyzer and 2 pruner JVMs,
 * app instances and a broker SIGKILLed while synthetic sync trainers and one real (DJL) trainer
 * run; no command lost or duplicated on the commands topic, every experiment's final masks equal to
 * the in-process run's, the real trainer's adapters bit for bit too.
 */
class ChaosBenchmarkTest {

  @Test
  @SuppressWarnings("unchecked")
  void killsLoseNoCommandDuplicateNoneAndChangeNoMask(@TempDir Path state) throws Exception {
    Map<String, Object> r =
        new ChaosBenchmark(ChaosBenchmark.Settings.ci(), state, System.out).run();
    System.out.println(ChaosBenchmark.summary(r));

    assertThat((List<String>) r.get("problems")).isEmpty();
    assertThat((int) r.get("experiments")).isGreaterThanOrEqualTo(4);
    assertThat(r.get("experimentsFailed")).isEqualTo(0);
    assertThat((long) r.get("commandsOnTopic")).isGreaterThan(0);
    assertThat(r.get("commandsLost")).isEqualTo(0L);
    assertThat(r.get("commandsDuplicated")).isEqualTo(0L);
    assertThat(r.get("finalMasksEqualInProcess")).isEqualTo(r.get("experiments"));
    assertThat(r.get("appKills")).isEqualTo(2L);
    List<Map<String, Object>> kills = (List<Map<String, Object>>) r.get("kills");
    assertThat(kills)
        .extracting(k -> k.get("target").toString().replaceAll("-\\d+$", ""))
        .contains("analyzer", "pruner", "broker");
    assertThat(kills)
        .as("every killed JVM, the broker's too, ended by SIGKILL (exit code 128 + 9)")
        .allSatisfy(k -> assertThat(k.get("exitCode")).isEqualTo(137));
    Map<String, Map<String, Object>> latency =
        (Map<String, Map<String, Object>>) r.get("loopLatencyMs");
    assertThat((int) latency.get("before").get("count")).isGreaterThanOrEqualTo(8);
    assertThat(r.get("brokerKills")).isEqualTo(1L);
    assertThat(r.get("realTrainers")).as("real trainers run").isEqualTo(1);
    assertThat(r.get("realTrainersEqualInProcess"))
        .as("real trainers whose masks and adapter CRC equal the in-process run's")
        .isEqualTo(1L);
    assertThat(r.get("invariantsHold")).isEqualTo(true);
  }
}
