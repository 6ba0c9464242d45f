package io.salientstream.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.Provenance;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.TrainerState;
import io.salientstream.avro.TrainerStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MonitorTest {

  @Test
  void foldsStatusReportsAndCommandsIntoOneLinePerExperiment() {
    Monitor m = new Monitor();
    m.onReport(
        SalienceReport.newBuilder()
            .setExperimentId("exp-a")
            .setRunId("r")
            .setEpoch(1)
            .setPolicy("salientlora")
            .setWindowIndex(3)
            .setWindowStartStep(10)
            .setWindowEndStep(21)
            .setWindowLength(12)
            .setEffectiveFromStep(22)
            .setBudget(40)
            .setThreshold(0.1)
            .setSalience(List.of())
            .setKeepMask(List.of())
            .setComputeMillis(2)
            .build());
    m.onCommand(
        RankPruneCommand.newBuilder()
            .setCommandId("exp-a/1/4")
            .setSequence(4)
            .setExperimentId("exp-a")
            .setTargetRunId("r")
            .setTargetEpoch(1)
            .setApplyAtStep(22)
            .setDecidedAtStep(21)
            .setMasks(List.of(new MatrixMask("q", 0, List.of(true), null)))
            .setTotalRank(40)
            .setProvenance(new Provenance("salientlora", Map.of(), 10L, 21L, 0.1, "v"))
            .setCreatedAtMs(Instant.EPOCH)
            .build());
    m.onStatus(
        TrainerStatus.newBuilder()
            .setExperimentId("exp-a")
            .setRunId("r")
            .setEpoch(1)
            .setState(TrainerState.RUNNING)
            .setStep(25)
            .setTotalSteps(100)
            .setWallClockMs(Instant.EPOCH)
            .setTaskLoss(0.5)
            .setStepsPerSecond(12.5)
            .setTotalRank(40)
            .setCommandLagSteps(2)
            .setMetrics(Map.of("accuracy", 0.75))
            .build());
    m.onStatus(
        TrainerStatus.newBuilder()
            .setExperimentId("exp-b")
            .setRunId("r")
            .setEpoch(1)
            .setState(TrainerState.STARTING)
            .setStep(0)
            .setWallClockMs(Instant.EPOCH)
            .setTotalRank(72)
            .build());

    String out = m.render();
    assertThat(m.experiments()).isEqualTo(2);
    assertThat(out.lines().toList()).hasSize(3);
    assertThat(out.lines().skip(1).findFirst().orElseThrow())
        .contains("exp-a")
        .contains("salientlora")
        .contains("RUNNING")
        .contains("25/100")
        .contains("0.5000")
        .contains("12.5")
        .contains(" 40 ")
        .contains(" 12 ")
        .contains(" 4 ")
        .contains("accuracy=0.750");
    assertThat(out).contains("exp-b").contains("STARTING");
  }
}
