package io.salientstream.trainer.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What Hugging Face PEFT makes of an adapter folder, written from PEFT's loading code and sharing
 * nothing with {@link PeftExporter} or {@link SafeTensors} (it has its own safetensors reader). It
 * follows {@code PeftConfig.from_pretrained} / {@code AdaLoraConfig.__post_init__} (config/keys),
 * {@code check_target_module_exists} (which modules are adapted), {@code
 * AdaLoraModel._create_and_replace} (modules created at {@code init_r}), {@code
 * AdaLoraModel.resize_modules_by_rank_pattern} (resize; {@code ranknum} kept at init_r when the new
 * rank is above 0, 0 otherwise), {@code LoraModel._create_and_replace} + {@code get_pattern_key}
 * (LoRA per-module ranks), {@code set_peft_model_state_dict} + {@code
 * ModulesToSaveWrapper.adapter_state_dict_load_map} (names, the head) and {@code
 * torch.nn.Module.load_state_dict} (a shape that does not fit raises). It is stricter than PEFT in
 * one way: unexpected or missing adapter keys, which PEFT only warns about, are errors here.
 *
 * <p>The result is each adapted module's ΔW as PEFT's {@code get_delta_weight} computes it (what
 * {@code merge} adds to the base weight) and the replacement parameters of every {@code
 * modules_to_save} module.
 */
final class PeftReference {

