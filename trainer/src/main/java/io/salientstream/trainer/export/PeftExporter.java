package io.salientstream.trainer.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salientstream.trainer.adapter.AdaptedLinear;
import io.salientstream.trainer.adapter.LoraLinear;
import io.salientstream.trainer.adapter.SvdAdapterLinear;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the trained adapters as a Hugging Face PEFT adapter folder: {@code adapter_config.json}
 * (only keys PEFT's config classes know) + {@code adapter_model.safetensors}, plus two files of
 * ours beside them: {@code salientstream_provenance.json} (policy, parameters, seed, steps, how the
 * head is applied) and {@code rank_pattern.json} (the final rank of each matrix). See
 * trainer/README.md, "Export (PEFT)".
 *
 * <ul>
 *   <li>SVD adapters → {@code peft_type "ADALORA"}: per module {@code <prefix><module>.lora_A} = Q
 *       [r', d_in], {@code lora_B} = P [d_out, r'], {@code lora_E} = Λ [r', 1], keeping only the r'
 *       unmasked triplets in index order, as PEFT saves an AdaLoRA model with a rank pattern; the
 *       config's {@code rank_pattern} holds the keep bits of all {@code init_r} triplets under
 *       {@code <module>.lora_E}. PEFT's {@code resize_modules_by_rank_pattern} keeps the old {@code
 *       ranknum} (= init_r) for every module of rank &gt; 0, so the scaling after loading is
 *       α/(init_r+1e-5) as in training: Λ is written as trained. A module with every triplet pruned
 *       is resized to rank 0 by PEFT, so its tensors are written with shapes [0, d_in], [0, 1] and
 *       [d_out, 0].
 *   <li>Plain LoRA (fixed rank, PRILoRA) → {@code peft_type "LORA"}: {@code lora_A.weight} [r_k,
 *       d_in] (masked entries are 0) and {@code lora_B.weight} [d_out, r_k]; the rank of every
 *       module in {@code rank_pattern}, so PEFT's scale α/r_k is the one used in training.
 *   <li>A trained head → {@code modules_to_save}: {@code <prefix><head>.weight} / {@code .bias},
 *       the form PEFT's {@code get_peft_model_state_dict} writes for a {@code
 *       ModulesToSaveWrapper}.
 * </ul>
 */
public final class PeftExporter {

  /** PEFT's prefix for a model wrapped by {@code get_peft_model}. */
  public static final String PREFIX = "base_model.model.";

  /** File of ours beside the adapter: where the run came from (PEFT never reads it). */
  public static final String PROVENANCE_FILE = "salientstream_provenance.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The AdaLoRA config fields of a run (PEFT's names): average target rank, schedule, EMA factors
   * and the orthogonal regulariser's weight. PEFT (≥ 0.15) requires {@code totalStep > 0} and
   * {@code tinit < totalStep - tfinal}.
   */
  public record AdaLoraFields(
      int targetR,
      long totalStep,
      long tinit,
      long tfinal,
      long deltaT,
      double beta1,
      double beta2,
      double orthRegWeight) {

    public AdaLoraFields {
      if (totalStep <= 0) {
        throw new IllegalArgumentException("total_step must be > 0, got " + totalStep);
      }
      if (tinit >= totalStep - tfinal) {
        throw new IllegalArgumentException(
            "tinit ("
                + tinit
                + ") must be < total_step - tfinal ("
                + totalStep
                + " - "
                + tfinal
                + "), as PEFT's AdaLoraConfig requires");
      }
      if (orthRegWeight < 0) {
        throw new IllegalArgumentException("orth_reg_weight must be >= 0, got " + orthRegWeight);
      }
    }
  }

  /**
   * A trained linear head, exported under PEFT's {@code modules_to_save}: {@code module} is its
   * module name in the base model (e.g. {@code classifier}), weight [out, in] row-major, bias [out]
   * (or null).
   */
  public record Head(String module, int out, int in, float[] weight, float[] bias) {}

  private PeftExporter() {}

