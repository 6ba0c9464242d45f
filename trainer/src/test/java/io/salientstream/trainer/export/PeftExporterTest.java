package io.salientstream.trainer.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.trainer.adapter.AdaptedLinear;
import io.salientstream.trainer.adapter.LoraLinear;
import io.salientstream.trainer.adapter.SvdAdapterLinear;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeftExporterTest {

  private static final String Q = "encoder.layer.0.attention.self.query";
  private static final String O = "encoder.layer.0.output.dense";
  private static final PeftExporter.AdaLoraFields SCHEDULE =
      new PeftExporter.AdaLoraFields(2, 40, 3, 10, 4, 0.85, 0.85, 0.1);

  /** ΔW of an SVD adapter computed from its live arrays: s·P·diag(λ)·Q. */
  private static double[] deltaLive(SvdAdapterLinear a) {
    float[] p = a.p().toFloatArray();
    float[] e = a.lambda().toFloatArray();
    float[] q = a.q().toFloatArray();
    return delta(p, e, q, a.rank(), a.dOut(), a.dIn(), a.scale());
  }

  private static double[] delta(
      float[] p, float[] e, float[] q, int r, int dOut, int dIn, double s) {
    double[] d = new double[dOut * dIn];
    for (int o = 0; o < dOut; o++) {
      for (int j = 0; j < dIn; j++) {
        double acc = 0;
        for (int i = 0; i < r; i++) {
          acc += p[o * r + i] * e[i] * q[i * dIn + j];
        }
        d[o * dIn + j] = s * acc;
      }
    }
    return d;
  }

  @Test
  void svdAdaptersExportAsPeftAdaLoraWithPrunedTripletsDroppedAndSameDeltaW(@TempDir Path dir)
      throws Exception {
    Random rng = new Random(5);
    try (NDManager m = NDManager.newBaseManager()) {
      SvdAdapterLinear a =
          new SvdAdapterLinear(
              Q, 0, m.randomNormal(new Shape(6, 5)), m.zeros(new Shape(6)), 4, 8f, rng);
      SvdAdapterLinear b =
          new SvdAdapterLinear(
              O, 0, m.randomNormal(new Shape(6, 5)), m.zeros(new Shape(6)), 4, 8f, rng);
      a.lambda().set(new float[] {0.5f, -1f, 2f, 0.25f});
      a.setKeep(new boolean[] {true, false, true, false});
      a.applyMask();
      b.setKeep(new boolean[4]); // fully pruned
      b.applyMask();
      double[] want = deltaLive(a);
      List<AdaptedLinear> adapters = List.of(a, b);
      PeftExporter.Head head =
          new PeftExporter.Head("classifier", 2, 6, new float[12], new float[] {1f, 2f});
      PeftExporter.export(
          dir,
          adapters,
          head,
          "sentence-transformers/all-MiniLM-L6-v2",
          8f,
          SCHEDULE,
          Map.of("policy", "test"));

      JsonNode cfg = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
      assertThat(cfg.get("peft_type").asText()).isEqualTo("ADALORA");
      assertThat(cfg.get("init_r").asInt()).isEqualTo(4);
      assertThat(cfg.get("lora_alpha").asDouble()).isEqualTo(8.0);
      assertThat(cfg.get("rank_pattern").get(Q + ".lora_E").toString())
          .isEqualTo("[true,false,true,false]");
      assertThat(cfg.get("target_modules").toString())
          .contains("attention.self.query", "output.dense");
      assertThat(cfg.get("total_step").asInt()).isEqualTo(40);
      assertThat(cfg.get("tinit").asInt()).isEqualTo(3);
      assertThat(cfg.get("tfinal").asInt()).isEqualTo(10);
      assertThat(cfg.get("deltaT").asInt()).isEqualTo(4);
      assertThat(cfg.get("orth_reg_weight").asDouble()).isEqualTo(0.1);
      assertThat(cfg.has("salientstream")).as("nothing PEFT does not know").isFalse();
      assertThat(cfg.has("r")).as("AdaLoRA warns when r is set").isFalse();
      assertThat(cfg.get("modules_to_save").toString()).isEqualTo("[\"classifier\"]");

      Map<String, SafeTensors.Tensor> t =
          SafeTensors.read(dir.resolve("adapter_model.safetensors"));
      String k = PeftExporter.PREFIX + Q;
      assertThat(t.get(k + ".lora_A").shape()).containsExactly(2, 5);
      assertThat(t.get(k + ".lora_B").shape()).containsExactly(6, 2);
      assertThat(t.get(k + ".lora_E").shape()).containsExactly(2, 1);
      // PEFT keeps ranknum = init_r after resizing to the rank pattern: lambda is exported as
      // trained
      double[] got =
          delta(
              t.get(k + ".lora_B").data(),
              t.get(k + ".lora_E").data(),
              t.get(k + ".lora_A").data(),
              2,
              6,
              5,
              8 / (4 + 1e-5));
      for (int i = 0; i < want.length; i++) {
        assertThat(got[i]).isCloseTo(want[i], within(1e-5));
      }
      // fully pruned: PEFT resizes the module to rank 0
      assertThat(t.get(PeftExporter.PREFIX + O + ".lora_A").shape()).containsExactly(0, 5);
      assertThat(t.get(PeftExporter.PREFIX + O + ".lora_B").shape()).containsExactly(6, 0);
      assertThat(t.get(PeftExporter.PREFIX + O + ".lora_E").shape()).containsExactly(0, 1);
      assertThat(t.get(PeftExporter.PREFIX + "classifier.bias").data()).containsExactly(1f, 2f);
      assertThat(t.get(PeftExporter.PREFIX + "classifier.weight").shape()).containsExactly(2, 6);
      JsonNode prov =
          new ObjectMapper().readTree(dir.resolve(PeftExporter.PROVENANCE_FILE).toFile());
      assertThat(prov.get("policy").asText()).isEqualTo("test");
      assertThat(SafeTensors.metadata(dir.resolve("adapter_model.safetensors")))
          .containsEntry("policy", "test");
      JsonNode report = new ObjectMapper().readTree(dir.resolve("rank_pattern.json").toFile());
      assertThat(report.get("ranks").get(Q).asInt()).isEqualTo(2);
      assertThat(report.get("totalRank").asInt()).isEqualTo(2);
    }
  }

  @Test
  void loraAdaptersExportAsPeftLora(@TempDir Path dir) throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      LoraLinear a =
          new LoraLinear(Q, 0, m.randomNormal(new Shape(6, 5)), null, 3, 6f, new Random(1));
      PeftExporter.export(dir, List.of(a), null, "x", 6f, null, Map.of());
      JsonNode cfg = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
      assertThat(cfg.get("peft_type").asText()).isEqualTo("LORA");
      assertThat(cfg.get("rank_pattern").get(Q).asInt()).isEqualTo(3);
      Map<String, SafeTensors.Tensor> t =
          SafeTensors.read(dir.resolve("adapter_model.safetensors"));
      assertThat(t.get(PeftExporter.PREFIX + Q + ".lora_A.weight").shape()).containsExactly(3, 5);
      assertThat(t.get(PeftExporter.PREFIX + Q + ".lora_B.weight").shape()).containsExactly(6, 3);
      assertThat(t.get(PeftExporter.PREFIX + Q + ".lora_A.weight").data())
          .containsExactly(a.a().toFloatArray());
    }
  }

  @Test
  void scheduleThatPeftWouldRefuseIsRejectedAtExport() {
    // PEFT >= 0.15: total_step > 0 and tinit < total_step - tfinal
    assertThatThrownBy(() -> new PeftExporter.AdaLoraFields(2, 0, 0, 0, 1, 0.85, 0.85, 0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("total_step");
    assertThatThrownBy(() -> new PeftExporter.AdaLoraFields(2, 40, 30, 10, 1, 0.85, 0.85, 0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tinit");
  }
}