  /** A loading failure PEFT would raise (or, for unexpected/missing keys, warn about). */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message);
    }
  }

  /** A float32 tensor, row-major. */
  record Tensor(long[] shape, float[] data) {}

  /** A linear layer of the base model: its module path and weight shape [out, in]. */
  record Linear(String module, int out, int in) {}

  /**
   * The loaded adapter: per adapted module ΔW [out, in] and rank; per {@code modules_to_save}
   * module its tensors.
   */
  record Loaded(
      String peftType,
      Map<String, double[]> delta,
      Map<String, Integer> ranks,
      Map<String, Map<String, Tensor>> saved) {}

  static final String PREFIX = "base_model.model.";
  static final String ADAPTER = "default";

  /**
   * Config fields every PEFT version from 0.10.0 to 0.13.2 knows (PeftConfig, LoraConfig,
   * AdaLoraConfig); those versions pass the JSON to the dataclass constructor, so any other key is
   * a TypeError there.
   */
  static final Set<String> KNOWN_FIELDS =
      Set.of(
          "peft_type",
          "auto_mapping",
          "base_model_name_or_path",
          "revision",
          "task_type",
          "inference_mode",
          "r",
          "target_modules",
          "lora_alpha",
          "lora_dropout",
          "fan_in_fan_out",
          "bias",
          "use_rslora",
          "modules_to_save",
          "init_lora_weights",
          "layers_to_transform",
          "layers_pattern",
          "rank_pattern",
          "alpha_pattern",
          "megatron_config",
          "megatron_core",
          "loftq_config",
          "use_dora",
          "layer_replication",
          "target_r",
          "init_r",
          "tinit",
          "tfinal",
          "deltaT",
          "beta1",
          "beta2",
          "orth_reg_weight",
          "total_step");

  private static final ObjectMapper JSON = new ObjectMapper();

  private PeftReference() {}

  /** One module as PEFT holds it in memory after {@code _create_and_replace} (and a resize). */
  private static final class Module {
    final Linear base;
    int r;
    double ranknum;
    double scaling;
    long[] shapeA;
    long[] shapeB;
    long[] shapeE; // AdaLoRA only
    float[] a;
    float[] b;
    float[] e;

    Module(Linear base) {
      this.base = base;
    }
  }

  static Loaded load(Path dir, List<Linear> linears, Map<String, Map<String, long[]>> otherModules)
      throws IOException {
    JsonNode cfg = JSON.readTree(dir.resolve("adapter_config.json").toFile());
    for (Iterator<String> it = cfg.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KNOWN_FIELDS.contains(k)) {
        throw new Refused(
            "adapter_config.json: unknown key '" + k + "' (TypeError before PEFT 0.14)");
      }
    }
    String type = cfg.path("peft_type").asText();
    boolean ada = type.equals("ADALORA");
    if (!ada && !type.equals("LORA")) {
      throw new Refused("peft_type " + type + " is neither LORA nor ADALORA");
    }
    double alpha = cfg.has("lora_alpha") ? cfg.get("lora_alpha").asDouble() : 8;
    int r = cfg.has("r") ? cfg.get("r").asInt() : 8;
    if (ada) {
      // AdaLoraConfig.__post_init__ (0.15+)
      JsonNode total = cfg.get("total_step");
      if (total == null || total.isNull() || total.asLong() <= 0) {
        throw new Refused("AdaLoRA does not work when `total_step` is None, supply a value > 0.");
      }
      if (cfg.path("orth_reg_weight").asDouble(0.5) < 0) {
        throw new Refused("`orth_reg_weight` should be greater than or equal to 0");
      }
      if (cfg.path("tinit").asLong(0) >= total.asLong() - cfg.path("tfinal").asLong(0)) {
        throw new Refused("The supplied schedule values don't allow for a budgeting phase.");
      }
    }
    boolean rslora = cfg.path("use_rslora").asBoolean(false);
    List<String> toSave = new ArrayList<>();
    cfg.path("modules_to_save").forEach(n -> toSave.add(n.asText()));

    // _set_trainable: a module is wrapped if its name ends with an entry of modules_to_save
    Map<String, Map<String, long[]>> wrapped = new LinkedHashMap<>();
    for (Map.Entry<String, Map<String, long[]>> m : otherModules.entrySet()) {
      if (toSave.stream().anyMatch(t -> m.getKey().endsWith(t))) {
        wrapped.put(m.getKey(), m.getValue());
      }
    }
    for (String t : toSave) {
      if (wrapped.keySet().stream().noneMatch(k -> k.endsWith(t))) {
        throw new Refused("modules_to_save entry '" + t + "' matches no module of the base model");
      }
    }

    // check_target_module_exists + _create_and_replace
    JsonNode targets = cfg.get("target_modules");
    JsonNode rankPattern = cfg.path("rank_pattern");
    JsonNode alphaPattern = cfg.path("alpha_pattern");
    Map<String, Module> modules = new LinkedHashMap<>();
    for (Linear l : linears) {
      if (!isTarget(targets, l.module(), toSave)) {
        continue;
      }
      Module m = new Module(l);
      if (ada) {
        m.r = cfg.has("init_r") ? cfg.get("init_r").asInt() : 12;
        m.scaling = alpha > 0 ? alpha : m.r; // AdaLoraLayer.update_layer
        m.ranknum = m.r;
      } else {
        String rk = patternKey(rankPattern, l.module());
        String ak = patternKey(alphaPattern, l.module());
        m.r = rankPattern.has(rk) ? rankPattern.get(rk).asInt() : r;
        double a = alphaPattern.has(ak) ? alphaPattern.get(ak).asDouble() : alpha;
        m.scaling = rslora ? a / Math.sqrt(m.r) : a / m.r; // LoraLayer.update_layer
      }
      shapes(m, ada);
      modules.put(l.module(), m);
    }
    if (modules.isEmpty()) {
      throw new Refused("target_modules " + targets + " match no linear layer of the base model");
    }

    // AdaLoRA: resize_modules_by_rank_pattern (called from _remap_adapter_state_dict_for_load)
    if (ada && rankPattern.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = rankPattern.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String name = e.getKey();
        String[] parts = name.split("\\.");
        int drop = name.contains(ADAPTER) ? 2 : 1;
        String key = String.join(".", Arrays.copyOf(parts, parts.length - drop));
        Module m = modules.get(key);
        if (m == null) {
          throw new Refused(
              "rank_pattern key " + name + ": no AdaLoRA module " + key + " (AttributeError)");
        }
        if (!e.getValue().isArray()) {
          throw new Refused("rank_pattern " + name + ": Unexpected type of rank_idx");
        }
        if (e.getValue().size() != m.r) {
          throw new Refused(
              "rank_pattern "
                  + name
                  + ": mask of length "
                  + e.getValue().size()
                  + " for a module of rank "
                  + m.r
                  + " (IndexError)");
        }
        int rank = 0;
        for (JsonNode b : e.getValue()) {
          rank += b.asBoolean() ? 1 : 0;
        }
        double oldRanknum = m.ranknum;
        m.r = rank;
        m.ranknum = rank; // update_layer fills ranknum with float(r)
        shapes(m, true);
        if (rank > 0) {
          m.ranknum = oldRanknum; // "The scaling is exactly as the previous"
        }
      }
    }

    // set_peft_model_state_dict + load_state_dict(strict=False): names, then shapes
    Map<String, Tensor> file = readSafetensors(dir.resolve("adapter_model.safetensors"));
    Map<String, Map<String, Tensor>> saved = new LinkedHashMap<>();
    Set<String> used = new LinkedHashSet<>();
    for (Map.Entry<String, Map<String, long[]>> w : wrapped.entrySet()) {
      Map<String, Tensor> params = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> p : w.getValue().entrySet()) {
        String lookup = PREFIX + w.getKey() + "." + p.getKey();
        Tensor t = file.get(lookup);
        if (t == null) {
          throw new Refused(
              "KeyError: '" + lookup + "' (modules_to_save entry without its weights)");
        }
        checkShape(lookup, t, p.getValue());
        params.put(p.getKey(), t);
        used.add(lookup);
      }
      saved.put(w.getKey(), params);
    }
    for (Module m : modules.values()) {
      String k = PREFIX + m.base.module();
      String ka = k + (ada ? ".lora_A" : ".lora_A.weight");
      String kb = k + (ada ? ".lora_B" : ".lora_B.weight");
      m.a = take(file, ka, m.shapeA, used);
      m.b = take(file, kb, m.shapeB, used);
      if (ada) {
        m.e = take(file, k + ".lora_E", m.shapeE, used);
      }
    }
    Set<String> unexpected = new LinkedHashSet<>(file.keySet());
    unexpected.removeAll(used);
    if (!unexpected.isEmpty()) {
      throw new Refused("unexpected keys (PEFT would ignore them): " + unexpected);
    }

    // get_delta_weight
    Map<String, double[]> delta = new LinkedHashMap<>();
    Map<String, Integer> ranks = new LinkedHashMap<>();
    for (Module m : modules.values()) {
      int out = m.base.out();
      int in = m.base.in();
      double[] d = new double[out * in];
      double s = ada ? m.scaling / (m.ranknum + 1e-5) : m.scaling;
      for (int o = 0; o < out; o++) {
        for (int i = 0; i < m.r; i++) {
          double bo = m.b[o * m.r + i] * (ada ? m.e[i] : 1.0);
          if (bo == 0) {
            continue;
          }
          for (int j = 0; j < in; j++) {
            d[o * in + j] += bo * m.a[i * in + j];
          }
        }
      }
      for (int x = 0; x < d.length; x++) {
        d[x] *= s;
      }
      delta.put(m.base.module(), d);
      ranks.put(m.base.module(), m.r);
    }
    return new Loaded(type, delta, ranks, saved);
  }

  private static void shapes(Module m, boolean ada) {
    m.shapeA = new long[] {m.r, m.base.in()};
    m.shapeB = new long[] {m.base.out(), m.r};
    m.shapeE = ada ? new long[] {m.r, 1} : null;
  }

  private static float[] take(
      Map<String, Tensor> file, String key, long[] shape, Set<String> used) {
    Tensor t = file.get(key);
    long n = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
    if (t == null) {
      if (n == 0) {
        return new float[0]; // nothing to load into a rank-0 module
      }
      throw new Refused("missing adapter key " + key);
    }
    checkShape(key, t, shape);
    used.add(key);
    return t.data();
  }

  private static void checkShape(String key, Tensor t, long[] want) {
    if (!Arrays.equals(t.shape(), want)) {
      throw new Refused(
          "size mismatch for "
              + key
              + ": copying a param with shape "
              + Arrays.toString(t.shape())
              + " from checkpoint, the shape in current model is "
              + Arrays.toString(want));
    }
  }

  /**
   * check_target_module_exists: a string is a full regex match; a list matches exactly or as a
   * dotted suffix.
   */
  private static boolean isTarget(JsonNode targets, String key, List<String> toSave) {
    for (String m : toSave) {
      if (Pattern.matches("(^|.*\\.)" + m + "($|\\..*)", key)) {
        return false; // modules_to_save are excluded from adaptation
      }
    }
    if (targets == null || targets.isNull()) {
      return false;
    }
    if (targets.isTextual()) {
      return Pattern.matches(targets.asText(), key);
    }
    for (JsonNode t : targets) {
      if (key.equals(t.asText()) || key.endsWith("." + t.asText())) {
        return true;
      }
    }
    return false;
  }

  /**
   * get_pattern_key: the first pattern key k with re.match(rf"(.*\.)?({k})$", key), else the key
   * itself.
   */
  private static String patternKey(JsonNode pattern, String key) {
    if (pattern.isObject()) {
      for (Iterator<String> it = pattern.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (Pattern.compile("(.*\\.)?(" + k + ")$").matcher(key).lookingAt()) {
          return k;
        }
      }
    }
    return key;
  }

  /**
   * safetensors: u64 LE header length, JSON header, then the data buffer that the offsets cover
   * without gaps.
   */
  static Map<String, Tensor> readSafetensors(Path f) throws IOException {
    byte[] all = Files.readAllBytes(f);
    if (all.length < 8) {
      throw new Refused(f + ": too short for a safetensors file");
    }
    long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (n <= 0 || 8 + n > all.length) {
      throw new Refused(f + ": bad header length " + n);
    }
    JsonNode header = JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
    int base = 8 + (int) n;
    Map<String, Tensor> out = new LinkedHashMap<>();
    List<long[]> spans = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) {
        e.getValue()
            .fields()
            .forEachRemaining(
                m -> {
                  if (!m.getValue().isTextual()) {
                    throw new Refused("__metadata__ values must be strings: " + m.getKey());
                  }
                });
        continue;
      }
      JsonNode t = e.getValue();
      if (!"F32".equals(t.path("dtype").asText())) {
        throw new Refused(
            e.getKey() + ": dtype " + t.path("dtype") + " (this check reads F32 only)");
      }
      long[] shape = new long[t.get("shape").size()];
      long count = 1;
      for (int i = 0; i < shape.length; i++) {
        shape[i] = t.get("shape").get(i).asLong();
        count *= shape[i];
      }
      long begin = t.get("data_offsets").get(0).asLong();
      long end = t.get("data_offsets").get(1).asLong();
      if (end - begin != 4 * count || begin < 0 || base + end > all.length) {
        throw new Refused(
            e.getKey()
                + ": offsets ["
                + begin
                + ", "
                + end
                + ") do not fit shape "
                + Arrays.toString(shape));
      }
      float[] data = new float[(int) count];
      ByteBuffer.wrap(all, (int) (base + begin), (int) (end - begin))
          .order(ByteOrder.LITTLE_ENDIAN)
          .asFloatBuffer()
          .get(data);
      out.put(e.getKey(), new Tensor(shape, data));
      spans.add(new long[] {begin, end});
    }
    spans.sort(
        (x, y) ->
            Long.compare(x[0], y[0]) != 0 ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
    long at = 0;
    for (long[] s : spans) {
      if (s[0] != at) {
        throw new Refused(f + ": data offsets leave a gap or overlap at byte " + at);
      }
      at = s[1];
    }
    if (base + at != all.length) {
      throw new Refused(
          f + ": " + (all.length - base - at) + " trailing bytes after the last tensor");
    }
    return out;
  }

  /**
   * Writes a safetensors file (used by the test to build broken folders, e.g. the old exporter's
   * output).
   */
  static void writeSafetensors(Path f, Map<String, Tensor> tensors) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    long off = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", "F32");
      var shape = t.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      t.putArray("data_offsets").add(off).add(off + 4L * e.getValue().data().length);
      off += 4L * e.getValue().data().length;
    }
    byte[] h = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    int padded = (h.length + 7) / 8 * 8;
    byte[] hp = Arrays.copyOf(h, padded);
    Arrays.fill(hp, h.length, padded, (byte) ' ');
    try (OutputStream out = Files.newOutputStream(f)) {
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
      out.write(hp);
      for (Tensor t : tensors.values()) {
        ByteBuffer b = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(t.data());
        out.write(b.array());
      }
    }
  }
}