  /**
   * @param head the trained head, or null when the task has none
   * @param adaLora the run's AdaLoRA fields; required when the adapters are SVD adapters, ignored
   *     otherwise
   * @param provenance written to {@link #PROVENANCE_FILE}, {@code rank_pattern.json} and the
   *     safetensors metadata (policy, parameters, seed, steps, ...)
   */
  public static void export(
      Path dir,
      List<AdaptedLinear> adapters,
      Head head,
      String baseModel,
      float alpha,
      AdaLoraFields adaLora,
      Map<String, String> provenance)
      throws IOException {
    Files.createDirectories(dir);
    Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
    ObjectNode rankPattern = JSON.createObjectNode();
    ObjectNode ranks = JSON.createObjectNode();
    boolean svd = adapters.stream().anyMatch(a -> a instanceof SvdAdapterLinear);
    if (svd && adapters.stream().anyMatch(a -> a instanceof LoraLinear)) {
      throw new IllegalArgumentException(
          "cannot export a mix of SVD and plain LoRA adapters as one PEFT adapter");
    }
    if (svd && adaLora == null) {
      throw new IllegalArgumentException(
          "an AdaLoRA export needs the run's schedule (AdaLoraFields)");
    }
    int initR = 0;
    int total = 0;
    for (AdaptedLinear a : adapters) {
      String key = PREFIX + a.module();
      if (a instanceof SvdAdapterLinear s) {
        boolean[] keep = s.keep();
        int r = s.rank();
        if (initR != 0 && r != initR) {
          throw new IllegalArgumentException(
              "AdaLoRA has one init_r; " + a.module() + " has rank " + r + ", others " + initR);
        }
        initR = r;
        int kept = s.activeRank();
        float[] p = s.p().toFloatArray();
        float[] q = s.q().toFloatArray();
        float[] e = s.lambda().toFloatArray();
        float[] qa = new float[kept * a.dIn()];
        float[] pb = new float[a.dOut() * kept];
        float[] le = new float[kept];
        int c = 0;
        for (int i = 0; i < r; i++) {
          if (!keep[i]) {
            continue;
          }
          System.arraycopy(q, i * a.dIn(), qa, c * a.dIn(), a.dIn());
          for (int j = 0; j < a.dOut(); j++) {
            pb[j * kept + c] = p[j * r + i];
          }
          le[c] = e[i]; // as trained: PEFT keeps ranknum = init_r after the resize
          c++;
        }
        // kept == 0: zero-size tensors, the shapes of a PEFT module resized to rank 0
        tensors.put(key + ".lora_A", new SafeTensors.Tensor(new long[] {kept, a.dIn()}, qa));
        tensors.put(key + ".lora_B", new SafeTensors.Tensor(new long[] {a.dOut(), kept}, pb));
        tensors.put(key + ".lora_E", new SafeTensors.Tensor(new long[] {kept, 1}, le));
        ArrayNode bits = rankPattern.putArray(a.module() + ".lora_E");
        for (boolean b : keep) {
          bits.add(b);
        }
        ranks.put(a.module(), kept);
        total += kept;
      } else if (a instanceof LoraLinear l) {
        tensors.put(
            key + ".lora_A.weight",
            new SafeTensors.Tensor(new long[] {l.rank(), a.dIn()}, l.a().toFloatArray()));
        tensors.put(
            key + ".lora_B.weight",
            new SafeTensors.Tensor(new long[] {a.dOut(), l.rank()}, l.b().toFloatArray()));
        rankPattern.put(a.module(), l.rank());
        initR = Math.max(initR, l.rank());
        ranks.put(a.module(), l.activeRank());
        total += l.activeRank();
      }
    }
    if (tensors.isEmpty()) {
      throw new IllegalStateException(
          "nothing to export: the model has no adapters (linear probe?)");
    }
    if (head != null) {
      if (head.weight().length != head.out() * head.in()
          || (head.bias() != null && head.bias().length != head.out())) {
        throw new IllegalArgumentException(
            "head "
                + head.module()
                + ": arrays do not fit ["
                + head.out()
                + ", "
                + head.in()
                + "]");
      }
      tensors.put(
          PREFIX + head.module() + ".weight",
          new SafeTensors.Tensor(new long[] {head.out(), head.in()}, head.weight()));
      if (head.bias() != null) {
        tensors.put(
            PREFIX + head.module() + ".bias",
            new SafeTensors.Tensor(new long[] {head.out()}, head.bias()));
      }
    }
    ObjectNode cfg = JSON.createObjectNode();
    cfg.put("peft_type", svd ? "ADALORA" : "LORA");
    cfg.putNull("task_type");
    cfg.put("base_model_name_or_path", baseModel);
    if (!svd) {
      // AdaLoRA ignores r (and warns when it is not the default 8); LoRA's per-module ranks are in
      // rank_pattern
      cfg.put("r", initR);
    }
    cfg.put("lora_alpha", alpha);
    cfg.put("lora_dropout", 0.0);
    cfg.put("bias", "none");
    cfg.put("fan_in_fan_out", false);
    cfg.put("inference_mode", true);
    ArrayNode targets = cfg.putArray("target_modules");
    adapters.stream()
        .map(
            a ->
                a.module()
                    .replaceFirst("^.*\\.layer\\.\\d+\\.", "")
                    .replaceFirst("^layer\\.\\d+\\.", ""))
        .distinct()
        .forEach(targets::add);
    if (head != null) {
      cfg.putArray("modules_to_save").add(head.module());
    } else {
      cfg.putNull("modules_to_save");
    }
    if (svd) {
      cfg.put("init_r", initR);
      cfg.put("target_r", adaLora.targetR());
      cfg.put("tinit", adaLora.tinit());
      cfg.put("tfinal", adaLora.tfinal());
      cfg.put("deltaT", adaLora.deltaT());
      cfg.put("beta1", adaLora.beta1());
      cfg.put("beta2", adaLora.beta2());
      cfg.put("orth_reg_weight", adaLora.orthRegWeight());
      cfg.put("total_step", adaLora.totalStep());
    }
    cfg.set("rank_pattern", rankPattern);
    Files.write(
        dir.resolve("adapter_config.json"),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt"); // what PEFT's own save_pretrained writes
    meta.putAll(provenance);
    SafeTensors.write(dir.resolve("adapter_model.safetensors"), tensors, meta);
    ObjectNode prov = JSON.createObjectNode();
    provenance.forEach(prov::put);
    if (head != null) {
      prov.put(
          "head",
          head.module()
              + " = Linear("
              + head.in()
              + ", "
              + head.out()
              + ") applied to the mean of the last hidden states over real tokens (attention mask 1)");
    }
    Files.write(
        dir.resolve(PROVENANCE_FILE),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(prov));
    ObjectNode report = JSON.createObjectNode();
    report.put("peftType", svd ? "ADALORA" : "LORA");
    report.put("totalRank", total);
    report.set("ranks", ranks);
    provenance.forEach(report::put);
    Files.write(
        dir.resolve("rank_pattern.json"),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(report));
  }
}
