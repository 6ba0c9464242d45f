package io.salientstream.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.Diagnostics;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.trainer.export.SafeTensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trainer checkpoint in a folder: {@value #ARRAYS} (every trainable array, then the Adam moments,
 * float32) and {@value #STATE} (step, Adam step, masks, pending decisions, the host's policy state
 * and the policy statistics, with the layout version {@value #VERSION}). Arrays are written first
 * and moved into place, then the state file, so a checkpoint is never half new.
 */
final class TrainerCheckpoint {

  static final String ARRAYS = "arrays.safetensors";
  static final String STATE = "trainer-state.json";

  /**
   * Layout version of {@value #STATE}; another version is refused by name. Version 3: pending
   * decisions are stored as core {@link Decision}s (decision step, effective step, budget,
   * persistence, a triplet or an entry mask); version 2 stored them as per-matrix keep bits with an
   * origin text.
   */
  static final int VERSION = 3;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Everything but the arrays.
   *
   * @param keeps keep bits per adapted layer, in adapter order (null for a layer without an
   *     adapter)
   * @param pending decisions queued for a later step (their diagnostics are not kept: the trainer
   *     does not read them, and a restored one has {@link Diagnostics#none()})
   * @param host the allocation host's snapshot (null without a host)
   * @param statistics each policy statistic's snapshot by its checkpoint key
   */
  record State(
      long nextStep,
      long seed,
      long adamStep,
      boolean stickyMask,
      String policy,
      List<boolean[]> keeps,
      List<Decision> pending,
      byte[] host,
      Map<String, byte[]> statistics) {}

  /**
   * The resume counter of a checkpoint folder: how many runs were resumed from it, kept beside the
   * checkpoint and never reset.
   */
  static final String RESUMES = "resumes";

  private TrainerCheckpoint() {}

  /**
   * Claims the next resume number of the checkpoint folder {@code dir} (1 for the first resume):
   * the counter in {@value #RESUMES} is read and raised under a file lock, so two runs resumed from
   * the same checkpoint — even in the same second, even at once — never get the same number. The
   * Kafka host adds it to the checkpoint's epoch.
   *
   * @throws IOException naming the file when the counter cannot be read or written
   */
  static synchronized long claimResume(Path dir) throws IOException {
    // synchronized: a file lock excludes other processes, not other threads of this one
    Path file = dir.resolve(RESUMES);
    try (FileChannel ch =
            FileChannel.open(
                file,
                StandardOpenOption.CREATE,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock = ch.lock()) {
      ByteBuffer buf = ByteBuffer.allocate(64);
      ch.read(buf, 0);
      String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
      long n;
      try {
        n = text.isEmpty() ? 0 : Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new IOException(file + ": resume counter is not a number: '" + text + "'", e);
      }
      if (n < 0) {
        throw new IOException(file + ": resume counter is negative: " + n);
      }
      long next = n + 1;
      ch.truncate(0);
      ch.write(ByteBuffer.wrap((next + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
      ch.force(true);
      return next;
    }
  }

  static void save(Path dir, List<NDArray> params, List<NDArray> adam, State s) throws IOException {
    Files.createDirectories(dir);
    Map<String, SafeTensors.Tensor> arrays = new LinkedHashMap<>();
    for (int i = 0; i < params.size(); i++) {
      arrays.put("param." + i, tensor(params.get(i)));
    }
    for (int i = 0; i < adam.size(); i++) {
      arrays.put("adam." + i, tensor(adam.get(i)));
    }
    Path tmp = dir.resolve(ARRAYS + ".tmp");
    SafeTensors.write(tmp, arrays, Map.of("format", "salientstream-trainer-checkpoint"));
    ObjectNode n = JSON.createObjectNode();
    n.put("version", VERSION);
    n.put("nextStep", s.nextStep());
    n.put("seed", s.seed());
    n.put("adamStep", s.adamStep());
    n.put("params", params.size());
    n.put("stickyMask", s.stickyMask());
    n.put("policy", s.policy());
    ArrayNode keeps = n.putArray("keep");
    for (boolean[] k : s.keeps()) {
      keeps.add(k == null ? "" : bits(k));
    }
    ArrayNode pend = n.putArray("pending");
    for (Decision d : s.pending()) {
      ObjectNode p = pend.addObject();
      p.put("decidedAt", d.decidedAt());
      p.put("effectiveFrom", d.effectiveFrom());
      p.put("budget", d.budget());
      p.put("persistent", d.persistent());
      if (d.mask() instanceof MaskUpdate.TripletMask t) {
        p.put("triplets", bits(t.keep()));
      } else if (d.mask() instanceof MaskUpdate.EntryMask e) {
        ArrayNode entries = p.putArray("entries");
        e.perMatrix().forEach(b -> entries.add(bits(b)));
      }
    }
    if (s.host() != null) {
      n.put("host", Base64.getEncoder().encodeToString(s.host()));
    }
    ObjectNode stats = n.putObject("statistics");
    s.statistics().forEach((k, v) -> stats.put(k, Base64.getEncoder().encodeToString(v)));
    Files.move(tmp, dir.resolve(ARRAYS), StandardCopyOption.REPLACE_EXISTING);
    Files.write(dir.resolve(STATE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
  }

  /**
   * Overwrites {@code params} and {@code adam} from the checkpoint in {@code dir} and returns the
   * rest.
   *
   * @throws IOException naming the folder when there is no checkpoint, or it is of another version,
   *     model, seed or policy
   */
  static State restore(Path dir, List<NDArray> params, List<NDArray> adam, long seed, String policy)
      throws IOException {
    Path stateFile = dir.resolve(STATE);
    if (!Files.exists(stateFile)) {
      throw new IOException("no checkpoint in " + dir + " (missing " + STATE + ")");
    }
    JsonNode s = JSON.readTree(stateFile.toFile());
    int version = s.path("version").asInt(1);
    if (version != VERSION) {
      throw new IOException(
          "checkpoint in "
              + dir
              + " has layout version "
              + version
              + ", this build reads version "
              + VERSION
              + " (resume it with the build that wrote it, or start again)");
    }
    if (s.get("params").asInt() != params.size() || s.get("seed").asLong() != seed) {
      throw new IOException(
          "checkpoint in "
              + dir
              + " is for a different model or seed ("
              + s.get("params")
              + " arrays, seed "
              + s.get("seed")
              + ")");
    }
    if (!policy.equals(s.get("policy").asText())) {
      throw new IOException(
          "checkpoint in " + dir + " was written by policy " + s.get("policy") + ", not " + policy);
    }
    Map<String, SafeTensors.Tensor> arrays = SafeTensors.read(dir.resolve(ARRAYS));
    for (int i = 0; i < params.size(); i++) {
      overwrite(params.get(i), arrays.get("param." + i));
    }
    for (int i = 0; i < adam.size(); i++) {
      overwrite(adam.get(i), arrays.get("adam." + i));
    }
    List<boolean[]> keeps = new ArrayList<>();
    for (JsonNode k : s.get("keep")) {
      keeps.add(k.asText().isEmpty() ? null : unbits(k.asText()));
    }
    List<Decision> pending = new ArrayList<>();
    for (JsonNode p : s.get("pending")) {
      MaskUpdate mask;
      if (p.has("triplets")) {
        mask = new MaskUpdate.TripletMask(unbits(p.get("triplets").asText()));
      } else {
        List<boolean[]> entries = new ArrayList<>();
        p.get("entries").forEach(k -> entries.add(unbits(k.asText())));
        mask = new MaskUpdate.EntryMask(entries);
      }
      pending.add(
          new Decision(
              p.get("decidedAt").asLong(),
              p.get("effectiveFrom").asLong(),
              p.get("budget").asInt(),
              p.get("persistent").asBoolean(),
              mask,
              Diagnostics.none()));
    }
    Map<String, byte[]> statistics = new LinkedHashMap<>();
    s.get("statistics")
        .fields()
        .forEachRemaining(
            e -> statistics.put(e.getKey(), Base64.getDecoder().decode(e.getValue().asText())));
    return new State(
        s.get("nextStep").asLong(),
        seed,
        s.get("adamStep").asLong(),
        s.get("stickyMask").asBoolean(),
        policy,
        keeps,
        pending,
        s.has("host") ? Base64.getDecoder().decode(s.get("host").asText()) : null,
        statistics);
  }

  private static SafeTensors.Tensor tensor(NDArray a) {
    return new SafeTensors.Tensor(a.getShape().getShape(), a.toFloatArray());
  }

  private static void overwrite(NDArray target, SafeTensors.Tensor t) throws IOException {
    if (t == null || !new Shape(t.shape()).equals(target.getShape())) {
      throw new IOException(
          "checkpoint array does not match the model (shape " + target.getShape() + ")");
    }
    Trainer.gradModeOff(); // an in-place write of a leaf parameter, on whatever thread resumes
    target.set(t.data());
  }

  /** Bits packed little-endian within bytes, Base64, then ":" and the count. */
  private static String bits(boolean[] bits) {
    byte[] b = new byte[(bits.length + 7) / 8];
    for (int i = 0; i < bits.length; i++) {
      if (bits[i]) {
        b[i >> 3] |= (byte) (1 << (i & 7));
      }
    }
    return Base64.getEncoder().encodeToString(b) + ":" + bits.length;
  }

  private static boolean[] unbits(String text) {
    int colon = text.lastIndexOf(':');
    byte[] b = Base64.getDecoder().decode(text.substring(0, colon));
    boolean[] bits = new boolean[Integer.parseInt(text.substring(colon + 1))];
    for (int i = 0; i < bits.length; i++) {
      bits[i] = (b[i >> 3] & (1 << (i & 7))) != 0;
    }
    return bits;
  }
}
