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
 * Writes the trained adapters as a HuggingFace PEFT adapter folder: {@code adapter_config.json} +
 * {@code adapter_model.safetensors}, plus {@code rank_pattern.json} (our report).
 *
 * <ul>
 *   <li>SVD adapters → {@code peft_type "ADALORA"}: per module {@code <prefix><module>.lora_A} = Q [r', d_in],
 *       {@code lora_B} = P [d_out, r'], {@code lora_E} = Λ [r', 1], keeping only the r' unmasked triplets (as PEFT
 *       saves an AdaLoRA adapter with a rank pattern), and the config's {@code rank_pattern} holds the keep bits of all
 *       r_init triplets. PEFT scales by α/(r'+1e-5) after such a resize while training used α/(r_init+1e-5), so the
 *       exported Λ is multiplied by (r'+1e-5)/(r_init+1e-5): the loaded module computes the same ΔW. A matrix with
 *       every triplet pruned is exported with one triplet whose λ is 0 (PEFT cannot build a rank-0 layer).</li>
 *   <li>Plain LoRA → {@code peft_type "LORA"}: {@code lora_A.weight} [r_k, d_in] (masked entries are 0) and
 *       {@code lora_B.weight} [d_out, r_k]; per-module ranks in {@code rank_pattern}, scale α/r_k as in training.</li>
 * </ul>
 */
public final class PeftExporter {

  /** PEFT's prefix for a model wrapped by {@code get_peft_model}. */
  public static final String PREFIX = "base_model.model.";

  private static final ObjectMapper JSON = new ObjectMapper();

  private PeftExporter() {}

  /**
   * @param provenance written into the config's {@code salientstream} block and the safetensors metadata (policy,
   *                   parameters, seed, steps, ...)
   */
  public static void export(Path dir, List<AdaptedLinear> adapters, String baseModel, float alpha,
      Map<String, String> provenance) throws IOException {
    Files.createDirectories(dir);
    Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
    ObjectNode rankPattern = JSON.createObjectNode();
    ObjectNode ranks = JSON.createObjectNode();
    boolean svd = adapters.stream().anyMatch(a -> a instanceof SvdAdapterLinear);
    int initR = 0;
    int total = 0;
    for (AdaptedLinear a : adapters) {
      String key = PREFIX + a.module();
      if (a instanceof SvdAdapterLinear s) {
        boolean[] keep = s.keep();
        int r = s.rank();
        initR = Math.max(initR, r);
        int kept = s.activeRank();
        int out = Math.max(1, kept);
        float[] p = s.p().toFloatArray();
        float[] q = s.q().toFloatArray();
        float[] e = s.lambda().toFloatArray();
        float[] qa = new float[out * a.dIn()];
        float[] pb = new float[a.dOut() * out];
        float[] le = new float[out];
        float rescale = (float) ((kept + 1e-5) / (r + 1e-5));
        int c = 0;
        for (int i = 0; i < r && c < out; i++) {
          if (!keep[i] && kept > 0) {
            continue;
          }
          System.arraycopy(q, i * a.dIn(), qa, c * a.dIn(), a.dIn());
          for (int j = 0; j < a.dOut(); j++) {
            pb[j * out + c] = p[j * r + i];
          }
          le[c] = kept > 0 ? e[i] * rescale : 0f;
          c++;
        }
        tensors.put(key + ".lora_A", new SafeTensors.Tensor(new long[] {out, a.dIn()}, qa));
        tensors.put(key + ".lora_B", new SafeTensors.Tensor(new long[] {a.dOut(), out}, pb));
        tensors.put(key + ".lora_E", new SafeTensors.Tensor(new long[] {out, 1}, le));
        ArrayNode bits = rankPattern.putArray(a.module() + ".lora_E");
        for (boolean b : keep) {
          bits.add(b);
        }
        ranks.put(a.module(), kept);
        total += kept;
      } else if (a instanceof LoraLinear l) {
        tensors.put(key + ".lora_A.weight",
            new SafeTensors.Tensor(new long[] {l.rank(), a.dIn()}, l.a().toFloatArray()));
        tensors.put(key + ".lora_B.weight",
            new SafeTensors.Tensor(new long[] {a.dOut(), l.rank()}, l.b().toFloatArray()));
        rankPattern.put(a.module(), l.rank());
        initR = Math.max(initR, l.rank());
        ranks.put(a.module(), l.activeRank());
        total += l.activeRank();
      }
    }
    if (tensors.isEmpty()) {
      throw new IllegalStateException("nothing to export: the model has no adapters (linear probe?)");
    }
    ObjectNode cfg = JSON.createObjectNode();
    cfg.put("peft_type", svd ? "ADALORA" : "LORA");
    cfg.putNull("task_type");
    cfg.put("base_model_name_or_path", baseModel);
    cfg.put("r", initR);
    cfg.put("lora_alpha", alpha);
    cfg.put("lora_dropout", 0.0);
    cfg.put("bias", "none");
    cfg.put("fan_in_fan_out", false);
    cfg.put("inference_mode", true);
    ArrayNode targets = cfg.putArray("target_modules");
    adapters.stream().map(a -> a.module().replaceFirst("^.*\\.layer\\.\\d+\\.", "")
            .replaceFirst("^layer\\.\\d+\\.", ""))
        .distinct().forEach(targets::add);
    if (svd) {
      cfg.put("init_r", initR);
      cfg.put("target_r", adapters.isEmpty() ? 0 : Math.round((float) total / adapters.size()));
    }
    cfg.set("rank_pattern", rankPattern);
    ObjectNode prov = cfg.putObject("salientstream");
    provenance.forEach(prov::put);
    Files.write(dir.resolve("adapter_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg));
    SafeTensors.write(dir.resolve("adapter_model.safetensors"), tensors, provenance);
    ObjectNode report = JSON.createObjectNode();
    report.put("peftType", svd ? "ADALORA" : "LORA");
    report.put("totalRank", total);
    report.set("ranks", ranks);
    provenance.forEach(report::put);
    Files.write(dir.resolve("rank_pattern.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(report));
  }
}
