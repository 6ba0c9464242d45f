package io.salientstream.analyzer;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.DeadLetterReason;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.PriLoraInputs;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import io.salientstream.registry.serde.KafkaAvroDeserializer;
import io.salientstream.streams.RejectedRecord;
import java.io.EOFException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.util.Utf8;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * What the analyzer reads from one {@link SingularValueStep} event, in primitive arrays: the
 * singular values of every matrix concatenated in the event's matrix order (float32 on the wire,
 * widened exactly to double), the importance scores likewise, and per matrix the name and the
 * length of each vector as sent (so {@link #check} can name a wrong one). Produced by {@link
 * Reader} straight from the Avro bytes (the compiled schema), or by {@link #of} from a decoded
 * record (any other writer schema, resolved by Avro); {@link #deserializer} picks the path per
 * writer schema, and both give equal events.
 *
 * <p>The mask and the unused v1 input summary are not kept (the analyzer does not use them); the
 * mask's length is. PRILoRA's inputs ({@code priLora}, sent only at its pruning steps) are kept per
 * matrix.
 *
 * @param importanceLengths per matrix, the length of its importance vector, or -1 when the event
 *     has none
 * @param importance the importance scores laid out like {@code singularValues} (matrix m's at the
 *     same offsets as its singular values; 0 where a matrix has none, entries beyond its value
 *     count dropped), or {@code null} when no matrix has any
 * @param priLoraAbsA per matrix, PRILoRA's |A| (float32 widened exactly), {@code null} where a
 *     matrix has none; the array itself is {@code null} when no matrix has any
 * @param priLoraEma per matrix, PRILoRA's input-norm EMA, laid out like {@code priLoraAbsA}
 */
public record SingularValueStepView(
    String experimentId,
    String runId,
    int epoch,
    long step,
    long wallClockMs,
    double orthRegLoss,
    double taskLoss,
    double learningRate,
    String[] names,
    int[] valueLengths,
    int[] maskLengths,
    int[] importanceLengths,
    double[] singularValues,
    double[] importance,
    double[][] priLoraAbsA,
    double[][] priLoraEma) {

  public int matrixCount() {
    return names.length;
  }

  /** True when every matrix carries importance scores. */
  public boolean allImportance() {
    for (int len : importanceLengths) {
      if (len < 0) {
        return false;
      }
    }
    return importance != null;
  }

  /** True when every matrix carries PRILoRA inputs. */
  public boolean allPriLora() {
    if (priLoraAbsA == null) {
      return false;
    }
    for (double[] a : priLoraAbsA) {
      if (a == null) {
        return false;
      }
    }
    return true;
  }

  /**
   * The policy input carried by this event, in the experiment's global order. Valid once the event
   * passed {@link #check} (lengths equal to the registration's); the arrays are shared, not copied.
   */
  public StepInput toInput() {
    return toInput(EnumSet.allOf(RankPolicy.Input.class));
  }

  /**
   * The policy input with only the optional parts in {@code reads} ({@link RankPolicy#inputsAt} of
   * this step): what the policy does not read at this step is neither fed nor stored in the
   * analyzer's rows.
   */
  public StepInput toInput(Set<RankPolicy.Input> reads) {
    List<StepInput.PriLoraMatrixInput> pri = null;
    if (reads.contains(RankPolicy.Input.PRILORA) && allPriLora()) {
      pri = new ArrayList<>(priLoraAbsA.length);
      for (int m = 0; m < priLoraAbsA.length; m++) {
        pri.add(new StepInput.PriLoraMatrixInput(priLoraAbsA[m], priLoraEma[m]));
      }
    }
    return new StepInput(
        step,
        orthRegLoss,
        singularValues,
        reads.contains(RankPolicy.Input.TRIPLET_SCORES) && allImportance() ? importance : null,
        pri);
  }

  /**
   * The same event from a decoded record (the path for writer schemas other than the compiled one).
   */
  public static SingularValueStepView of(SingularValueStep e) {
    List<MatrixSingularValues> ms = e.getMatrices();
    int k = ms.size();
    String[] names = new String[k];
    int[] valueLengths = new int[k];
    int[] maskLengths = new int[k];
    int[] importanceLengths = new int[k];
    int total = 0;
    boolean anyImportance = false;
    double[][] absA = null;
    double[][] ema = null;
    for (int m = 0; m < k; m++) {
      MatrixSingularValues v = ms.get(m);
      names[m] = v.getName();
      valueLengths[m] = v.getSingularValues().size();
      maskLengths[m] = v.getMask().size();
      importanceLengths[m] = v.getImportance() == null ? -1 : v.getImportance().size();
      anyImportance |= v.getImportance() != null;
      total += valueLengths[m];
      PriLoraInputs p = v.getPriLora();
      if (p != null) {
        if (absA == null) {
          absA = new double[k][];
          ema = new double[k][];
        }
        absA[m] = new double[p.getAbsA().size()];
        for (int j = 0; j < absA[m].length; j++) {
          absA[m][j] = p.getAbsA().get(j);
        }
        ema[m] = new double[p.getInputNormEma().size()];
        for (int j = 0; j < ema[m].length; j++) {
          ema[m][j] = p.getInputNormEma().get(j);
        }
      }
    }
    double[] sv = new double[total];
    double[] imp = anyImportance ? new double[total] : null;
    int at = 0;
    for (int m = 0; m < k; m++) {
      MatrixSingularValues v = ms.get(m);
      List<Float> values = v.getSingularValues();
      for (int j = 0; j < values.size(); j++) {
        sv[at + j] = values.get(j);
      }
      if (v.getImportance() != null) {
        List<Double> scores = v.getImportance();
        for (int j = 0; j < Math.min(scores.size(), valueLengths[m]); j++) {
          imp[at + j] = scores.get(j);
        }
      }
      at += valueLengths[m];
    }
    return new SingularValueStepView(
        e.getExperimentId(),
        e.getRunId(),
        e.getEpoch(),
        e.getStep(),
        e.getWallClockMs().toEpochMilli(),
        e.getOrthRegLoss(),
        e.getTaskLoss(),
        e.getLearningRate(),
        names,
        valueLengths,
        maskLengths,
        importanceLengths,
        sv,
        imp,
        absA,
        ema);
  }

  /**
   * Checks this event against its experiment's registration before any state is touched. Every rule
   * rejects with a {@link RejectedRecord} whose message names the experiment, the step and the
   * offending field:
   *
   * <ul>
   *   <li>{@code UNKNOWN_EXPERIMENT} — no registration for the key;
   *   <li>{@code WRONG_LENGTH} — matrix count, a matrix name, or a vector length differs from the
   *       registration (singular values and mask: r entries for a policy with triplet masks, none
   *       for one with entry masks, whose adapters are plain LoRA; PRILoRA's |A|: r·d_in, its
   *       input-norm EMA: d_in);
   *   <li>{@code INVALID_VALUE} — NaN or infinite singular value, regulariser, importance or
   *       PRILoRA input, a negative step, or an input the experiment's policy reads at this step
   *       ({@link RankPolicy#inputsAt}) is missing.
   * </ul>
   *
   * What the policy reads is asked of the policy built from the registration, not decided here by
   * its name.
   *
   * @param policy a policy built from {@code spec} (only its pure functions of the parameters are
   *     used; may be null when {@code spec} is)
   */
  public void check(String key, ExperimentSpec spec, RankPolicy policy) {
    SingularValueStepView e = this;
    if (spec == null) {
      throw new RejectedRecord(
          DeadLetterReason.UNKNOWN_EXPERIMENT,
          "experiment '"
              + key
              + "' step "
              + e.step()
              + ": no experiment registered under this id (register it on the experiments topic first)");
    }
    if (!key.equals(e.experimentId())) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          where(key, e) + ": record key does not match experimentId '" + e.experimentId() + "'");
    }
    if (e.step() < 0) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE, where(key, e) + ": step must be >= 0");
    }
    long totalSteps = spec.getSchedule().getTotalSteps();
    if (e.step() >= totalSteps) { // the registration's cap on T: a run's rows never outgrow it
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          where(key, e)
              + ": beyond the run, the experiment registers "
              + totalSteps
              + " steps (0 to "
              + (totalSteps - 1)
              + ")");
    }
    List<AdaptedMatrix> expected = spec.getMatrices();
    if (e.matrixCount() != expected.size()) {
      throw new RejectedRecord(
          DeadLetterReason.WRONG_LENGTH,
          where(key, e)
              + ": "
              + e.matrixCount()
              + " matrices, the experiment registers "
              + expected.size());
    }
    Set<RankPolicy.Input> reads = policy.inputsAt(e.step());
    boolean needsR = reads.contains(RankPolicy.Input.ORTH_REG_LOSS);
    boolean needsImportance = reads.contains(RankPolicy.Input.TRIPLET_SCORES);
    boolean needsPriLora = reads.contains(RankPolicy.Input.PRILORA);
    boolean entries = policy.maskKind() == RankPolicy.MaskKind.ENTRY;
    if (needsR && !Double.isFinite(e.orthRegLoss())) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE, where(key, e) + ": orthRegLoss is " + e.orthRegLoss());
    }
    double[] sv = e.singularValues();
    double[] importance = e.importance();
    int offset = 0;
    for (int k = 0; k < expected.size(); k++) {
      AdaptedMatrix a = expected.get(k);
      if (!e.names()[k].equals(a.getName())) {
        throw new RejectedRecord(
            DeadLetterReason.WRONG_LENGTH,
            at(key, e, k) + ": expected matrix '" + a.getName() + "' at this position");
      }
      int r = a.getInitialRank();
      if (needsPriLora) {
        checkPriLora(key, e, k, a, policy.name());
      }
      if (entries) { // plain LoRA adapters: no singular values, the entry mask is the last
        // command's
        checkLength(
            key, e, k, "singularValues", e.valueLengths()[k], 0, "a plain-LoRA matrix has none");
        checkLength(key, e, k, "mask", e.maskLengths()[k], 0, "a plain-LoRA matrix has none");
        continue;
      }
      checkLength(key, e, k, "singularValues", e.valueLengths()[k], r);
      checkLength(key, e, k, "mask", e.maskLengths()[k], r);
      for (int i = 0; i < r; i++) {
        if (!Double.isFinite(sv[offset + i])) {
          throw new RejectedRecord(
              DeadLetterReason.INVALID_VALUE,
              at(key, e, k) + ": singularValues[" + i + "] is " + (float) sv[offset + i]);
        }
      }
      if (needsImportance) {
        if (e.importanceLengths()[k] < 0) {
          throw new RejectedRecord(
              DeadLetterReason.INVALID_VALUE,
              at(key, e, k)
                  + ": importance is required by policy "
                  + policy.name()
                  + " at this step");
        }
        checkLength(key, e, k, "importance", e.importanceLengths()[k], r);
        for (int i = 0; i < r; i++) {
          if (!Double.isFinite(importance[offset + i])) {
            throw new RejectedRecord(
                DeadLetterReason.INVALID_VALUE,
                at(key, e, k) + ": importance[" + i + "] is " + importance[offset + i]);
          }
        }
      }
      offset += r;
    }
  }

  private static String where(String key, SingularValueStepView e) {
    return "experiment '" + key + "' step " + e.step();
  }

  /** Messages are built only on failure (this runs for every event). */
  private static String at(String key, SingularValueStepView e, int k) {
    return where(key, e) + " matrix " + k + " '" + e.names()[k] + "'";
  }

  private static void checkLength(
      String key, SingularValueStepView e, int k, String field, int got, int expected) {
    checkLength(key, e, k, field, got, expected, "the matrix has rank " + expected);
  }

  private static void checkLength(
      String key, SingularValueStepView e, int k, String field, int got, int expected, String why) {
    if (got != expected) {
      throw new RejectedRecord(
          DeadLetterReason.WRONG_LENGTH,
          at(key, e, k) + ": " + field + " has " + got + " entries, " + why);
    }
  }

  private static void checkPriLora(
      String key, SingularValueStepView e, int k, AdaptedMatrix a, String policy) {
    double[] absA = e.priLoraAbsA() == null ? null : e.priLoraAbsA()[k];
    if (absA == null) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          at(key, e, k)
              + ": priLora (|A| and the input-norm EMA) is required: policy "
              + policy
              + " reads it at this step");
    }
    double[] ema = e.priLoraEma()[k];
    int r = a.getInitialRank();
    int dIn = a.getDIn();
    checkLength(
        key,
        e,
        k,
        "priLora.absA",
        absA.length,
        r * dIn,
        "the matrix has rank " + r + " x dIn " + dIn);
    checkLength(key, e, k, "priLora.inputNormEma", ema.length, dIn, "the matrix has dIn " + dIn);
    for (int i = 0; i < absA.length; i++) {
      if (!Double.isFinite(absA[i])) {
        throw new RejectedRecord(
            DeadLetterReason.INVALID_VALUE,
            at(key, e, k) + ": priLora.absA[" + i + "] is " + (float) absA[i]);
      }
    }
    for (int j = 0; j < ema.length; j++) {
      if (!Double.isFinite(ema[j])) {
        throw new RejectedRecord(
            DeadLetterReason.INVALID_VALUE,
            at(key, e, k) + ": priLora.inputNormEma[" + j + "] is " + ema[j]);
      }
    }
  }

  private static final long COMPILED =
      SchemaNormalization.parsingFingerprint64(SingularValueStep.getClassSchema());

  /**
   * A deserializer of singular-value events (Confluent wire format) into {@link
   * SingularValueStepView}s.
   */
  public static Deserializer<SingularValueStepView> deserializer(Map<String, ?> registryConfig) {
    return KafkaAvroDeserializer.withReaders(registryConfig, SingularValueStepView::readerFor);
  }

  /**
   * The reader for records written with {@code writer}: {@link Reader} when it is the compiled
   * schema (same parsing canonical form, so the same binary layout), else Avro's schema resolution
   * followed by {@link #of}.
   */
  public static DatumReader<SingularValueStepView> readerFor(Schema writer) {
    if (SchemaNormalization.parsingFingerprint64(writer) == COMPILED) {
      return new Reader();
    }
    SpecificDatumReader<SingularValueStep> resolving =
        new SpecificDatumReader<>(
            writer,
            SingularValueStep.getClassSchema(),
            SpecificData.getForClass(SingularValueStep.class));
    return new DatumReader<>() {
      @Override
      public void setSchema(Schema schema) {
        resolving.setSchema(schema);
      }

      @Override
      public SingularValueStepView read(SingularValueStepView reuse, Decoder in)
          throws IOException {
        return SingularValueStepView.of(resolving.read(null, in));
      }
    };
  }

  /**
   * Reads {@link SingularValueStep} records written with the compiled schema straight into a view:
   * the float and double arrays go into primitive arrays as they are read, with no intermediate
   * record, boxed lists or second pass. At N = 1080 the generic path (SpecificRecord with {@code
   * List<Float>}, then unboxing) was the largest cost of the analyzer's stream thread. Records
   * written with any other schema are read by {@link #readerFor} through Avro's schema resolution
   * and {@link #of}; both give equal events (tested on random events).
   */
  static final class Reader implements DatumReader<SingularValueStepView> {
    private static final VarHandle FLOAT_LE =
        MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Last event's value count: the first guess for the next event's arrays (an exact guess means
     * no copy).
     */
    private int sizeHint = 64;

    @Override
    public void setSchema(Schema schema) {
      if (SchemaNormalization.parsingFingerprint64(schema) != COMPILED) {
        throw new AvroRuntimeException(
            "SingularValueStepView.Reader reads only the compiled SingularValueStep schema");
      }
    }

    private final byte[] scratch = new byte[4096];

    /**
     * A string longer than this is decoded into a fresh buffer that is dropped afterwards: the
     * reused buffer never grows beyond it, so one long string does not stay on the heap for the
     * reader's life.
     */
    static final int REUSED_TEXT_BYTES = 4096;

    private Utf8 text = new Utf8();
    private byte[][] lastBytes = new byte[16][];
    private String[] lastStrings = new String[16];

    /** The capacity of the reused string buffer (for tests: it must not keep a long string). */
    int reusedTextCapacity() {
      return text.getBytes().length;
    }

    /**
     * Reads a string, returning the String read at the same position of an earlier event when the
     * bytes are equal: matrix names repeat in every event of an experiment (and across experiments
     * of one model), and decoding 70+ of them per event into new Strings took about 10% of the
     * analyzer's thread.
     */
    private String readCachedString(Decoder in, int slot) throws IOException {
      in.readString(text);
      if (slot >= lastBytes.length) {
        lastBytes = Arrays.copyOf(lastBytes, Math.max(slot + 1, 2 * lastBytes.length));
        lastStrings = Arrays.copyOf(lastStrings, lastBytes.length);
      }
      byte[] previous = lastBytes[slot];
      int len = text.getByteLength();
      String s;
      if (previous != null
          && previous.length == len
          && Arrays.equals(previous, 0, len, text.getBytes(), 0, len)) {
        s = lastStrings[slot];
      } else {
        s = text.toString();
        boolean keep = len <= REUSED_TEXT_BYTES; // names are short; a long string is not kept
        lastBytes[slot] = keep ? Arrays.copyOf(text.getBytes(), len) : null;
        lastStrings[slot] = keep ? s : null;
      }
      if (text.getBytes().length > REUSED_TEXT_BYTES) {
        text = new Utf8();
      }
      return s;
    }

    /**
     * Reads {@code count} floats (Avro: 4 bytes each, little-endian IEEE 754) into {@code out} as
     * doubles, in chunks of raw bytes rather than one decoder call per value.
     */
    private void readFloats(Decoder in, double[] out, int from, int count) throws IOException {
      int done = 0;
      while (done < count) {
        int chunk = Math.min(count - done, scratch.length / 4);
        in.readFixed(scratch, 0, chunk * 4);
        for (int i = 0; i < chunk; i++) {
          out[from + done + i] = (float) FLOAT_LE.get(scratch, i * 4);
        }
        done += chunk;
      }
    }

    /**
     * Refuses a block count that the remaining bytes cannot hold, before allocating for it (a
     * corrupt count must not make the reader allocate gigabytes). Decoders that cannot tell what is
     * left are trusted as far as the bytes go.
     */
    private static void requireAvailable(
        Decoder in, long count, int bytesEach, int matrix, String field) throws IOException {
      if (in instanceof BinaryDecoder b && b.inputStream().available() < count * bytesEach) {
        throw new EOFException(
            "matrix "
                + matrix
                + ": "
                + field
                + " announces "
                + count
                + " values but fewer bytes remain");
      }
    }

    /**
     * Reads the fields in the order of the compiled schema (see
     * schemas/src/main/avro/SingularValueStep.avsc).
     */
    @Override
    public SingularValueStepView read(SingularValueStepView reuse, Decoder in) throws IOException {
      String experimentId = readCachedString(in, 0);
      String runId = readCachedString(in, 1);
      int epoch = in.readInt();
      long step = in.readLong();
      long wallClockMs = in.readLong();
      double orthRegLoss = in.readDouble();
      double taskLoss = in.readDouble();
      double learningRate = in.readDouble();

      double[] values = new double[sizeHint];
      double[] importance = null;
      String[] names = new String[8];
      int[] valueLengths = new int[8];
      int[] maskLengths = new int[8];
      int[] importanceLengths = new int[8];
      double[][] priAbsA = null;
      double[][] priEma = null;
      int m = 0;
      int at = 0; // values read so far
      for (long block = in.readArrayStart(); block != 0; block = in.arrayNext()) {
        for (long b = 0; b < block; b++, m++) {
          if (m == names.length) {
            names = Arrays.copyOf(names, 2 * m);
            valueLengths = Arrays.copyOf(valueLengths, 2 * m);
            maskLengths = Arrays.copyOf(maskLengths, 2 * m);
            importanceLengths = Arrays.copyOf(importanceLengths, 2 * m);
            if (priAbsA != null) {
              priAbsA = Arrays.copyOf(priAbsA, 2 * m);
              priEma = Arrays.copyOf(priEma, 2 * m);
            }
          }
          names[m] = readCachedString(in, m + 2);
          in.readInt(); // layer
          // Arrays grow one read value at a time: a corrupt block count cannot make us allocate
          // more
          // than the bytes hold.
          int len = 0;
          for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
            if (n > Integer.MAX_VALUE / 4) {
              throw new AvroRuntimeException(
                  "matrix " + m + ": singularValues block of " + n + " items");
            }
            int count = (int) n;
            if (at + len + count > values.length) {
              requireAvailable(in, count, 4, m, "singularValues");
              values = Arrays.copyOf(values, Math.max(at + len + count, 2 * values.length));
            }
            readFloats(in, values, at + len, count);
            len += count;
          }
          valueLengths[m] = len;
          int maskLength = 0;
          for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
            if (n > Integer.MAX_VALUE) {
              throw new AvroRuntimeException("matrix " + m + ": mask block of " + n + " items");
            }
            in.skipFixed((int) n); // a boolean is one byte
            maskLength += (int) n;
          }
          maskLengths[m] = maskLength;
          switch (in.readIndex()) {
            case 0 -> importanceLengths[m] = -1;
            case 1 -> {
              if (importance == null || importance.length < values.length) {
                importance =
                    importance == null
                        ? new double[values.length]
                        : Arrays.copyOf(importance, values.length);
              }
              int count = 0;
              for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
                for (long j = 0; j < n; j++, count++) {
                  double v = in.readDouble();
                  if (count < len) {
                    importance[at + count] = v;
                  }
                }
              }
              importanceLengths[m] = count;
            }
            default ->
                throw new AvroRuntimeException(
                    "matrix " + m + ": importance union index out of range");
          }
          switch (in.readIndex()) {
            case 0 -> {}
            case 1 -> { // v1's summary of the input statistics: not used by the analyzer
              for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
                for (long j = 0; j < n; j++) {
                  in.readFloat();
                }
              }
              in.readDouble();
              in.readDouble();
            }
            default ->
                throw new AvroRuntimeException(
                    "matrix " + m + ": inputStats union index out of range");
          }
          switch (in.readIndex()) {
            case 0 -> {}
            case 1 -> { // PRILoRA's inputs (at its pruning steps only)
              if (priAbsA == null) {
                priAbsA = new double[names.length][];
                priEma = new double[names.length][];
              }
              double[] a = new double[0];
              int count = 0;
              for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
                if (n > Integer.MAX_VALUE / 4) {
                  throw new AvroRuntimeException(
                      "matrix " + m + ": priLora.absA block of " + n + " items");
                }
                requireAvailable(in, n, 4, m, "priLora.absA");
                a = Arrays.copyOf(a, count + (int) n);
                readFloats(in, a, count, (int) n);
                count += (int) n;
              }
              double[] x = new double[0];
              count = 0;
              for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
                if (n > Integer.MAX_VALUE / 8) {
                  throw new AvroRuntimeException(
                      "matrix " + m + ": priLora.inputNormEma block of " + n + " items");
                }
                requireAvailable(in, n, 8, m, "priLora.inputNormEma");
                x = Arrays.copyOf(x, count + (int) n);
                for (long j = 0; j < n; j++) {
                  x[count++] = in.readDouble();
                }
              }
              priAbsA[m] = a;
              priEma[m] = x;
            }
            default ->
                throw new AvroRuntimeException(
                    "matrix " + m + ": priLora union index out of range");
          }
          at += len;
        }
      }
      if (values.length != at) {
        values = Arrays.copyOf(values, at);
      }
      if (importance != null && importance.length != at) {
        importance = Arrays.copyOf(importance, at);
      }
      sizeHint = Math.max(16, at);
      return new SingularValueStepView(
          experimentId,
          runId,
          epoch,
          step,
          wallClockMs,
          orthRegLoss,
          taskLoss,
          learningRate,
          Arrays.copyOf(names, m),
          Arrays.copyOf(valueLengths, m),
          Arrays.copyOf(maskLengths, m),
          Arrays.copyOf(importanceLengths, m),
          values,
          importance,
          priAbsA == null ? null : Arrays.copyOf(priAbsA, m),
          priEma == null ? null : Arrays.copyOf(priEma, m));
    }
  }
}
