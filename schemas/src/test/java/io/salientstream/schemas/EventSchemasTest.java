package io.salientstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.Provenance;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.avro.TrainerStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

class EventSchemasTest {

  static final List<Schema> ALL =
      List.of(
          ExperimentSpec.getClassSchema(),
          SingularValueStep.getClassSchema(),
          SalienceReport.getClassSchema(),
          RankPruneCommand.getClassSchema(),
          TrainerStatus.getClassSchema(),
          DeadLetter.getClassSchema());

  @Test
  void everyRecordAndFieldIsDocumentedAndNamespaced() {
    List<String> undocumented = new ArrayList<>();
    for (Schema s : ALL) {
      collectUndocumented(s, undocumented, new ArrayList<>());
      assertThat(s.getNamespace()).isEqualTo("io.salientstream.avro");
    }
    assertThat(undocumented).isEmpty();
  }

  @Test
  void optionalFieldsHaveDefaults() {
    for (Schema s : ALL) {
      for (Schema.Field f : s.getFields()) {
        if (f.schema().getType() == Schema.Type.UNION) {
          assertThat(f.hasDefaultValue()).as(s.getName() + "." + f.name()).isTrue();
        }
      }
    }
  }

  @Test
  void singularValueStepRoundTripsExactly() throws IOException {
    SingularValueStep step =
        SingularValueStep.newBuilder()
            .setExperimentId("exp-1")
            .setRunId("run-a")
            .setEpoch(3)
            .setStep(42)
            .setWallClockMs(Instant.ofEpochMilli(1_700_000_000_123L))
            .setOrthRegLoss(0.125)
            .setTaskLoss(1.5)
            .setLearningRate(1e-3)
            .setMatrices(
                List.of(
                    MatrixSingularValues.newBuilder()
                        .setName("encoder.layer.0.attention.self.query")
                        .setLayer(0)
                        .setSingularValues(List.of(0.1f, -0.0f, Float.MIN_VALUE))
                        .setMask(List.of(true, false, true))
                        .setImportance(List.of(1.0, 2.0, 3.0))
                        .build()))
            .build();
    assertThat(roundTrip(step, SingularValueStep.class)).isEqualTo(step);
  }

  @Test
  void commandAndSpecRoundTrip() throws IOException {
    RankPruneCommand cmd =
        RankPruneCommand.newBuilder()
            .setCommandId("exp-1/3/7")
            .setSequence(7)
            .setExperimentId("exp-1")
            .setTargetRunId("run-a")
            .setTargetEpoch(3)
            .setApplyAtStep(101)
            .setDecidedAtStep(100)
            .setMasks(List.of(new MatrixMask("m0", 0, List.of(true, false), null)))
            .setTotalRank(1)
            .setProvenance(
                new Provenance(
                    "salientlora", Map.of("mode", "reference"), 91L, 100L, 0.25, "0.1.0"))
            .setCreatedAtMs(Instant.ofEpochMilli(5))
            .build();
    assertThat(roundTrip(cmd, RankPruneCommand.class)).isEqualTo(cmd);

    ExperimentSpec spec =
        ExperimentSpec.newBuilder()
            .setExperimentId("exp-1")
            .setCreatedAtMs(Instant.ofEpochMilli(1))
            .setModel("synthetic")
            .setMatrices(List.of())
            .setPolicy("adalora")
            .setSchedule(new BudgetSchedule(1000L, 100L, 200L, 180, 72))
            .build();
    ExperimentSpec back = roundTrip(spec, ExperimentSpec.class);
    assertThat(back).isEqualTo(spec);
    assertThat(back.getTenant()).isEqualTo("default");
  }

  private static <T extends SpecificRecord> T roundTrip(T record, Class<T> type)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<T>(record.getSchema()).write(record, enc);
    enc.flush();
    BinaryDecoder dec = DecoderFactory.get().binaryDecoder(out.toByteArray(), null);
    return new SpecificDatumReader<>(type).read(null, dec);
  }

  private static void collectUndocumented(Schema s, List<String> out, List<String> seen) {
    switch (s.getType()) {
      case RECORD -> {
        if (seen.contains(s.getFullName())) {
          return;
        }
        seen.add(s.getFullName());
        if (s.getDoc() == null || s.getDoc().isBlank()) {
          out.add(s.getFullName());
        }
        for (Schema.Field f : s.getFields()) {
          if (f.doc() == null || f.doc().isBlank()) {
            out.add(s.getName() + "." + f.name());
          }
          collectUndocumented(f.schema(), out, seen);
        }
      }
      case ARRAY -> collectUndocumented(s.getElementType(), out, seen);
      case MAP -> collectUndocumented(s.getValueType(), out, seen);
      case UNION -> s.getTypes().forEach(t -> collectUndocumented(t, out, seen));
      default -> {}
    }
  }
}
